"""Measurement-based care: a patient's scores on one instrument over time, judged against the
baseline of the current enrolment (response, remission, not improving)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments import repository as repo
from tandem.assessments.definitions import Instrument, instrument, instruments
from tandem.assessments.repository import ScorePoint
from tandem.assessments.rules import Measurement, summarise
from tandem.assessments.schemas import ResponseRead, TrajectoryPoint, TrajectoryRead
from tandem.assessments.service import summarise_response
from tandem.capabilities import Capability
from tandem.careteams.service import current_enrolment_start
from tandem.config import Settings
from tandem.errors import NotFound
from tandem.people.schemas import PatientContactRead, PatientRead
from tandem.vocab import RecordStatus


@dataclass(frozen=True)
class TrajectorySettings:
    """Configuration (TANDEM_NOT_IMPROVING_WEEKS, TANDEM_BASELINE_LOOKBACK_DAYS)."""

    # The defaults are the settings' own (one place for each rule's number).
    not_improving_weeks: int = Settings.model_fields["not_improving_weeks"].default
    baseline_lookback_days: int = Settings.model_fields["baseline_lookback_days"].default

    @classmethod
    def of(cls, settings: Settings) -> TrajectorySettings:
        return cls(
            not_improving_weeks=settings.not_improving_weeks,
            baseline_lookback_days=settings.baseline_lookback_days,
        )


def followed_instruments() -> list[Instrument]:
    """The instruments measured repeatedly (PHQ-9, GAD-7): those with trajectory rules."""
    return [i for i in instruments().values() if i.trajectory is not None and i.has_score]


async def trajectory(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    instrument_code: str,
    settings: TrajectorySettings,
) -> TrajectoryRead:
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.read_measurements
    )
    audit_patient(session, ctx, access, "Observation", detail={"trajectory": instrument_code})
    definition = followed_instrument(instrument_code)
    enrolled_on = await current_enrolment_start(session, access)
    points = await repo.score_points(session, access, [str(definition.scoring.code)])
    return build_trajectory(ctx, definition, points, settings, enrolled_on)


@dataclass(frozen=True)
class MeasurementOverview:
    """The Measurements tab: each followed instrument's trajectory, and every response."""

    trajectories: list[TrajectoryRead]
    responses: list[ResponseRead]


async def measurement_overview(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    settings: TrajectorySettings,
    *,
    header: PatientRead | PatientContactRead | None = None,
) -> MeasurementOverview:
    """Trajectories of PHQ-9, GAD-7 (every followed instrument) and the list of responses,
    in one audited read. A page that has read the chart ``header`` passes it: the current
    enrolment it shows is where the baselines start (not read a second time)."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.read_measurements
    )
    followed = followed_instruments()
    rows = await repo.responses(session, access)
    audit_patient(
        session,
        ctx,
        access,
        "Observation",
        detail={"trajectories": [i.code for i in followed], "responses": len(rows)},
    )
    if isinstance(header, PatientRead) and access.can(Capability.read_enrolments):
        enrolled_on = header.enrolment.start_date if header.enrolment else None
    else:
        enrolled_on = await current_enrolment_start(session, access)
    points = await repo.score_points(session, access, [str(i.scoring.code) for i in followed])
    return MeasurementOverview(
        trajectories=[build_trajectory(ctx, i, points, settings, enrolled_on) for i in followed],
        responses=[summarise_response(r.record, r.name) for r in rows],
    )


def followed_instrument(code: str) -> Instrument:
    """The instrument of a trajectory (404 for one that is not measured over time)."""
    definition = instrument(code)
    if definition is None or definition.trajectory is None or not definition.scoring.code:
        raise NotFound("trajectory")
    return definition


def build_trajectory(
    ctx: AccessContext,
    definition: Instrument,
    rows: Sequence[ScorePoint],
    settings: TrajectorySettings,
    enrolled_on: date | None,
) -> TrajectoryRead:
    """The trajectory of ``definition`` from score points already read (any instruments')."""
    rules = definition.trajectory
    assert rules is not None, "followed_instrument() chose it"
    points = [
        TrajectoryPoint(
            response_id=row.response_id,
            on=row.on,
            score=row.score,
            band=row.band,
            band_label=row.band_label,
            band_level=band.level if (band := definition.band(row.band)) else None,
            status=row.status,
        )
        for row in rows
        if row.code == definition.scoring.code
        and row.response_status != RecordStatus.entered_in_error
    ]
    summary = summarise(
        [Measurement(p.on, p.score) for p in points],
        today=ctx.clock.today(),
        enrolled_on=enrolled_on,
        remission_below=rules.remission_below,
        response_drop=rules.response_drop,
        not_improving_weeks=settings.not_improving_weeks,
        baseline_lookback_days=settings.baseline_lookback_days,
    )

    def point_for(m: Measurement | None) -> TrajectoryPoint | None:
        if m is None:
            return None
        return next(p for p in points if (p.on, p.score) == (m.on, m.score))

    return TrajectoryRead(
        instrument=definition.code,
        title=definition.title,
        score_max=definition.scoring.max,
        remission_below=rules.remission_below,
        bands=[
            {"code": b.code, "label": b.label, "min": b.min, "max": b.max, "level": b.level}
            for b in definition.bands
            if b.sex is None
        ],
        points=points,
        enrolled_on=enrolled_on,
        baseline=point_for(summary.baseline),
        latest=point_for(summary.latest),
        change=summary.change,
        percent_change=summary.percent_change,
        response=summary.response,
        remission=summary.remission,
        not_improving=summary.not_improving,
        not_improving_weeks=settings.not_improving_weeks,
        weeks_in_treatment=summary.weeks_in_treatment,
        weeks_since_baseline=summary.weeks_since_baseline,
        days_since_last=summary.days_since_last,
    )

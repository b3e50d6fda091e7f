"""Measurement-based care: a patient's scores on one instrument over time, judged against the
baseline of the current enrolment (response, remission, not improving)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments import repository as repo
from tandem.assessments.definitions import Instrument, instrument, instruments
from tandem.assessments.rules import Measurement, summarise
from tandem.assessments.schemas import ResponseRead, TrajectoryPoint, TrajectoryRead
from tandem.assessments.service import summarise_response
from tandem.capabilities import Capability
from tandem.careteams.service import current_enrolment_start
from tandem.config import Settings
from tandem.errors import NotFound
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
    enrolled_on = await current_enrolment_start(session, access)
    return await build_trajectory(session, ctx, access, instrument_code, settings, enrolled_on)


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
) -> MeasurementOverview:
    """Trajectories of PHQ-9, GAD-7 (every followed instrument) and the list of responses,
    in one audited read."""
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
    names = await repo.user_names(session, [r.entered_by for r in rows])
    enrolled_on = await current_enrolment_start(session, access)
    return MeasurementOverview(
        trajectories=[
            await build_trajectory(session, ctx, access, i.code, settings, enrolled_on)
            for i in followed
        ],
        responses=[summarise_response(r, names.get(r.entered_by)) for r in rows],
    )


async def build_trajectory(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    instrument_code: str,
    settings: TrajectorySettings,
    enrolled_on: date | None,
) -> TrajectoryRead:
    """The trajectory of a patient already proven and audited by the caller."""
    definition = instrument(instrument_code)
    if definition is None or definition.trajectory is None or not definition.scoring.code:
        raise NotFound("trajectory")
    rules = definition.trajectory
    rows = await repo.score_points(session, access, definition.scoring.code)
    points = [
        TrajectoryPoint(
            response_id=response.id,
            on=obs.effective_on,
            score=obs.value_integer or 0,
            band=obs.value_code,
            band_label=obs.value_display,
            band_level=band.level if (band := definition.band(obs.value_code)) else None,
            status=obs.status,
        )
        for obs, response in rows
        if response.status != RecordStatus.entered_in_error
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

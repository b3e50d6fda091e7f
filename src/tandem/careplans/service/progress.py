"""What the plan shows beyond what the team wrote: each measurable goal's achievement worked
out from the scores, the plan's checks and whether it is due for review. Read beside the plan
(a constant number of statements) and worked out by the pure rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.assessments.definitions import instrument
from tandem.assessments.rules import Measurement
from tandem.assessments.service import plan_reads
from tandem.assessments.service.plan_reads import ConfirmedNeedRow, ScorePoint
from tandem.assessments.service.trajectories import (
    TrajectorySettings,
    build_trajectory,
    followed_instruments,
)
from tandem.capabilities import Capability
from tandem.careplans.models import Goal
from tandem.careplans.rules.review import ConfirmedNeed, NotImproving, ReviewFacts, review_reasons
from tandem.careplans.rules.targets import (
    MeasureRules,
    Target,
    explain,
    judge_goal,
    target_words,
)
from tandem.careplans.schemas import AchievementBasis, ReviewRead
from tandem.careteams import service as careteams
from tandem.people.schemas import PatientRead
from tandem.vocab import RecordStatus


@dataclass(frozen=True)
class Facts:
    """What the computed parts of a plan rest on: the followed instruments' scores, where the
    current enrolment began (their baseline), the confirmed needs and the latest safety alert.
    Empty where the caller's role may not see them."""

    scores: Sequence[ScorePoint] = ()
    enrolled_on: date | None = None
    needs: Sequence[ConfirmedNeedRow] = ()
    last_alert_at: datetime | None = None
    read: tuple[str, ...] = field(default=())


async def read_facts(
    session: AsyncSession, access: PatientAccess, *, header: PatientRead | None = None
) -> Facts:
    """The facts of one patient's plan: four statements at most, however much there is. A page
    that has read the chart ``header`` passes it: the current enrolment it shows is where the
    baselines start (not read a second time)."""
    enrolled_on = None
    if header is not None and access.can(Capability.read_enrolments):
        enrolled_on = header.enrolment.start_date if header.enrolment else None
    elif access.can(Capability.read_enrolments):
        enrolled_on = await careteams.current_enrolment_start(session, access)
    scores = await plan_reads.followed_scores(session, access)
    needs = await plan_reads.confirmed_needs(session, access)
    alert = await plan_reads.last_alert_raised(session, access)
    read = tuple(
        name
        for name, capability in (
            ("scores", Capability.read_measurements),
            ("needs", Capability.read_needs),
            ("safety alerts", Capability.read_safety),
        )
        if access.can(capability)
    )
    return Facts(scores, enrolled_on, needs, alert, read)


@dataclass(frozen=True)
class View:
    """How a plan is shown now: its facts, the caller's clock, the trajectory settings."""

    facts: Facts
    ctx: AccessContext
    settings: TrajectorySettings

    @property
    def today(self) -> date:
        return self.ctx.clock.today()


def _measurements(scores: Sequence[ScorePoint], measure: str) -> list[Measurement]:
    definition = instrument(measure)
    code = definition.scoring.code if definition else None
    return [
        Measurement(point.on, point.score)
        for point in scores
        if point.code == code and point.response_status != RecordStatus.entered_in_error
    ]


def measure_rules(measure: str, settings: TrajectorySettings) -> MeasureRules | None:
    """The instrument's trajectory rules (its data file), None for one not followed."""
    definition = instrument(measure)
    rules = definition.trajectory if definition else None
    if rules is None:
        return None
    return MeasureRules(
        significant_change=rules.significant_change,
        current_for_days=rules.current_for_days,
        relapse_at_least=rules.relapse_at_least,
        relapse_rise=rules.relapse_rise,
        baseline_lookback_days=settings.baseline_lookback_days,
    )


def achievement(goal: Goal, view: View | None) -> tuple[str, AchievementBasis | None]:
    """The goal's achievement as shown: worked out from the scores for a measurable target
    (with what it rests on), else the one set by hand."""
    measure, comparator, score = goal.target_measure, goal.target_comparator, goal.target_score
    if measure is None or comparator is None or score is None or goal.target_set_on is None:
        return goal.achievement, None
    rules = measure_rules(measure, view.settings) if view else None
    if view is None or rules is None or "scores" not in view.facts.read:
        return goal.achievement, None
    target = Target(measure, comparator, score, goal.target_set_on, goal.target_date)
    judged = judge_goal(
        target, _measurements(view.facts.scores, measure), today=view.today, rules=rules
    )
    latest, baseline = judged.latest, judged.baseline
    return judged.achievement, AchievementBasis(
        measure=measure,
        target=target_words(measure, comparator, score),
        why=judged.why,
        explanation=explain(judged, target, rules),
        score=latest.score if latest else None,
        on=latest.on if latest else None,
        baseline_score=baseline.score if baseline else None,
        baseline_on=baseline.on if baseline else None,
    )


def need_facts(rows: Sequence[ConfirmedNeedRow], ctx: AccessContext) -> list[ConfirmedNeed]:
    return [
        ConfirmedNeed(
            id=row.id,
            label=plan_reads.need_label(row),
            confirmed_at=row.confirmed_at,
            confirmed_on=ctx.clock.day_of(row.confirmed_at) if row.confirmed_at else None,
        )
        for row in rows
    ]


def not_improving(
    ctx: AccessContext,
    scores: Sequence[ScorePoint],
    enrolled_on: date | None,
    settings: TrajectorySettings,
) -> list[NotImproving]:
    """The followed instruments on which the patient is not improving (the trajectory rule,
    assessments.rules.summarise)."""
    found = []
    for definition in followed_instruments():
        trajectory = build_trajectory(ctx, definition, scores, settings, enrolled_on)
        if trajectory.not_improving and trajectory.latest is not None:
            base = trajectory.baseline
            found.append(
                NotImproving(
                    measure=definition.code,
                    latest=Measurement(trajectory.latest.on, trajectory.latest.score),
                    baseline=Measurement(base.on, base.score) if base else None,
                    weeks_since_baseline=trajectory.weeks_since_baseline,
                )
            )
    return found


def review_of(
    *,
    next_review_on: date | None,
    last_reviewed_at: datetime | None,
    created_at: datetime,
    ctx: AccessContext,
    facts: Facts,
    settings: TrajectorySettings,
) -> ReviewRead:
    """Whether a plan is due for review and why (careplans.rules.review): counting from its last
    review, or from its making when it was never reviewed."""
    since = last_reviewed_at or created_at
    reasons = review_reasons(
        ReviewFacts(
            today=ctx.clock.today(),
            next_review_on=next_review_on,
            reviewed=last_reviewed_at is not None,
            since=since,
            since_on=ctx.clock.day_of(since),
            not_improving=not_improving(ctx, facts.scores, facts.enrolled_on, settings),
            last_alert_at=facts.last_alert_at,
            last_alert_on=ctx.clock.day_of(facts.last_alert_at) if facts.last_alert_at else None,
            needs=need_facts(facts.needs, ctx),
        )
    )
    return ReviewRead(
        due=bool(reasons),
        reasons=reasons,
        next_review_on=next_review_on,
        last_reviewed_at=last_reviewed_at,
    )


def facts_of_caseload(
    patient_id: uuid.UUID,
    *,
    scores: dict[uuid.UUID, list[ScorePoint]],
    enrolments: dict[uuid.UUID, date],
    needs: dict[uuid.UUID, list[ConfirmedNeedRow]],
    alerts: dict[uuid.UUID, datetime],
) -> Facts:
    """One caseload patient's facts, from what was read for the whole caseload at once."""
    return Facts(
        scores=scores.get(patient_id, []),
        enrolled_on=enrolments.get(patient_id),
        needs=needs.get(patient_id, []),
        last_alert_at=alerts.get(patient_id),
    )

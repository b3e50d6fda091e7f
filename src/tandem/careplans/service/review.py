"""Reviewing care plans: the plan's next review date, recording that the team reviewed it, and
the plans of my caseload that are due for review, with why."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.assessments.service import plan_reads
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.careplans import repository as repo
from tandem.careplans.schemas import DueForReview, PlanRead, PlanUpdate, ReviewRecord
from tandem.careplans.service import Done, Loaded, change_plan
from tandem.careplans.service.goals import changed_fields
from tandem.careplans.service.progress import facts_of_caseload, review_of
from tandem.careplans.vocab import ReviewReason
from tandem.careteams import service as careteams
from tandem.errors import ValidationProblem
from tandem.people.rules import display_name


def _not_past(day: date | None, ctx: AccessContext, *, after_today: bool = False) -> None:
    today = ctx.clock.today()
    if day is not None and (day <= today if after_today else day < today):
        when = "after today" if after_today else "today or later"
        raise ValidationProblem(f"The next review date must be {when}.", field="next_review_on")


async def update_plan(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: PlanUpdate,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Change the plan itself: its next review date (null: none)."""
    changes = data.model_dump(exclude_unset=True, exclude={"reason"})
    _not_past(changes.get("next_review_on"), ctx)

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        fields = changed_fields(loaded.plan, changes)
        return "CarePlan", loaded.plan.id, "U", {"fields": sorted(fields)}

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason, change, settings=settings
    )


async def record_review(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: ReviewRecord,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Record that the team has reviewed the plan (who, when) and when to review it next; what
    made it due counts again only from now."""
    _not_past(data.next_review_on, ctx, after_today=True)

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        plan = loaded.plan
        plan.last_reviewed_at, plan.last_reviewed_by = ctx.now(), ctx.user_id
        plan.next_review_on = data.next_review_on
        loaded.reviewed_by = ctx.full_name or ctx.username
        detail = {"reviewed": True, "next_review_on": data.next_review_on.isoformat()}
        return "CarePlan", plan.id, "U", detail

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason or "Reviewed", change, settings=settings
    )


async def plans_due_for_review(
    session: AsyncSession, ctx: AccessContext, *, settings: TrajectorySettings | None = None
) -> list[DueForReview]:
    """The patients of my caseload whose care plan is due for review, with why: those with a
    safety alert first, then by how long the review date has passed. Six statements however
    big the caseload; one audit event for the list, and one read of each plan shown."""
    if Capability.read_care_plan not in permissions().team_grants(ctx.role):
        return []  # a role that reads no care plan (a community partner) has none due
    rows = await repo.caseload_plans(session, ctx)
    ids = [row.patient_id for row in rows]
    scores = await plan_reads.caseload_scores(session, ctx, ids)
    needs = await plan_reads.caseload_confirmed_needs(session, ctx, ids)
    alerts = await plan_reads.caseload_last_alerts(session, ctx, ids)
    enrolments = await careteams.caseload_enrolment_starts(session, ctx, ids)
    due = []
    for row in rows:
        review = review_of(
            next_review_on=row.next_review_on,
            last_reviewed_at=row.last_reviewed_at,
            created_at=row.created_at,
            ctx=ctx,
            facts=facts_of_caseload(
                row.patient_id, scores=scores, enrolments=enrolments, needs=needs, alerts=alerts
            ),
            settings=settings or TrajectorySettings(),
        )
        if review.due:
            due.append(
                DueForReview(
                    patient_id=row.patient_id,
                    display_name=display_name(row.given_name, row.family_name, row.preferred_name),
                    plan_id=row.id,
                    version=row.version,
                    next_review_on=row.next_review_on,
                    last_reviewed_at=row.last_reviewed_at,
                    reasons=review.reasons,
                )
            )
    due.sort(key=_urgency)
    _audit(session, ctx, due)
    return due


def _urgency(item: DueForReview) -> tuple[bool, date]:
    alert = any(reason.code == ReviewReason.safety_alert for reason in item.reasons)
    return (not alert, item.next_review_on or date.max)


def _audit(session: AsyncSession, ctx: AccessContext, due: list[DueForReview]) -> None:
    # One query event for the list (IHE BALP "Query", as the caseload's), and a read of each
    # plan shown, on that patient's own access log: the reasons say something of their chart.
    audit.record(
        session,
        ctx,
        action="E",
        record_type="CarePlansDueForReview",
        detail={"patients": [str(item.patient_id) for item in due]},
    )
    for item in due:
        audit.record(
            session,
            ctx,
            action="R",
            record_type="CarePlan",
            record_id=item.plan_id,
            patient_id=item.patient_id,
            detail={"review_due": [reason.code for reason in item.reasons]},
        )

"""Goals and their activities: add, change, and mark entered in error, each a change of the
plan (careplans.service.change_plan)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.assessments.service import needs as needs_service
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.capabilities import Capability
from tandem.careplans.models import CareActivity, Goal, GoalNeed
from tandem.careplans.rules import check_responsible
from tandem.careplans.rules.targets import TARGET_FIELDS, check_target, retarget
from tandem.careplans.schemas import (
    ActivityCreate,
    ActivityUpdate,
    GoalCreate,
    GoalUpdate,
    MarkInError,
    PlanRead,
    Responsible,
)
from tandem.careplans.service import ENTERED_IN_ERROR, Done, Loaded, change_plan
from tandem.careplans.vocab import ResponsibleKind
from tandem.careteams import service as careteams
from tandem.errors import ValidationProblem
from tandem.ids import new_id
from tandem.people import service as people


async def _check_addresses(
    session: AsyncSession, access: PatientAccess, need_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """The needs a goal addresses must be this patient's own, open needs (422 on addresses)."""
    wanted = list(dict.fromkeys(need_ids))
    if wanted:
        open_needs = await needs_service.addressable_need_ids(session, access)
        if any(need_id not in open_needs for need_id in wanted):
            raise ValidationProblem(
                "A goal addresses only this patient's own needs, neither dismissed nor entered "
                "in error.",
                field="addresses",
            )
    return wanted


def _not_blank(changes: dict[str, Any], *required: str) -> None:
    """A field a change names but leaves empty is refused, naming it."""
    for name in required:
        if name in changes and changes[name] is None:
            raise ValidationProblem(f"{name.capitalize()} cannot be blank.", field=name)


def _active_links(loaded: Loaded, goal: Goal) -> dict[uuid.UUID, GoalNeed]:
    return {
        link.need_id: link
        for link in loaded.links
        if link.goal_id == goal.id and link.status == "active"
    }


def _link(loaded: Loaded, goal: Goal, need_ids: list[uuid.UUID]) -> list[GoalNeed]:
    """Make the goal's active links exactly ``need_ids``: old ones ended; the new ones
    returned, to be added."""
    current = _active_links(loaded, goal)
    for need_id, link in current.items():
        if need_id not in need_ids:
            link.status = "ended"
    added = [
        GoalNeed(
            id=new_id(),
            goal_id=goal.id,
            need_id=need_id,
            patient_id=goal.patient_id,
            status="active",
        )
        for need_id in need_ids
        if need_id not in current
    ]
    loaded.links.extend(added)
    return added


async def _responsible_name(
    session: AsyncSession, access: PatientAccess, responsible: Responsible
) -> str:
    """Who the responsible party is, checked to be one this patient's plan may name (422 on
    ``responsible``)."""
    check_responsible(responsible)
    name: str | None
    if responsible.kind == ResponsibleKind.team_member:
        assert responsible.user_id is not None
        name = await careteams.active_member_name(session, access, responsible.user_id)
        problem = "The responsible team member must be an active member of this patient's team."
    elif responsible.kind == ResponsibleKind.organisation:
        assert responsible.organization_id is not None
        name = await people.organization_name(session, responsible.organization_id)
        problem = "No such organisation."
    elif responsible.kind == ResponsibleKind.related_person:
        assert responsible.related_person_id is not None
        name = await people.active_related_person_name(
            session, access, responsible.related_person_id
        )
        problem = "The responsible person must be one of this patient's active related persons."
    else:
        return "The patient"
    if name is None:
        raise ValidationProblem(problem, field="responsible")
    return name


def responsible_on_team(access: PatientAccess, responsible: Responsible) -> bool | None:
    """A team member just checked to be on the team is (as a read of the plan would say)."""
    if responsible.kind != ResponsibleKind.team_member:
        return None
    return True if access.can(Capability.read_care_team) else None


def set_responsible(activity: CareActivity, responsible: Responsible) -> None:
    activity.responsible_kind = responsible.kind
    activity.responsible_user_id = responsible.user_id
    activity.responsible_organization_id = responsible.organization_id
    activity.responsible_related_person_id = responsible.related_person_id


def _live_goal(loaded: Loaded, goal_id: uuid.UUID) -> Goal:
    goal = loaded.goal(goal_id)
    if goal.status == ENTERED_IN_ERROR:
        raise ValidationProblem("This goal was entered in error.", field="status")
    return goal


def _live_activity(loaded: Loaded, activity_id: uuid.UUID) -> CareActivity:
    activity = loaded.activity(activity_id)
    if activity.status == ENTERED_IN_ERROR:
        raise ValidationProblem("This activity was entered in error.", field="status")
    return activity


def _no_error_status(status: Any) -> None:
    if status == ENTERED_IN_ERROR:
        raise ValidationProblem(
            "Mark a record entered in error with its own request, giving the reason.",
            field="status",
        )


def changed_fields(record: Any, changes: dict[str, Any]) -> dict[str, bool]:
    """Set the fields that differ; the names of those changed, for the audit event."""
    fields: dict[str, bool] = {}
    for name, value in changes.items():
        if getattr(record, name) != value:
            fields[name] = True
            setattr(record, name, value)
    return fields


async def add_goal(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: GoalCreate,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Add a goal to the plan, with the patient's needs it addresses and, if it has one, its
    measurable target (whose achievement is then worked out from the scores)."""
    _no_error_status(data.status)
    check_target(
        data.target_measure,
        data.target_comparator,
        data.target_score,
        achievement_given="achievement" in data.model_fields_set,
    )

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        need_ids = await _check_addresses(session, access, data.addresses)
        now = ctx.now()
        goal = Goal(
            id=new_id(),
            plan_id=loaded.plan.id,
            patient_id=patient_id,
            description=data.description,
            target=data.target,
            target_date=data.target_date,
            target_measure=data.target_measure,
            target_comparator=data.target_comparator,
            target_score=data.target_score,
            target_set_on=ctx.clock.today() if data.target_measure else None,
            status=data.status,
            achievement=data.achievement,
            created_at=now,
            updated_at=now,
        )
        session.add(goal)
        loaded.goals.append(goal)
        await session.flush()
        session.add_all(_link(loaded, goal, need_ids))
        return "Goal", goal.id, "C", None

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason, change, settings=settings
    )


async def update_goal(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: GoalUpdate,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Change a goal: its words, target, lifecycle, achievement or the needs it addresses."""
    changes = data.model_dump(exclude_unset=True, exclude={"reason", "addresses"})
    _not_blank(changes, "description", "status", "achievement")
    _no_error_status(changes.get("status"))

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        goal = _live_goal(loaded, goal_id)
        current = {name: getattr(goal, name) for name in TARGET_FIELDS}
        changes.update(retarget(current, changes, today=ctx.clock.today()))
        fields = changed_fields(goal, changes)
        if data.addresses is not None:
            need_ids = await _check_addresses(session, access, data.addresses)
            if set(_active_links(loaded, goal)) != set(need_ids):
                fields["addresses"] = True
            session.add_all(_link(loaded, goal, need_ids))
        if fields:
            goal.updated_at = ctx.now()
        return "Goal", goal.id, "U", {"fields": sorted(fields)}

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason, change, settings=settings
    )


async def mark_goal_entered_in_error(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: MarkInError,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Mark a goal entered in error, with its activities; nothing is deleted."""

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        goal = _live_goal(loaded, goal_id)
        now = ctx.now()
        goal.status, goal.status_reason, goal.updated_at = ENTERED_IN_ERROR, data.reason, now
        for activity in loaded.activities:
            if activity.goal_id == goal.id and activity.status != ENTERED_IN_ERROR:
                activity.status, activity.status_reason = ENTERED_IN_ERROR, data.reason
                activity.updated_at = now
        return "Goal", goal.id, "U", {"status": ENTERED_IN_ERROR}

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason, change, settings=settings
    )


async def add_activity(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: ActivityCreate,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Add an activity towards a goal, with the one party responsible for it."""
    _no_error_status(data.status)

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        goal = _live_goal(loaded, goal_id)
        name = await _responsible_name(session, access, data.responsible)
        now = ctx.now()
        activity = CareActivity(
            id=new_id(),
            goal_id=goal.id,
            plan_id=loaded.plan.id,
            patient_id=patient_id,
            title=data.title,
            kind=data.kind,
            due_on=data.due_on,
            status=data.status,
            created_at=now,
            updated_at=now,
        )
        set_responsible(activity, data.responsible)
        session.add(activity)
        loaded.activities.append(activity)
        loaded.names[activity.id] = name
        loaded.on_team[activity.id] = responsible_on_team(access, data.responsible)
        return "CareActivity", activity.id, "C", None

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason, change, settings=settings
    )


async def update_activity(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
    data: ActivityUpdate,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Change an activity: its title, kind, who is responsible, when it is due, its status."""
    changes = data.model_dump(exclude_unset=True, exclude={"reason", "responsible"})
    _not_blank(changes, "title", "kind", "status")
    if "responsible" in data.model_fields_set and data.responsible is None:
        raise ValidationProblem("An activity needs a responsible party.", field="responsible")
    _no_error_status(changes.get("status"))

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        activity = _live_activity(loaded, activity_id)
        fields = changed_fields(activity, changes)
        if data.responsible is not None:
            loaded.names[activity.id] = await _responsible_name(session, access, data.responsible)
            loaded.on_team[activity.id] = responsible_on_team(access, data.responsible)
            before = _party(activity)
            set_responsible(activity, data.responsible)
            if _party(activity) != before:
                fields["responsible"] = True
        if fields:
            activity.updated_at = ctx.now()
        return "CareActivity", activity.id, "U", {"fields": sorted(fields)}

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason, change, settings=settings
    )


def _party(activity: CareActivity) -> tuple[Any, ...]:
    return (
        activity.responsible_kind,
        activity.responsible_user_id,
        activity.responsible_organization_id,
        activity.responsible_related_person_id,
    )


async def mark_activity_entered_in_error(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
    data: MarkInError,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Mark an activity entered in error; nothing is deleted."""

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        activity = _live_activity(loaded, activity_id)
        activity.status, activity.status_reason = ENTERED_IN_ERROR, data.reason
        activity.updated_at = ctx.now()
        return "CareActivity", activity.id, "U", {"status": ENTERED_IN_ERROR}

    return await change_plan(
        session, ctx, patient_id, if_match, data.reason, change, settings=settings
    )

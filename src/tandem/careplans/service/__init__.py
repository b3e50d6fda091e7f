"""Care plan use cases: read and create the plan, and the one way every change is made (based
on a version, the plan's version moved on, a snapshot written, all in one transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.capabilities import Capability
from tandem.careplans import repository as repo
from tandem.careplans.checks import plan_checks
from tandem.careplans.models import (
    CareActivity,
    CarePlan,
    CarePlanVersion,
    Goal,
    GoalNeed,
    SafetyPlan,
    SafetyPlanEntry,
)
from tandem.careplans.rules import based_on
from tandem.careplans.schemas import (
    ActivityRead,
    GoalRead,
    PlanAgreement,
    PlanCreate,
    PlanRead,
    ResponsibleRead,
)
from tandem.careplans.service.progress import (
    View,
    achievement,
    need_facts,
    read_facts,
    review_of,
)
from tandem.careplans.service.safety_read import (
    load_safety_plan,
    safety_plan_read,
    safety_snapshot,
)
from tandem.careplans.vocab import PlanStatus, ResponsibleKind
from tandem.errors import Conflict, NotFound, PreconditionFailed
from tandem.ids import new_id
from tandem.people.schemas import PatientContactRead, PatientRead
from tandem.records import flush_unique

ENTERED_IN_ERROR = "entered-in-error"
_DEFAULT = TrajectorySettings()

# What each uniqueness rule of the plan says when two changes race for it.
UNIQUE_RULES = {
    "uq_care_plan_active_patient": (
        "This patient already has a care plan; change it instead.",
        "patient_id",
    ),
    "uq_care_plan_version_plan_version": (
        "Someone else changed the plan at the same moment. Reload it and make your change again.",
        "If-Match",
    ),
    "uq_goal_need_active": ("This goal already addresses this need.", "addresses"),
    "uq_safety_plan_plan": (
        "Someone else started the safety plan at the same moment. Reload it and make your "
        "change again.",
        "If-Match",
    ),
}


@dataclass
class Loaded:
    """A patient's current plan with every goal, need link and activity (entered in error
    included: a change may name one)."""

    plan: CarePlan
    updated_by: str | None
    goals: list[Goal]
    links: list[GoalNeed]
    activities: list[CareActivity]
    names: dict[uuid.UUID, str] = field(default_factory=dict)  # activity id -> responsible
    # Activity id -> whether its responsible team member is still on the team (None: not a
    # team member's, or the caller may not see the team).
    on_team: dict[uuid.UUID, bool | None] = field(default_factory=dict)
    reviewed_by: str | None = None
    # (agreement, family member's name, recorder's name), newest version first.
    agreements: list[Any] = field(default_factory=list)
    safety_plan: SafetyPlan | None = None
    # The safety plan's entries on the plan, in order, and who last went through it with the
    # patient and who changed it last.
    safety_entries: list[SafetyPlanEntry] = field(default_factory=list)
    safety_reviewed_by: str | None = None
    safety_updated_by: str | None = None

    def goal(self, goal_id: uuid.UUID) -> Goal:
        for goal in self.goals:
            if goal.id == goal_id:
                return goal
        raise NotFound("goal")

    def activity(self, activity_id: uuid.UUID) -> CareActivity:
        for activity in self.activities:
            if activity.id == activity_id:
                return activity
        raise NotFound("activity")


async def load(session: AsyncSession, access: PatientAccess) -> Loaded | None:
    """The current plan in six statements, however many goals, activities, agreements and
    safety plan entries it has."""
    row = await repo.current_plan(session, access)
    if row is None:
        return None
    plan, updated_by, reviewed_by = row
    goals = list(await repo.goals(session, access, plan.id))
    links = list(await repo.links(session, access, plan.id))
    loaded = Loaded(plan, updated_by, goals, links, [], reviewed_by=reviewed_by)
    with_team = access.can(Capability.read_care_team)
    for activity, user, org, person, *membership in await repo.activities(
        session, access, plan.id, with_team=with_team
    ):
        loaded.activities.append(activity)
        loaded.names[activity.id] = _party_name(activity.responsible_kind, user, org, person)
        if with_team and activity.responsible_kind == ResponsibleKind.team_member:
            loaded.on_team[activity.id] = membership[0] is not None
    loaded.agreements = list(await repo.agreements(session, access, plan.id))
    await load_safety_plan(session, access, loaded)
    return loaded


def agreed_by_name(agreement: Any, person: str | None) -> str:
    return "The patient" if agreement.agreed_by == "patient" else person or "A family member"


def latest_agreement(loaded: Loaded) -> PlanAgreement | None:
    """The newest live agreement, and how many versions were saved since."""
    for agreement, person, _recorder in loaded.agreements:
        if agreement.status == "active":
            return PlanAgreement(
                version=agreement.version,
                name=agreed_by_name(agreement, person),
                method=agreement.method,
                agreed_on=agreement.agreed_on,
                changes_since=loaded.plan.version - agreement.version,
            )
    return None


def _party_name(kind: str, user: str | None, org: str | None, person: str | None) -> str:
    if kind == ResponsibleKind.patient:
        return "The patient"
    return {"team_member": user, "organisation": org, "related_person": person}.get(kind) or "—"


def plan_read(loaded: Loaded, view: View | None = None) -> PlanRead:
    """The plan as the API shows it: goals and activities entered in error left out; with a
    ``view`` (its facts, now), the achievement worked out from the scores, the checks and the
    review."""
    needs: dict[uuid.UUID, list[uuid.UUID]] = {}
    for link in loaded.links:
        if link.status == "active":
            needs.setdefault(link.goal_id, []).append(link.need_id)
    activities: dict[uuid.UUID, list[ActivityRead]] = {}
    for activity in loaded.activities:
        if activity.status == ENTERED_IN_ERROR:
            continue
        activities.setdefault(activity.goal_id, []).append(
            ActivityRead(
                id=activity.id,
                goal_id=activity.goal_id,
                title=activity.title,
                kind=activity.kind,
                responsible=ResponsibleRead(
                    kind=activity.responsible_kind,
                    user_id=activity.responsible_user_id,
                    organization_id=activity.responsible_organization_id,
                    related_person_id=activity.responsible_related_person_id,
                    name=loaded.names.get(activity.id, "—"),
                    on_team=loaded.on_team.get(activity.id),
                ),
                due_on=activity.due_on,
                status=activity.status,
            )
        )
    plan = loaded.plan
    goals = [
        _goal_read(goal, view, sorted(needs.get(goal.id, []), key=str), activities.get(goal.id, []))
        for goal in loaded.goals
        if goal.status != ENTERED_IN_ERROR
    ]
    read = PlanRead(
        id=plan.id,
        patient_id=plan.patient_id,
        status=plan.status,
        version=plan.version,
        next_review_on=plan.next_review_on,
        last_reviewed_at=plan.last_reviewed_at,
        last_reviewed_by=loaded.reviewed_by,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        updated_by=loaded.updated_by,
        agreement=latest_agreement(loaded),
        goals=goals,
        safety_plan=safety_plan_read(loaded),
    )
    if view is not None:
        ctx, facts = view.ctx, view.facts
        read.checks = plan_checks(goals, need_facts(facts.needs, ctx), today=view.today)
        read.review = review_of(
            next_review_on=plan.next_review_on,
            last_reviewed_at=plan.last_reviewed_at,
            created_at=plan.created_at,
            ctx=ctx,
            facts=facts,
            settings=view.settings,
        )
        read.review.last_reviewed_by = loaded.reviewed_by
    return read


def _goal_read(
    goal: Goal, view: View | None, addresses: list[uuid.UUID], activities: list[ActivityRead]
) -> GoalRead:
    shown, basis = achievement(goal, view)
    return GoalRead(
        id=goal.id,
        description=goal.description,
        target=goal.target,
        target_date=goal.target_date,
        target_measure=goal.target_measure,
        target_comparator=goal.target_comparator,
        target_score=goal.target_score,
        target_set_on=goal.target_set_on,
        status=goal.status,
        achievement=shown,
        achievement_computed=basis is not None,
        achievement_basis=basis,
        addresses=addresses,
        activities=activities,
    )


# What the plan shows but nobody wrote, left out of its versions: worked out again from the
# scores and the team each time it is read.
DERIVED = {"achievement_computed", "achievement_basis"}


def snapshot_of(read: PlanRead) -> dict[str, Any]:
    """What a version keeps: the plan's own fields, every goal with its activities, as the
    team wrote them (a computed achievement, the checks and the review are not kept), and the
    safety plan with the crisis lines it listed then."""
    whole = read.model_dump(mode="json")
    goals = []
    for goal in whole["goals"]:
        kept = {name: value for name, value in goal.items() if name not in DERIVED}
        if goal["achievement_computed"]:
            del kept["achievement"]
        for activity in kept["activities"]:
            activity["responsible"].pop("on_team", None)
        goals.append(kept)
    snapshot: dict[str, Any] = {
        "plan": {
            "id": whole["id"],
            "status": whole["status"],
            "next_review_on": whole["next_review_on"],
            "last_reviewed_at": whole["last_reviewed_at"],
        },
        "goals": goals,
    }
    if whole.get("safety_plan") is not None:
        snapshot["safety_plan"] = safety_snapshot(whole["safety_plan"])
    return snapshot


async def _require_reader(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> PatientAccess:
    return await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)


async def get_plan(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    settings: TrajectorySettings | None = None,
    header: PatientRead | PatientContactRead | None = None,
) -> PlanRead:
    """The patient's current plan with its goals and activities, each measurable goal's
    achievement worked out from the scores, the plan's checks and whether it is due for
    review. A page that has read the chart ``header`` passes it (its enrolment is not read
    again)."""
    access = await _require_reader(session, ctx, patient_id)
    loaded = await load(session, access)
    if loaded is None:
        raise NotFound("care plan")
    chart = header if isinstance(header, PatientRead) else None
    facts = await read_facts(session, access, header=chart)
    read = plan_read(loaded, View(facts, ctx, settings or _DEFAULT))
    # The route names the patient: the event names them, the plan and version read, and what
    # of the rest of the chart its computed parts rest on.
    audit_patient(
        session,
        ctx,
        access,
        "CarePlan",
        detail={"plan": str(loaded.plan.id), "version": loaded.plan.version, "with": facts.read},
    )
    return read


def _write_version(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    read: PlanRead,
    reason: str | None,
) -> None:
    session.add(
        CarePlanVersion(
            id=new_id(),
            plan_id=read.id,
            patient_id=access.patient_id,
            version=read.version,
            snapshot=snapshot_of(read),
            changed_at=read.updated_at,
            changed_by=ctx.user_id,
            reason=reason,
        )
    )


async def create_plan(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: PlanCreate,
    fill: Change | None = None,
    *,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Start the patient's care plan at version 1 (409 when they already have one), with what
    ``fill`` adds to it (a template's goals and activities) in that same first version."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    if await repo.current_plan(session, access) is not None:
        raise Conflict(
            "This patient already has a care plan; change it instead.", field="patient_id"
        )
    now = ctx.now()
    plan = CarePlan(
        id=new_id(),
        patient_id=patient_id,
        status=PlanStatus.active,
        version=1,
        next_review_on=data.next_review_on,
        created_at=now,
        created_by=ctx.user_id,
        updated_at=now,
        updated_by=ctx.user_id,
    )
    session.add(plan)
    await flush_unique(session, UNIQUE_RULES)
    facts = await read_facts(session, access)
    view = View(facts, ctx, settings or _DEFAULT)
    loaded = Loaded(plan, ctx.full_name or ctx.username, [], [], [])
    detail = None
    if fill is not None:
        *_, detail = await fill(loaded, access)
        await flush_unique(session, UNIQUE_RULES)
    read = plan_read(loaded, view)
    _write_version(session, ctx, access, read, data.reason)
    await flush_unique(session, UNIQUE_RULES)
    audit_patient(session, ctx, access, "CarePlan", plan.id, action="C", detail=detail)
    return read


def stale(version: int, changed_at: Any, changed_by: str | None) -> PreconditionFailed:
    return PreconditionFailed(
        f"The plan has changed since you read it: it is now at version {version}"
        + (f", changed by {changed_by}" if changed_by else "")
        + ". Reload it and make your change again.",
        field="If-Match",
        current_version=version,
        changed_by=changed_by,
        changed_at=changed_at.isoformat() if changed_at else None,
    )


# A change to one part of the plan: given the loaded plan and the proof, it makes its change on
# the ORM rows (flushed by the caller) and says what it changed: (record type, record id,
# action, detail).
Done = tuple[str, uuid.UUID, str, dict[str, Any] | None]
Change = Callable[[Loaded, PatientAccess], Awaitable[Done]]


async def change_plan(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    if_match: str | None,
    reason: str | None,
    change: Change,
    *,
    settings: TrajectorySettings | None = None,
) -> PlanRead:
    """Make one change to the plan: based on the version ``if_match`` names (428 without it,
    412 when it is not the current one), moving the plan to the next version with a
    conditional UPDATE and keeping the snapshot, all in the request's one transaction."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    expected = based_on(if_match)
    loaded = await load(session, access)
    if loaded is None:
        raise NotFound("care plan")
    plan = loaded.plan
    if plan.version != expected:
        raise stale(plan.version, plan.updated_at, loaded.updated_by)
    now = ctx.now()
    # First the plan's row: of changes racing from one version, one moves it on; the others
    # wait for its lock, then find the version gone and are refused before writing anything.
    if not await repo.bump(session, access, plan.id, expected=expected, at=now, by=ctx.user_id):
        head = await repo.plan_head(session, access, plan.id)
        raise stale(head.version, head.updated_at, head.full_name)
    for name, value in (
        ("version", expected + 1),
        ("updated_at", now),
        ("updated_by", ctx.user_id),
    ):
        set_committed_value(plan, name, value)
    loaded.updated_by = ctx.full_name or ctx.username
    record_type, record_id, action, detail = await change(loaded, access)
    await flush_unique(session, UNIQUE_RULES)
    read = plan_read(loaded, View(await read_facts(session, access), ctx, settings or _DEFAULT))
    _write_version(session, ctx, access, read, reason)
    await flush_unique(session, UNIQUE_RULES)
    audit_patient(
        session,
        ctx,
        access,
        record_type,
        record_id,
        action=action,
        detail={"plan_version": read.version, "reason": reason, **(detail or {})},
    )
    return read


async def has_safety_plan(session: AsyncSession, access: PatientAccess) -> bool:
    """Whether the patient's care plan has a safety plan with anything on it (the chart flags a
    safety alert without one). The caller has proven read_care_plan and audited the chart."""
    return await repo.has_safety_plan(session, access)

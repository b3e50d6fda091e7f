"""Every query on care plans, each scoped by a proof of access and built once (CONTRIBUTING 9c)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.scope import (
    RELATIONSHIP_USER,
    as_caller,
    as_proven,
    caseload_filter,
    may_use_emergency_access,
    patient_filter,
)
from tandem.careplans.models import (
    CareActivity,
    CarePlan,
    CarePlanAgreement,
    CarePlanVersion,
    Goal,
    GoalNeed,
    SafetyPlan,
    SafetyPlanEntry,
)
from tandem.careplans.vocab import ENDED_ACTIVITY, EntryStatus, PlanStatus
from tandem.careteams.models import CareTeamMember
from tandem.people.models import Organization, Patient, RelatedPerson, User
from tandem.vocab import RecordStatus

_PLAN_ID = bindparam("plan", type_=CarePlan.id.type)
Changer = aliased(User, name="care_plan_changer")
Reviewer = aliased(User, name="care_plan_reviewer")
# The responsible team member's membership of the patient's team, if it is still active.
Owner = aliased(CareTeamMember, name="care_activity_owner_membership")
SafetyReviewer = aliased(User, name="safety_plan_reviewer")
SafetyChanger = aliased(User, name="safety_plan_changer")

_PLAN = patient_filter(
    select(CarePlan, Changer.full_name, Reviewer.full_name)
    .outerjoin(Changer, Changer.id == CarePlan.updated_by)
    .outerjoin(Reviewer, Reviewer.id == CarePlan.last_reviewed_by)
    .where(CarePlan.status == "active"),
    CarePlan.patient_id,
)
_PLAN_HEAD = patient_filter(
    select(CarePlan.version, CarePlan.updated_at, Changer.full_name)
    .outerjoin(Changer, Changer.id == CarePlan.updated_by)
    .where(CarePlan.id == _PLAN_ID),
    CarePlan.patient_id,
)
_GOALS = patient_filter(select(Goal).where(Goal.plan_id == _PLAN_ID), Goal.patient_id).order_by(
    Goal.created_at, Goal.id
)
_LINKS = patient_filter(
    select(GoalNeed)
    .join(Goal, Goal.id == GoalNeed.goal_id)
    .where(Goal.plan_id == _PLAN_ID, GoalNeed.status == "active"),
    GoalNeed.patient_id,
    Goal.patient_id,
).order_by(GoalNeed.need_id)
_ACTIVITIES_OF = (
    select(CareActivity, User.full_name, Organization.name, RelatedPerson.name)
    .outerjoin(User, User.id == CareActivity.responsible_user_id)
    .outerjoin(Organization, Organization.id == CareActivity.responsible_organization_id)
    .outerjoin(RelatedPerson, RelatedPerson.id == CareActivity.responsible_related_person_id)
    .where(CareActivity.plan_id == _PLAN_ID)
    .order_by(CareActivity.created_at, CareActivity.id)
)
_ACTIVITIES = patient_filter(
    _ACTIVITIES_OF, CareActivity.patient_id, outer=(RelatedPerson.patient_id,)
)
# With whether each responsible team member is still on the team (one active membership at
# most: uq_care_team_member_active_user), for a caller who may see the team.
_ACTIVITIES_AND_TEAM = patient_filter(
    _ACTIVITIES_OF.add_columns(Owner.id).outerjoin(
        Owner,
        and_(
            Owner.user_id == CareActivity.responsible_user_id,
            Owner.patient_id == CareActivity.patient_id,
            Owner.status == RecordStatus.active,
        ),
    ),
    CareActivity.patient_id,
    outer=(RelatedPerson.patient_id, Owner.patient_id),
)
# The safety plan with the names of who reviewed and changed it, and its entries on the plan:
# one row per entry (one with no entry when it has none), one statement however many.
_SAFETY_PLAN = patient_filter(
    select(SafetyPlan, SafetyReviewer.full_name, SafetyChanger.full_name, SafetyPlanEntry)
    .outerjoin(SafetyReviewer, SafetyReviewer.id == SafetyPlan.reviewed_by)
    .outerjoin(SafetyChanger, SafetyChanger.id == SafetyPlan.updated_by)
    .outerjoin(
        SafetyPlanEntry,
        and_(
            SafetyPlanEntry.safety_plan_id == SafetyPlan.id,
            SafetyPlanEntry.status == EntryStatus.active,
        ),
    )
    .where(SafetyPlan.plan_id == _PLAN_ID),
    SafetyPlan.patient_id,
    outer=(SafetyPlanEntry.patient_id,),
).order_by(SafetyPlanEntry.position, SafetyPlanEntry.id)
# Whether the current plan's safety plan says anything: one entry on it is enough.
_HAS_SAFETY_PLAN = patient_filter(
    select(SafetyPlanEntry.id)
    .join(SafetyPlan, SafetyPlan.id == SafetyPlanEntry.safety_plan_id)
    .join(CarePlan, CarePlan.id == SafetyPlan.plan_id)
    .where(CarePlan.status == PlanStatus.active, SafetyPlanEntry.status == EntryStatus.active),
    SafetyPlanEntry.patient_id,
    SafetyPlan.patient_id,
    CarePlan.patient_id,
).limit(1)


Recorder = aliased(User, name="agreement_recorder")
_AGREEMENTS = patient_filter(
    select(CarePlanAgreement, RelatedPerson.name, Recorder.full_name)
    .outerjoin(RelatedPerson, RelatedPerson.id == CarePlanAgreement.related_person_id)
    .outerjoin(Recorder, Recorder.id == CarePlanAgreement.recorded_by)
    .where(CarePlanAgreement.plan_id == _PLAN_ID),
    CarePlanAgreement.patient_id,
    outer=(RelatedPerson.patient_id,),
).order_by(
    CarePlanAgreement.version.desc(), CarePlanAgreement.recorded_at.desc(), CarePlanAgreement.id
)
# The optimistic lock: the plan moves on only from the version the change was based on.
_BUMP = patient_filter(
    update(CarePlan)
    .where(CarePlan.id == _PLAN_ID, CarePlan.version == bindparam("expected"))
    .values(
        version=bindparam("next_version"),
        updated_at=bindparam("at"),
        updated_by=bindparam("by"),
    ),
    CarePlan.patient_id,
)
_VERSIONS = patient_filter(
    select(
        CarePlanVersion.version,
        CarePlanVersion.changed_at,
        Changer.full_name,
        CarePlanVersion.reason,
    )
    .outerjoin(Changer, Changer.id == CarePlanVersion.changed_by)
    .where(CarePlanVersion.plan_id == _PLAN_ID),
    CarePlanVersion.patient_id,
).order_by(CarePlanVersion.version)
_SNAPSHOTS = _VERSIONS.add_columns(CarePlanVersion.snapshot).where(
    CarePlanVersion.version.in_(bindparam("versions", expanding=True))
)


async def current_plan(session: AsyncSession, access: PatientAccess) -> Any | None:
    """The patient's current plan and the name of who changed it last."""
    rows = await session.execute(_PLAN, execution_options=as_proven(access))
    return rows.one_or_none()


async def plan_head(session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID) -> Any:
    """The plan's version as stored now, when and by whom it was last changed."""
    rows = await session.execute(_PLAN_HEAD, {"plan": plan_id}, execution_options=as_proven(access))
    return rows.one()


async def goals(session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID) -> Sequence[Goal]:
    rows = await session.execute(_GOALS, {"plan": plan_id}, execution_options=as_proven(access))
    return rows.scalars().all()


async def links(
    session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID
) -> Sequence[GoalNeed]:
    rows = await session.execute(_LINKS, {"plan": plan_id}, execution_options=as_proven(access))
    return rows.scalars().all()


async def activities(
    session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID, *, with_team: bool
) -> Any:
    """Each activity with the names of its responsible user, organisation and related person,
    and (``with_team``) the active membership of its responsible team member, if any."""
    stmt = _ACTIVITIES_AND_TEAM if with_team else _ACTIVITIES
    rows = await session.execute(stmt, {"plan": plan_id}, execution_options=as_proven(access))
    return rows.all()


async def agreements(session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID) -> Any:
    """Every agreement to the plan, newest version first, with who agreed and who recorded it."""
    rows = await session.execute(
        _AGREEMENTS, {"plan": plan_id}, execution_options=as_proven(access)
    )
    return rows.all()


async def bump(
    session: AsyncSession,
    access: PatientAccess,
    plan_id: uuid.UUID,
    *,
    expected: int,
    at: datetime,
    by: uuid.UUID | None,
) -> bool:
    """Move the plan from version ``expected`` to the next; False when it is no longer at
    ``expected`` (another change won). The row lock it takes serialises concurrent changes."""
    result = await session.execute(
        _BUMP,
        {"plan": plan_id, "expected": expected, "next_version": expected + 1, "at": at, "by": by},
        execution_options={**as_proven(access), "synchronize_session": False},
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def versions(session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID) -> Any:
    rows = await session.execute(_VERSIONS, {"plan": plan_id}, execution_options=as_proven(access))
    return rows.all()


async def snapshots(
    session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID, numbers: Sequence[int]
) -> Any:
    rows = await session.execute(
        _SNAPSHOTS,
        {"plan": plan_id, "versions": list(numbers)},
        execution_options=as_proven(access),
    )
    return rows.all()


# The current plans of the patients whose care team the caller is on (the caseload's rule).
_CASELOAD_PLANS = {
    emergency: caseload_filter(
        select(
            CarePlan.patient_id,
            CarePlan.id,
            CarePlan.version,
            CarePlan.next_review_on,
            CarePlan.last_reviewed_at,
            CarePlan.created_at,
            Patient.given_name,
            Patient.family_name,
            Patient.preferred_name,
        )
        .join(Patient, Patient.id == CarePlan.patient_id)
        .join(CareTeamMember, CareTeamMember.patient_id == CarePlan.patient_id)
        .where(
            CarePlan.status == "active",
            Patient.status == RecordStatus.active,
            CareTeamMember.user_id == bindparam(RELATIONSHIP_USER),
            CareTeamMember.status == RecordStatus.active,
        )
        .order_by(Patient.family_name, Patient.given_name, Patient.id),
        CarePlan.patient_id,
        Patient.id,
        CareTeamMember.patient_id,
        emergency=emergency,
    )
    for emergency in (False, True)
}


async def caseload_plans(session: AsyncSession, ctx: AccessContext) -> Sequence[Any]:
    """The current care plan of each patient on my caseload, with the patient's name."""
    stmt = _CASELOAD_PLANS[may_use_emergency_access(ctx)]
    return (await session.execute(stmt, execution_options=as_caller(ctx))).all()


async def safety_plan(session: AsyncSession, access: PatientAccess, plan_id: uuid.UUID) -> Any:
    """The plan's safety plan, who reviewed and changed it last, and its entries in order: one
    row per entry (the entry None when there are none); no rows without a safety plan."""
    rows = await session.execute(
        _SAFETY_PLAN, {"plan": plan_id}, execution_options=as_proven(access)
    )
    return rows.all()


async def has_safety_plan(session: AsyncSession, access: PatientAccess) -> bool:
    """Whether the patient's current care plan has a safety plan with at least one entry."""
    rows = await session.execute(_HAS_SAFETY_PLAN, execution_options=as_proven(access))
    return rows.first() is not None


# -- My responsibilities: the caller's own open activities across their caseload ------------

_NOT_OWED = sorted(ENDED_ACTIVITY)


@functools.lru_cache(maxsize=8)
def _mine(with_goal: bool, emergency: bool, by_org: bool) -> Any:
    """Open activities the caller is responsible for (or, ``my_org``, their organisation), of
    patients on their caseload, with the patient's name; the goal's words only ``with_goal`` (a
    role that may read the plan). Overdue and soonest due first. A partner may read no other
    table of the plan, not even in an EXISTS: an activity leaves this list by its own status
    (a goal entered in error takes its activities with it, and so must a plan)."""
    # Only a partner's statement asks for its organisation too: an OR with a NULL organisation
    # would leave PostgreSQL's generic plan of the prepared statement unable to use the index.
    owner: Any = CareActivity.responsible_user_id == bindparam(RELATIONSHIP_USER)
    if by_org:
        owner = or_(
            owner,
            and_(
                CareActivity.responsible_kind == "organisation",
                CareActivity.responsible_organization_id == bindparam("my_org"),
            ),
        )
    columns: list[Any] = [
        CareActivity.id,
        CareActivity.patient_id,
        CareActivity.title,
        CareActivity.kind,
        CareActivity.responsible_kind,
        CareActivity.due_on,
        CareActivity.status,
        Patient.given_name,
        Patient.family_name,
        Patient.preferred_name,
    ]
    stmt = (
        select(*columns)
        .join(Patient, Patient.id == CareActivity.patient_id)
        .where(owner, CareActivity.status.not_in(_NOT_OWED))
        .where(Patient.status == RecordStatus.active)
    )
    scoped = [CareActivity.patient_id, Patient.id]
    if with_goal:
        stmt = stmt.add_columns(Goal.description).join(Goal, Goal.id == CareActivity.goal_id)
        scoped.append(Goal.patient_id)
    stmt = caseload_filter(stmt, *scoped, emergency=emergency)
    return stmt.order_by(
        CareActivity.due_on.is_(None), CareActivity.due_on, Patient.family_name, CareActivity.id
    ).limit(bindparam("limit"))


async def my_activities(
    session: AsyncSession,
    ctx: AccessContext,
    *,
    with_goal: bool,
    organisation: uuid.UUID | None,
    limit: int,
) -> Sequence[Any]:
    """The caller's open activities (see _mine), at most ``limit``."""
    stmt = _mine(with_goal, may_use_emergency_access(ctx), organisation is not None)
    values: dict[str, Any] = {"limit": limit}
    if organisation is not None:
        values["my_org"] = organisation
    rows = await session.execute(stmt, values, execution_options=as_caller(ctx))
    return rows.all()

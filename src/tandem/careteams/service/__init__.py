"""Care-team use cases: list, add, change and end members; hand over the lead."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient, end_record
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.careteams import repository as repo
from tandem.careteams.models import CareTeamMember
from tandem.careteams.rules import check_end, check_member_kind, check_start
from tandem.careteams.schemas import MakeLead, MemberCreate, MemberEnd, MemberRead, MemberUpdate
from tandem.careteams.vocab import CareTeamRole
from tandem.errors import Conflict, NotFound, ValidationProblem
from tandem.ids import new_id
from tandem.people import service as people
from tandem.people.vocab import label
from tandem.records import current, flush_unique
from tandem.vocab import ProfessionalRole, RecordStatus


def _member_read(row: Any) -> MemberRead:
    member, user, person, org = row
    return MemberRead(
        id=member.id,
        patient_id=member.patient_id,
        role=member.role,
        user_id=member.user_id,
        related_person_id=member.related_person_id,
        name=user.full_name if user else (person.name if person else "—"),
        professional_role=user.role if user else None,
        organization_id=member.organization_id,
        organization=org.name if org else None,
        phone=(user.phone if user else person.phone if person else None),
        email=(user.email if user else person.email if person else None),
        start_date=member.start_date,
        end_date=member.end_date,
        status=member.status,
        end_reason=member.end_reason,
        version=member.version,
    )


# What each uniqueness rule of the team says when two changes race for it.
UNIQUE_RULES = {
    "uq_care_team_member_one_lead": (
        "This patient already has a lead care manager. Hand the lead over instead.",
        "role",
    ),
    "uq_care_team_member_active_user": (
        "This person is already on the team; change their role instead.",
        "user_id",
    ),
    "uq_care_team_member_active_person": (
        "This person is already on the team.",
        "related_person_id",
    ),
}


async def _require_team_manager(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> PatientAccess:
    """Licensed members of the team manage it; emergency (break-the-glass) access cannot."""
    return await require_patient(session, ctx, patient_id, capability=Capability.manage_care_team)


async def list_members(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> list[MemberRead]:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_team)
    audit_patient(session, ctx, access, "CareTeam")
    return [_member_read(row) for row in await repo.members(session, access)]


async def get_member(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, member_id: uuid.UUID
) -> MemberRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_team)
    member = await _read_one(session, access, member_id)
    audit_patient(session, ctx, access, "CareTeamMember", member.id)
    return member


async def _read_one(
    session: AsyncSession, access: PatientAccess, member_id: uuid.UUID
) -> MemberRead:
    for row in await repo.members(session, access):
        if row[0].id == member_id:
            return _member_read(row)
    raise NotFound("care-team member")


async def add_member(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: MemberCreate
) -> MemberRead:
    access = await _require_team_manager(session, ctx, patient_id)
    today = ctx.clock.today()
    start = data.start_date or today
    check_member_kind(
        data.role,
        has_user=data.user_id is not None,
        has_related_person=data.related_person_id is not None,
    )
    check_start(start, today=today, born=access.patient.birth_date)
    organization_id = data.organization_id
    if data.user_id is not None:
        user = await repo.user(session, data.user_id)
        if user is None or not user.active:
            raise ValidationProblem("No such active user.", field="user_id")
        if not permissions().team_grants(user.role):
            # Administrators and privacy officers see no chart, so they join no team.
            raise ValidationProblem(
                f"A {label(user.role).lower()} cannot join a care team.", field="user_id"
            )
        organization_id = organization_id or user.organization_id
        current = await repo.active_membership_of(session, access, user_id=user.id)
        if current:
            # One person, one role on a team: keeps the caseload and the team list unambiguous.
            raise Conflict(
                f"{user.full_name} is already on the team as {current[0].role.replace('_', ' ')}; "
                "change their role instead.",
                field="user_id",
            )
    if data.related_person_id is not None:
        name = await people.active_related_person_name(session, access, data.related_person_id)
        if name is None:
            raise ValidationProblem(
                "No such related person for this patient.", field="related_person_id"
            )
        if await repo.active_membership_of(
            session, access, related_person_id=data.related_person_id
        ):
            raise Conflict(f"{name} is already on the team.", field="related_person_id")
    if organization_id and not await people.organization_exists(session, organization_id):
        raise ValidationProblem("No such organisation.", field="organization_id")
    if data.role == CareTeamRole.lead_care_manager:
        lead = await repo.active_lead(session, access)
        if lead is not None:
            raise Conflict(
                "This patient already has a lead care manager. Hand the lead over instead.",
                field="role",
            )
    member = CareTeamMember(
        id=new_id(),
        patient_id=patient_id,
        role=data.role,
        user_id=data.user_id,
        related_person_id=data.related_person_id,
        organization_id=organization_id,
        start_date=start,
        status=RecordStatus.active,
        created_at=ctx.now(),
    )
    session.add(member)
    await _flush_unique_lead(session)
    audit_patient(
        session, ctx, access, "CareTeamMember", member.id, action="C", detail={"role": member.role}
    )
    return await _read_one(session, access, member.id)


async def _flush_unique_lead(session: AsyncSession) -> None:
    """The database's partial unique indexes are the last word on "one lead at a time" and
    "one membership per person"."""
    await flush_unique(session, UNIQUE_RULES)


async def update_member(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    member_id: uuid.UUID,
    data: MemberUpdate,
) -> MemberRead:
    access = await _require_team_manager(session, ctx, patient_id)
    member = current(
        await repo.member(session, access, member_id), data.version, "care-team member"
    )
    if member.status != RecordStatus.active:
        raise ValidationProblem("This membership has ended.", field="status")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if changes.get("role") is None:
        changes.pop("role", None)
    if "role" in changes:
        check_member_kind(
            changes["role"],
            has_user=member.user_id is not None,
            has_related_person=member.related_person_id is not None,
        )
        if member.role == CareTeamRole.lead_care_manager and changes["role"] != member.role:
            raise ValidationProblem(
                "Hand the lead over to another care manager before changing this role.",
                field="role",
            )
        if changes["role"] == CareTeamRole.lead_care_manager and member.role != changes["role"]:
            lead = await repo.active_lead(session, access)
            if lead is not None:
                raise Conflict("This patient already has a lead care manager.", field="role")
    org_id = changes.get("organization_id")
    if org_id and not await people.organization_exists(session, org_id):
        raise ValidationProblem("No such organisation.", field="organization_id")
    for key, value in changes.items():
        setattr(member, key, value)
    await _flush_unique_lead(session)
    audit_patient(
        session,
        ctx,
        access,
        "CareTeamMember",
        member.id,
        action="U",
        detail={"changed": sorted(changes)},
    )
    return await _read_one(session, access, member.id)


async def end_member(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    member_id: uuid.UUID,
    data: MemberEnd,
) -> MemberRead:
    """End a membership (or mark it entered in error); the lead must be handed over first."""
    access = await _require_team_manager(session, ctx, patient_id)
    member = current(
        await repo.member(session, access, member_id), data.version, "care-team member"
    )
    if member.status != RecordStatus.active:
        raise ValidationProblem("This membership has already ended.", field="status")
    if member.role == CareTeamRole.lead_care_manager:
        raise ValidationProblem(
            "A patient always has a lead care manager: hand the lead over instead.", field="role"
        )
    end = data.end_date or ctx.clock.today()
    check_end(member.start_date, end, today=ctx.clock.today(), born=access.patient.birth_date)
    await end_record(
        session,
        ctx,
        access,
        member,
        "CareTeamMember",
        status=RecordStatus.entered_in_error if data.entered_in_error else RecordStatus.inactive,
        reason=data.reason,
        end_date=end,
        end_reason=data.reason,
    )
    return await _read_one(session, access, member.id)


async def make_lead(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: MakeLead
) -> MemberRead:
    """Hand over the lead: the old lead's membership ends, the new lead's begins, atomically."""
    access = await _require_team_manager(session, ctx, patient_id)
    user = await repo.user(session, data.user_id)
    if user is None or not user.active or user.role != "care_manager":
        raise ValidationProblem("The new lead must be an active care manager.", field="user_id")
    today, now = ctx.clock.today(), ctx.now()
    lead = await repo.active_lead(session, access)
    if lead is not None:
        if lead.user_id == user.id:
            raise Conflict(f"{user.full_name} is already the lead care manager.", field="user_id")
        lead.status = "inactive"
        lead.end_date = today
        lead.end_reason = f"Lead handed over: {data.reason}"
        await session.flush()
        audit_patient(
            session,
            ctx,
            access,
            "CareTeamMember",
            lead.id,
            action="U",
            detail={"status": "inactive", "reason": lead.end_reason},
        )
    for previous in await repo.active_membership_of(session, access, user_id=user.id):
        previous.status = "inactive"
        previous.end_date = today
        previous.end_reason = "Became lead care manager"
        await session.flush()
        audit_patient(
            session,
            ctx,
            access,
            "CareTeamMember",
            previous.id,
            action="U",
            detail={"status": "inactive", "reason": previous.end_reason},
        )
    member = CareTeamMember(
        id=new_id(),
        patient_id=patient_id,
        role=CareTeamRole.lead_care_manager,
        user_id=user.id,
        organization_id=user.organization_id,
        start_date=today,
        status=RecordStatus.active,
        created_at=now,
    )
    session.add(member)
    await _flush_unique_lead(session)
    audit_patient(
        session,
        ctx,
        access,
        "CareTeamMember",
        member.id,
        action="C",
        detail={"role": member.role, "reason": data.reason},
    )
    return await _read_one(session, access, member.id)


# -- what other domains ask of the care team (its named surface) --------------------------


async def safety_contacts(session: AsyncSession, access: PatientAccess) -> list[uuid.UUID]:
    """Whom to tell of a safety alert: the lead care manager; with no lead, every active staff
    member of the team."""
    members = await repo.active_membership_of(session, access)
    staff = [m.user_id for m in members if m.user_id is not None]
    leads = [m.user_id for m in members if m.role == "lead_care_manager" and m.user_id]
    return leads or staff


async def current_team(session: AsyncSession, access: PatientAccess) -> list[MemberRead]:
    """The patient's active team members whose accounts are open, with their names, roles,
    organisations and telephone numbers, for a service that has proven and audits the read
    (the care plan's template and its printed copy)."""
    return [
        _member_read(row)
        for row in await repo.members(session, access)
        if row[0].status == RecordStatus.active and (row[1] is None or row[1].active)
    ]


async def active_member_name(
    session: AsyncSession, access: PatientAccess, user_id: uuid.UUID
) -> str | None:
    """The name of a user who is an active member of the patient's team, else None."""
    if not await repo.active_membership_of(session, access, user_id=user_id):
        return None
    user = await repo.user(session, user_id)
    return user.full_name if user is not None and user.active else None


async def active_staff(
    session: AsyncSession, access: PatientAccess
) -> list[tuple[uuid.UUID, str, str]]:
    """The patient's active staff members, as (user id, name, team role), lead first: those a
    care-plan activity may name as responsible."""
    rows = await repo.members(session, access)
    staff = [
        (member.user_id, user.full_name, member.role)
        for member, user, _person, _org in rows
        if member.status == RecordStatus.active and member.user_id and user and user.active
    ]
    return sorted(staff, key=lambda s: (s[2] != "lead_care_manager", s[1]))


async def current_enrolment_start(session: AsyncSession, access: PatientAccess) -> date | None:
    """When the patient's active enrolment began: the episode a baseline belongs to."""
    return await repo.current_enrolment_start(session, access)


async def caseload_enrolment_starts(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, date]:
    """When each of these patients of my caseload began their open enrolment (none for a role
    that may not see enrolments)."""
    if not patient_ids or Capability.read_enrolments not in permissions().team_grants(ctx.role):
        return {}
    return await repo.caseload_enrolment_starts(session, ctx, patient_ids)


# -- choosing members -----------------------------------------------------------------------


def may_join_a_team(role: str) -> bool:
    """Staff who can sit on a care team: the professions the permission table grants anything
    on a patient (clinicians and community partners, not administrators)."""
    return bool(permissions().team_grants(role))


def may_take_the_lead(role: str) -> bool:
    """Only a care manager leads a care team (the hub of collaborative care)."""
    return role == ProfessionalRole.care_manager

"""Every query on care-team members and enrolments, each scoped by a proof of access."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.repository import row_of_patient
from tandem.access.scope import (
    as_caller,
    as_proven,
    caseload_filter,
    may_use_emergency_access,
    patient_filter,
    scoped_to_patient,
)
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.people.models import Organization, RelatedPerson, User
from tandem.vocab import RecordStatus

# Each statement is built once, at import, its patient a parameter (CONTRIBUTING 9c).
_MEMBERS = patient_filter(
    select(CareTeamMember, User, RelatedPerson, Organization)
    .outerjoin(User, User.id == CareTeamMember.user_id)
    .outerjoin(RelatedPerson, RelatedPerson.id == CareTeamMember.related_person_id)
    .outerjoin(Organization, Organization.id == CareTeamMember.organization_id),
    CareTeamMember.patient_id,
    outer=(RelatedPerson.patient_id,),
).order_by(CareTeamMember.status, CareTeamMember.role, CareTeamMember.start_date)
_ACTIVE_LEAD = patient_filter(
    select(CareTeamMember).where(
        CareTeamMember.role == "lead_care_manager", CareTeamMember.status == RecordStatus.active
    ),
    CareTeamMember.patient_id,
)


async def members(session: AsyncSession, access: PatientAccess) -> Sequence[Any]:
    """Members with the person and organisation behind each, active first."""
    return (await session.execute(_MEMBERS, execution_options=as_proven(access))).all()


async def member(
    session: AsyncSession, access: PatientAccess, member_id: uuid.UUID
) -> CareTeamMember | None:
    return await row_of_patient(session, access, CareTeamMember, member_id)


async def active_lead(session: AsyncSession, access: PatientAccess) -> CareTeamMember | None:
    rows = await session.execute(_ACTIVE_LEAD, execution_options=as_proven(access))
    return rows.scalar_one_or_none()


async def active_membership_of(
    session: AsyncSession,
    access: PatientAccess,
    *,
    user_id: uuid.UUID | None = None,
    related_person_id: uuid.UUID | None = None,
    role: str | None = None,
) -> Sequence[CareTeamMember]:
    stmt = scoped_to_patient(
        select(CareTeamMember).where(CareTeamMember.status == RecordStatus.active),
        access,
        CareTeamMember.patient_id,
    )
    if user_id is not None:
        stmt = stmt.where(CareTeamMember.user_id == user_id)
    if related_person_id is not None:
        stmt = stmt.where(CareTeamMember.related_person_id == related_person_id)
    if role is not None:
        stmt = stmt.where(CareTeamMember.role == role)
    return (await session.execute(stmt)).scalars().all()


async def user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


_ENROLMENTS = patient_filter(select(Enrolment), Enrolment.patient_id).order_by(
    Enrolment.start_date.desc()
)
_CURRENT_ENROLMENT = _ENROLMENTS.where(Enrolment.status == RecordStatus.active).limit(1)
_CURRENT_ENROLMENT_START = _CURRENT_ENROLMENT.with_only_columns(Enrolment.start_date)
_LEAD_CARE_MANAGER = patient_filter(
    select(User)
    .select_from(CareTeamMember)
    .join(User, User.id == CareTeamMember.user_id)
    .where(
        CareTeamMember.role == "lead_care_manager", CareTeamMember.status == RecordStatus.active
    ),
    CareTeamMember.patient_id,
)


async def enrolments(session: AsyncSession, access: PatientAccess) -> Sequence[Enrolment]:
    rows = await session.execute(_ENROLMENTS, execution_options=as_proven(access))
    return rows.scalars().all()


async def enrolment(
    session: AsyncSession, access: PatientAccess, enrolment_id: uuid.UUID
) -> Enrolment | None:
    return await row_of_patient(session, access, Enrolment, enrolment_id)


async def current_enrolment(session: AsyncSession, access: PatientAccess) -> Enrolment | None:
    """The patient's open enrolment (the latest started)."""
    rows = await session.execute(_CURRENT_ENROLMENT, execution_options=as_proven(access))
    found: Enrolment | None = rows.scalar_one_or_none()
    return found


async def current_enrolment_start(session: AsyncSession, access: PatientAccess) -> date | None:
    """When the patient's open enrolment (the latest started) began."""
    found: date | None = await session.scalar(
        _CURRENT_ENROLMENT_START, execution_options=as_proven(access)
    )
    return found


# When each of the patients named (of the caller's caseload) began their open enrolment.
_ENROLMENT_STARTS = {
    emergency: caseload_filter(
        select(Enrolment.patient_id, func.max(Enrolment.start_date))
        .where(
            Enrolment.status == RecordStatus.active,
            Enrolment.patient_id.in_(bindparam("patients", expanding=True)),
        )
        .group_by(Enrolment.patient_id),
        Enrolment.patient_id,
        emergency=emergency,
    )
    for emergency in (False, True)
}


async def caseload_enrolment_starts(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, date]:
    """When each of these patients' open enrolment (the latest started) began."""
    stmt = _ENROLMENT_STARTS[may_use_emergency_access(ctx)]
    rows = await session.execute(
        stmt, {"patients": list(patient_ids)}, execution_options=as_caller(ctx)
    )
    return {patient_id: start for patient_id, start in rows}


async def lead_care_manager(session: AsyncSession, access: PatientAccess) -> User | None:
    """The patient's lead care manager: every team role's first contact at the clinic."""
    rows = await session.execute(_LEAD_CARE_MANAGER, execution_options=as_proven(access))
    return rows.scalar_one_or_none()

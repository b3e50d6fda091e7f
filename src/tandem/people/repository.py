"""Every query on patients, identifiers and related persons, each scoped by a proof of access."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess, StaffAccess
from tandem.access.repository import row_of_patient
from tandem.access.scope import (
    as_proven,
    existence_probe,
    patient_filter,
    scoped,
    scoped_for_staff,
)
from tandem.people.models import (
    Organization,
    Patient,
    PatientIdentifier,
    PotentialDuplicate,
    RelatedPerson,
    User,
)
from tandem.vocab import RecordStatus

# Built once, at import, the patient a parameter (CONTRIBUTING 9c).
_IDENTIFIERS = patient_filter(select(PatientIdentifier), PatientIdentifier.patient_id).order_by(
    PatientIdentifier.created_at
)
_RELATED_PERSONS = patient_filter(select(RelatedPerson), RelatedPerson.patient_id).order_by(
    RelatedPerson.status, RelatedPerson.name
)
_ORGANIZATION_NAME = select(Organization.name).where(
    Organization.id == bindparam("organization", type_=Organization.id.type)
)


async def identifiers(session: AsyncSession, access: PatientAccess) -> Sequence[PatientIdentifier]:
    rows = await session.execute(_IDENTIFIERS, execution_options=as_proven(access))
    return rows.scalars().all()


async def identifier(
    session: AsyncSession, access: PatientAccess, identifier_id: uuid.UUID
) -> PatientIdentifier | None:
    return await row_of_patient(session, access, PatientIdentifier, identifier_id)


async def identifier_holders(session: AsyncSession, system: str, value: str) -> list[uuid.UUID]:
    """Which patients hold this active identifier (ids only: who they are stays hidden)."""
    stmt = select(PatientIdentifier.patient_id).where(
        PatientIdentifier.system == system,
        PatientIdentifier.value == value,
        PatientIdentifier.status == RecordStatus.active,
    )
    probe = existence_probe(stmt, "identifier held by another patient")
    return list((await session.execute(probe)).scalars().all())


async def related_persons(session: AsyncSession, access: PatientAccess) -> Sequence[RelatedPerson]:
    rows = await session.execute(_RELATED_PERSONS, execution_options=as_proven(access))
    return rows.scalars().all()


async def related_person(
    session: AsyncSession, access: PatientAccess, person_id: uuid.UUID
) -> RelatedPerson | None:
    return await row_of_patient(session, access, RelatedPerson, person_id)


async def same_name_and_birth_date(
    session: AsyncSession, *, given: str, family: str, birth_date: date
) -> list[uuid.UUID]:
    """Ids of active patients with this name and date of birth (who they are stays hidden)."""
    stmt = select(Patient.id).where(
        func.lower(Patient.given_name) == given.lower(),
        func.lower(Patient.family_name) == family.lower(),
        Patient.birth_date == birth_date,
        Patient.status == RecordStatus.active,
    )
    probe = existence_probe(stmt, "same name and date of birth")
    return list((await session.execute(probe)).scalars().all())


async def visible_to(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    """Of these patients, those the caller has a care relationship with, and their MRNs."""
    if not patient_ids:
        return []
    stmt = scoped(
        select(Patient.id, Patient.mrn).where(Patient.id.in_(patient_ids)), ctx, Patient.id
    )
    return [(pid, mrn) for pid, mrn in (await session.execute(stmt)).all()]


async def mrn_taken(session: AsyncSession, mrn: str) -> bool:
    stmt = select(exists().where(Patient.mrn == mrn))
    return bool(await session.scalar(existence_probe(stmt, "MRN uniqueness")))


async def organization_name(session: AsyncSession, org_id: uuid.UUID | None) -> str | None:
    if org_id is None:
        return None
    return await session.scalar(_ORGANIZATION_NAME, {"organization": org_id})


async def organization_exists(session: AsyncSession, org_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Organization.id == org_id))))


async def potential_duplicates(
    session: AsyncSession, staff: StaffAccess, *, status: str | None, limit: int = 200
) -> Sequence[PotentialDuplicate]:
    """The privacy officer's queue, newest first."""
    stmt = select(PotentialDuplicate).order_by(PotentialDuplicate.raised_at.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(PotentialDuplicate.status == status)
    return (await session.execute(scoped_for_staff(stmt, staff))).scalars().all()


async def potential_duplicate(
    session: AsyncSession, staff: StaffAccess, question_id: uuid.UUID
) -> PotentialDuplicate | None:
    stmt = select(PotentialDuplicate).where(PotentialDuplicate.id == question_id)
    return (await session.execute(scoped_for_staff(stmt, staff))).scalar_one_or_none()


async def duplicate_parties(
    session: AsyncSession, staff: StaffAccess, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Patient]:
    """The identifying details of the patients in the queue (privacy officer only)."""
    if not patient_ids:
        return {}
    stmt = select(Patient).where(Patient.id.in_(patient_ids))
    return {p.id: p for p in (await session.execute(scoped_for_staff(stmt, staff))).scalars()}


async def usernames(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(set(ids))))
    return {uid: name for uid, name in rows.all()}

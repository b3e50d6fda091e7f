"""Every query on patients, identifiers and related persons, each scoped by a proof of access."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess, StaffAccess
from tandem.access.scope import (
    count_of,
    existence_probe,
    scoped,
    scoped_for_staff,
    scoped_to_patient,
)
from tandem.assessments.models import SafetyAlert
from tandem.capabilities import Capability
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.people.models import (
    Organization,
    Patient,
    PatientIdentifier,
    PotentialDuplicate,
    RelatedPerson,
    User,
)
from tandem.people.rules import PatientQuery


async def caseload_page(
    session: AsyncSession,
    ctx: AccessContext,
    query: PatientQuery,
    *,
    offset: int,
    limit: int,
) -> tuple[Sequence[tuple[Patient, str, bool]], int]:
    """Patients whose care team the caller is on, with the caller's role and whether a safety
    alert is open, one page at a time; patients with an open safety alert come first.

    A role that may not see safety alerts or identifiers (a community partner) gets neither:
    no flag, no ordering by it, no search by identifier."""
    granted = permissions().team_grants(ctx.role)
    # CLINICAL.md §2: a positive PHQ-9 item 9 puts the patient at the top of the list.
    if Capability.read_safety in granted:
        alert_open = (
            exists()
            .where(SafetyAlert.patient_id == Patient.id, SafetyAlert.status == "active")
            .label("alert_open")
        )
        ordering = [alert_open.desc()]
    else:
        alert_open = literal(False).label("alert_open")
        ordering = []
    stmt = (
        select(Patient, CareTeamMember.role, alert_open)
        .join(CareTeamMember, CareTeamMember.patient_id == Patient.id)
        .where(
            CareTeamMember.user_id == ctx.user_id,
            CareTeamMember.status == "active",
            Patient.status == "active",
        )
    )
    if query.birth_date:
        stmt = stmt.where(Patient.birth_date == query.birth_date)
    if query.mrn:
        stmt = stmt.where(Patient.mrn == query.mrn)
    if query.name:
        # Every word must appear, in any order: "zoe adams" finds "adams zoe".
        for word in query.name.split():
            stmt = stmt.where(Patient.search_name.contains(word, autoescape=True))
    if query.identifier:
        held = (
            exists().where(
                PatientIdentifier.patient_id == Patient.id,
                PatientIdentifier.value == query.identifier,
                PatientIdentifier.status == "active",
            )
            if Capability.read_identifiers in granted
            else None
        )
        mrn_match = Patient.mrn == query.identifier.upper()
        stmt = stmt.where(or_(mrn_match, held) if held is not None else mrn_match)
    stmt = scoped(stmt, ctx, Patient.id, CareTeamMember.patient_id)
    total = await session.scalar(count_of(stmt))
    rows = await session.execute(
        stmt.order_by(*ordering, Patient.family_name, Patient.given_name, Patient.id)
        .offset(offset)
        .limit(limit)
    )
    return [(row[0], row[1], bool(row[2])) for row in rows], int(total or 0)


async def caseload_enrolments(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Enrolment]:
    """The open enrolment of each caseload patient (the latest started)."""
    if not patient_ids:
        return {}
    stmt = scoped(
        select(Enrolment).where(
            Enrolment.status == "active", Enrolment.patient_id.in_(patient_ids)
        ),
        ctx,
        Enrolment.patient_id,
    ).order_by(Enrolment.patient_id, Enrolment.start_date)
    result: dict[uuid.UUID, Enrolment] = {}
    for enrolment in (await session.execute(stmt)).scalars():
        result[enrolment.patient_id] = enrolment
    return result


async def current_enrolment(session: AsyncSession, access: PatientAccess) -> Enrolment | None:
    """The patient's open enrolment (the latest started)."""
    stmt = scoped_to_patient(
        select(Enrolment).where(Enrolment.status == "active"), access, Enrolment.patient_id
    ).order_by(Enrolment.start_date.desc())
    found: Enrolment | None = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    return found


async def identifiers(session: AsyncSession, access: PatientAccess) -> Sequence[PatientIdentifier]:
    stmt = scoped_to_patient(
        select(PatientIdentifier), access, PatientIdentifier.patient_id
    ).order_by(PatientIdentifier.created_at)
    return (await session.execute(stmt)).scalars().all()


async def identifier(
    session: AsyncSession, access: PatientAccess, identifier_id: uuid.UUID
) -> PatientIdentifier | None:
    stmt = scoped_to_patient(
        select(PatientIdentifier).where(PatientIdentifier.id == identifier_id),
        access,
        PatientIdentifier.patient_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def identifier_holders(session: AsyncSession, system: str, value: str) -> list[uuid.UUID]:
    """Which patients hold this active identifier (ids only: who they are stays hidden)."""
    stmt = select(PatientIdentifier.patient_id).where(
        PatientIdentifier.system == system,
        PatientIdentifier.value == value,
        PatientIdentifier.status == "active",
    )
    probe = existence_probe(stmt, "identifier held by another patient")
    return list((await session.execute(probe)).scalars().all())


async def related_persons(session: AsyncSession, access: PatientAccess) -> Sequence[RelatedPerson]:
    stmt = scoped_to_patient(select(RelatedPerson), access, RelatedPerson.patient_id).order_by(
        RelatedPerson.status, RelatedPerson.name
    )
    return (await session.execute(stmt)).scalars().all()


async def related_person(
    session: AsyncSession, access: PatientAccess, person_id: uuid.UUID
) -> RelatedPerson | None:
    stmt = scoped_to_patient(
        select(RelatedPerson).where(RelatedPerson.id == person_id),
        access,
        RelatedPerson.patient_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def same_name_and_birth_date(
    session: AsyncSession, *, given: str, family: str, birth_date: date
) -> list[uuid.UUID]:
    """Ids of active patients with this name and date of birth (who they are stays hidden)."""
    stmt = select(Patient.id).where(
        func.lower(Patient.given_name) == given.lower(),
        func.lower(Patient.family_name) == family.lower(),
        Patient.birth_date == birth_date,
        Patient.status == "active",
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
    return await session.scalar(select(Organization.name).where(Organization.id == org_id))


async def organization_exists(session: AsyncSession, org_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Organization.id == org_id))))


async def lead_care_manager(session: AsyncSession, access: PatientAccess) -> User | None:
    """The patient's lead care manager: every team role's first contact at the clinic."""
    stmt = scoped_to_patient(
        select(User)
        .select_from(CareTeamMember)
        .join(User, User.id == CareTeamMember.user_id)
        .where(CareTeamMember.role == "lead_care_manager", CareTeamMember.status == "active"),
        access,
        CareTeamMember.patient_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


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

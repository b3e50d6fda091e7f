"""Every query on patients, identifiers and related persons, already scoped."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.scope import (
    count_of,
    scoped,
    scoped_to_patient,
    scoped_to_patients,
    system_query,
)
from tandem.assessments.models import SafetyAlert
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.people.models import Organization, Patient, PatientIdentifier, RelatedPerson, User
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
    alert is open, one page at a time; patients with an open safety alert come first."""
    # CLINICAL.md §2: a positive PHQ-9 item 9 puts the patient at the top of the list.
    alert_open = (
        exists()
        .where(SafetyAlert.patient_id == Patient.id, SafetyAlert.status == "active")
        .label("alert_open")
    )
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
        stmt = stmt.where(
            or_(
                Patient.mrn == query.identifier.upper(),
                exists().where(
                    PatientIdentifier.patient_id == Patient.id,
                    PatientIdentifier.value == query.identifier,
                    PatientIdentifier.status == "active",
                ),
            )
        )
    stmt = scoped(stmt, ctx, Patient.id)
    total = await session.scalar(count_of(stmt))
    rows = await session.execute(
        stmt.order_by(alert_open.desc(), Patient.family_name, Patient.given_name, Patient.id)
        .offset(offset)
        .limit(limit)
    )
    return [(row[0], row[1], bool(row[2])) for row in rows], int(total or 0)


async def current_enrolments(
    session: AsyncSession, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Enrolment]:
    """The open enrolment of each patient (the latest started), for patients already proven."""
    if not patient_ids:
        return {}
    stmt = scoped_to_patients(
        select(Enrolment).where(Enrolment.status == "active"), patient_ids, Enrolment.patient_id
    ).order_by(Enrolment.patient_id, Enrolment.start_date)
    result: dict[uuid.UUID, Enrolment] = {}
    for enrolment in (await session.execute(stmt)).scalars():
        result[enrolment.patient_id] = enrolment
    return result


async def identifiers(session: AsyncSession, patient_id: uuid.UUID) -> Sequence[PatientIdentifier]:
    stmt = scoped_to_patient(
        select(PatientIdentifier), patient_id, PatientIdentifier.patient_id
    ).order_by(PatientIdentifier.created_at)
    return (await session.execute(stmt)).scalars().all()


async def identifier(
    session: AsyncSession, patient_id: uuid.UUID, identifier_id: uuid.UUID
) -> PatientIdentifier | None:
    stmt = scoped_to_patient(
        select(PatientIdentifier).where(PatientIdentifier.id == identifier_id),
        patient_id,
        PatientIdentifier.patient_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def identifier_in_use(session: AsyncSession, system: str, value: str) -> bool:
    """Whether any active identifier has this value (answers yes/no, reveals no patient)."""
    stmt = system_query(
        select(
            exists().where(
                PatientIdentifier.system == system,
                PatientIdentifier.value == value,
                PatientIdentifier.status == "active",
            )
        ),
        "identifier uniqueness",
    )
    return bool(await session.scalar(stmt))


async def related_persons(session: AsyncSession, patient_id: uuid.UUID) -> Sequence[RelatedPerson]:
    stmt = scoped_to_patient(select(RelatedPerson), patient_id, RelatedPerson.patient_id).order_by(
        RelatedPerson.status, RelatedPerson.name
    )
    return (await session.execute(stmt)).scalars().all()


async def related_person(
    session: AsyncSession, patient_id: uuid.UUID, person_id: uuid.UUID
) -> RelatedPerson | None:
    stmt = scoped_to_patient(
        select(RelatedPerson).where(RelatedPerson.id == person_id),
        patient_id,
        RelatedPerson.patient_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def same_name_and_birth_date(
    session: AsyncSession, ctx: AccessContext, *, given: str, family: str, birth_date: date
) -> tuple[list[uuid.UUID], int]:
    """Possible duplicates: ids the caller may see, and a count of those they may not."""
    match = (
        func.lower(Patient.given_name) == given.lower(),
        func.lower(Patient.family_name) == family.lower(),
        Patient.birth_date == birth_date,
        Patient.status == "active",
    )
    everyone = await session.scalar(
        system_query(select(func.count()).select_from(Patient).where(*match), "duplicate check")
    )
    visible = (
        (await session.execute(scoped(select(Patient.id).where(*match), ctx, Patient.id)))
        .scalars()
        .all()
    )
    return list(visible), int(everyone or 0) - len(visible)


async def mrn_taken(session: AsyncSession, mrn: str) -> bool:
    stmt = system_query(select(exists().where(Patient.mrn == mrn)), "MRN uniqueness")
    return bool(await session.scalar(stmt))


async def organization_name(session: AsyncSession, org_id: uuid.UUID | None) -> str | None:
    if org_id is None:
        return None
    return await session.scalar(select(Organization.name).where(Organization.id == org_id))


async def organization_exists(session: AsyncSession, org_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Organization.id == org_id))))


async def lead_care_manager_name(session: AsyncSession, patient_id: uuid.UUID) -> str | None:
    stmt = scoped_to_patient(
        select(User.full_name)
        .select_from(CareTeamMember)
        .join(User, User.id == CareTeamMember.user_id)
        .where(CareTeamMember.role == "lead_care_manager", CareTeamMember.status == "active"),
        patient_id,
        CareTeamMember.patient_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()

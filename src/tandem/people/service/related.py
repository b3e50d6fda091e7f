"""Use cases for related persons: family members and caregivers."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.recording import audit_patient, end_record
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.dates import check_clinical_date
from tandem.errors import ValidationProblem, found
from tandem.ids import new_id
from tandem.people import repository as repo
from tandem.people.models import RelatedPerson
from tandem.people.schemas import (
    RelatedPersonCreate,
    RelatedPersonEnd,
    RelatedPersonRead,
    RelatedPersonUpdate,
)
from tandem.records import current, reject_cleared
from tandem.vocab import RecordStatus


async def list_related_persons(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> list[RelatedPersonRead]:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_family)
    audit_patient(session, ctx, access, "RelatedPerson")
    return [
        RelatedPersonRead.model_validate(p) for p in await repo.related_persons(session, access)
    ]


async def get_related_person(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, person_id: uuid.UUID
) -> RelatedPersonRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_family)
    person = found(await repo.related_person(session, access, person_id), "related person")
    audit_patient(session, ctx, access, "RelatedPerson", person.id)
    return RelatedPersonRead.model_validate(person)


async def add_related_person(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: RelatedPersonCreate
) -> RelatedPersonRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_family)
    person = RelatedPerson(
        id=new_id(),
        patient_id=patient_id,
        start_date=ctx.clock.today(),
        status=RecordStatus.active,
        created_at=ctx.now(),
        **data.model_dump(),
    )
    session.add(person)
    await session.flush()
    audit_patient(session, ctx, access, "RelatedPerson", person.id, action="C")
    return RelatedPersonRead.model_validate(person)


async def update_related_person(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
    data: RelatedPersonUpdate,
) -> RelatedPersonRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_family)
    person = current(
        await repo.related_person(session, access, person_id), data.version, "related person"
    )
    if person.status != RecordStatus.active:
        raise ValidationProblem(
            "This person's record has ended; add them again instead.", field="status"
        )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    reject_cleared(changes, ("name", "relationship", "is_emergency_contact"))
    for key, value in changes.items():
        setattr(person, key, value)
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "RelatedPerson",
        person.id,
        action="U",
        detail={"changed": sorted(changes)},
    )
    return RelatedPersonRead.model_validate(person)


async def end_related_person(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
    data: RelatedPersonEnd,
) -> RelatedPersonRead:
    """End the relationship (it stays in the history) or mark the entry as made in error."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_family)
    person = current(
        await repo.related_person(session, access, person_id), data.version, "related person"
    )
    if person.status != RecordStatus.active:
        raise ValidationProblem("This person's record has already ended.", field="status")
    end_date = data.end_date or ctx.clock.today()
    if person.start_date and end_date < person.start_date:
        raise ValidationProblem("End date is before the start date.", field="end_date")
    born = access.patient.birth_date
    check_clinical_date(
        end_date, field="end_date", what="End date", today=ctx.clock.today(), born=born
    )
    await end_record(
        session,
        ctx,
        access,
        person,
        "RelatedPerson",
        status=RecordStatus.entered_in_error if data.entered_in_error else RecordStatus.inactive,
        reason=data.reason,
        end_date=end_date,
    )
    return RelatedPersonRead.model_validate(person)

"""Identifiers other systems give a patient (clinic MRNs, Medicaid and insurance numbers).

One held already by another patient the user may see is refused, naming that patient's MRN; one
held by a patient the user may not see is recorded and the pair queued for the privacy officer
(people.duplicates), so the check never confirms that a hidden patient exists.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.recording import audit_patient, end_record
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.errors import Conflict, found
from tandem.ids import new_id
from tandem.people import repository as repo
from tandem.people.models import PatientIdentifier
from tandem.people.schemas import EnteredInError, IdentifierCreate, IdentifierRead
from tandem.people.service import duplicates
from tandem.records import current, flush_unique
from tandem.vocab import RecordStatus


async def list_identifiers(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> list[IdentifierRead]:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_identifiers)
    audit_patient(session, ctx, access, "PatientIdentifier")
    return [IdentifierRead.model_validate(i) for i in await repo.identifiers(session, access)]


async def get_identifier(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, identifier_id: uuid.UUID
) -> IdentifierRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_identifiers)
    identifier = found(await repo.identifier(session, access, identifier_id), "identifier")
    audit_patient(session, ctx, access, "PatientIdentifier", identifier.id)
    return IdentifierRead.model_validate(identifier)


async def add_identifier(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: IdentifierCreate
) -> IdentifierRead:
    """Record an identifier. Held already by another patient the user may see: refused, naming
    that patient's MRN. Held by one they may not see: recorded, and the pair queued for the
    privacy officer without a word to the user."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_identifiers)
    holders = await repo.identifier_holders(session, data.system, data.value)
    if access.patient_id in holders:
        raise Conflict("This patient already has this identifier.", field="value")
    visible = await repo.visible_to(session, ctx, holders)
    if visible:
        raise Conflict(
            f"This identifier is already recorded for the patient with MRN {visible[0][1]}. "
            "If they are the same person, mark one registration as entered in error.",
            field="value",
        )
    identifier = PatientIdentifier(
        id=new_id(),
        patient_id=patient_id,
        system=data.system,
        value=data.value,
        assigner=data.assigner,
        status=RecordStatus.active,
        created_at=ctx.now(),
    )
    session.add(identifier)
    await flush_unique(
        session,
        {"uq_patient_identifier_active": ("This patient already has this identifier.", "value")},
    )
    audit_patient(session, ctx, access, "PatientIdentifier", identifier.id, action="C")
    await duplicates.open_questions(session, ctx, access, holders, matched=[data.system])
    return IdentifierRead.model_validate(identifier)


async def mark_identifier_entered_in_error(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    identifier_id: uuid.UUID,
    data: EnteredInError,
) -> IdentifierRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_identifiers)
    identifier = current(
        await repo.identifier(session, access, identifier_id), data.version, "identifier"
    )
    await end_record(
        session,
        ctx,
        access,
        identifier,
        "PatientIdentifier",
        status=RecordStatus.entered_in_error,
        reason=data.reason,
    )
    return IdentifierRead.model_validate(identifier)

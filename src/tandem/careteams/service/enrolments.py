"""Programme enrolment (episode of care) use cases: enrol, change phase, discharge."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.recording import audit_patient, end_record
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.careteams import repository as repo
from tandem.careteams.models import Enrolment
from tandem.careteams.rules import check_end, check_phase_dates, check_start
from tandem.careteams.schemas import EnrolmentCreate, EnrolmentRead, EnrolmentUpdate
from tandem.careteams.vocab import Phase
from tandem.errors import Conflict, ValidationProblem, found
from tandem.ids import new_id
from tandem.people import service as people
from tandem.people.schemas import EnteredInError
from tandem.records import current, flush_unique
from tandem.vocab import RecordStatus

ALREADY_ENROLLED = "The patient is already enrolled in this programme; change its phase instead."


async def list_enrolments(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> list[EnrolmentRead]:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_enrolments)
    audit_patient(session, ctx, access, "Enrolment")
    return [EnrolmentRead.model_validate(e) for e in await repo.enrolments(session, access)]


async def get_enrolment(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, enrolment_id: uuid.UUID
) -> EnrolmentRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_enrolments)
    enrolment = found(await repo.enrolment(session, access, enrolment_id), "enrolment")
    audit_patient(session, ctx, access, "Enrolment", enrolment.id)
    return EnrolmentRead.model_validate(enrolment)


async def enrol(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: EnrolmentCreate
) -> EnrolmentRead:
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.manage_enrolments
    )
    check_start(data.start_date, today=ctx.clock.today(), born=access.patient.birth_date)
    if data.phase == Phase.discharged:
        raise ValidationProblem("A new enrolment starts in an open phase.", field="phase")
    if data.organization_id and not await people.organization_exists(session, data.organization_id):
        raise ValidationProblem("No such organisation.", field="organization_id")
    for existing in await repo.enrolments(session, access):
        if existing.status == RecordStatus.active and existing.programme == data.programme:
            raise Conflict(ALREADY_ENROLLED, field="programme")
    now = ctx.now()
    enrolment = Enrolment(
        id=new_id(),
        patient_id=patient_id,
        programme=data.programme,
        phase=data.phase,
        start_date=data.start_date,
        reason=data.reason,
        organization_id=data.organization_id,
        status=RecordStatus.active,
        created_at=now,
        updated_at=now,
    )
    session.add(enrolment)
    await flush_unique(session, {"uq_enrolment_active_programme": (ALREADY_ENROLLED, "programme")})
    audit_patient(
        session,
        ctx,
        access,
        "Enrolment",
        enrolment.id,
        action="C",
        detail={"programme": data.programme, "phase": data.phase},
    )
    return EnrolmentRead.model_validate(enrolment)


async def update_enrolment(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    data: EnrolmentUpdate,
) -> EnrolmentRead:
    """Move between phases; discharging sets the end date and closes the episode."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.manage_enrolments
    )
    enrolment = current(
        await repo.enrolment(session, access, enrolment_id), data.version, "enrolment"
    )
    if enrolment.status != RecordStatus.active:
        raise ValidationProblem("This enrolment is closed.", field="status")
    phase = data.phase or enrolment.phase
    end_date = data.end_date
    if phase == Phase.discharged and end_date is None:
        end_date = ctx.clock.today()
    check_phase_dates(phase, end_date)
    if end_date is not None:
        born = access.patient.birth_date
        check_end(enrolment.start_date, end_date, today=ctx.clock.today(), born=born)
    before = enrolment.phase
    enrolment.phase = phase
    enrolment.end_date = end_date
    if data.reason is not None:
        enrolment.reason = data.reason
    if phase == Phase.discharged:
        enrolment.status = "inactive"
    enrolment.updated_at = ctx.now()
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "Enrolment",
        enrolment.id,
        action="U",
        detail={"phase": [before, phase], "reason": data.reason},
    )
    return EnrolmentRead.model_validate(enrolment)


async def mark_enrolment_entered_in_error(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    data: EnteredInError,
) -> EnrolmentRead:
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.manage_enrolments
    )
    enrolment = current(
        await repo.enrolment(session, access, enrolment_id), data.version, "enrolment"
    )
    await end_record(
        session,
        ctx,
        access,
        enrolment,
        "Enrolment",
        status=RecordStatus.entered_in_error,
        reason=data.reason,
        updated_at=ctx.now(),
    )
    return EnrolmentRead.model_validate(enrolment)

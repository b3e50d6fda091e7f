"""Agreement: the patient (or, with their consent, a family member) reviewed a version of the
plan and agreed to it. Recorded against the version they saw, never changed; marked entered in
error if recorded by mistake. Recording one does not change the plan's version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.careplans.models import CarePlanAgreement
from tandem.careplans.schemas import AgreementCreate, AgreementRead, MarkInError
from tandem.careplans.service import ENTERED_IN_ERROR, agreed_by_name, load
from tandem.careplans.vocab import AgreedBy
from tandem.errors import NotFound, PreconditionFailed, ValidationProblem
from tandem.ids import new_id
from tandem.people import service as people
from tandem.records import flush_unique

UNIQUE_RULES = {
    "uq_care_plan_agreement_patient_version": (
        "The patient's agreement to this version is already recorded.",
        "version",
    ),
    "uq_care_plan_agreement_person_version": (
        "This person's agreement to this version is already recorded.",
        "related_person_id",
    ),
}


def _read(agreement: CarePlanAgreement, person: str | None, recorder: str | None) -> AgreementRead:
    return AgreementRead(
        id=agreement.id,
        version=agreement.version,
        agreed_by=agreement.agreed_by,
        related_person_id=agreement.related_person_id,
        name=agreed_by_name(agreement, person),
        method=agreement.method,
        agreed_on=agreement.agreed_on,
        note=agreement.note,
        recorded_at=agreement.recorded_at,
        recorded_by=recorder,
        status=agreement.status,
    )


@dataclass
class Agreements:
    """The plan's current version and every agreement to it, newest version first."""

    version: int
    items: list[AgreementRead]


async def list_agreements(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> Agreements:
    """Every agreement to the patient's plan, newest version first (entered in error too)."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)
    loaded = await load(session, access)
    if loaded is None:
        raise NotFound("care plan")
    audit_patient(session, ctx, access, "CarePlanAgreement", detail={"plan": str(loaded.plan.id)})
    return Agreements(loaded.plan.version, [_read(*row) for row in loaded.agreements])


async def record_agreement(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: AgreementCreate
) -> AgreementRead:
    """Record that the patient (or a consenting family member) agreed to the current version:
    a version the plan has since moved on from is refused (412) — they have not seen the
    change."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    loaded = await load(session, access)
    if loaded is None:
        raise NotFound("care plan")
    plan = loaded.plan
    if data.version != plan.version:
        raise PreconditionFailed(
            f"The plan is now at version {plan.version}: show the patient what changed since "
            f"version {data.version}, then record their agreement to the current one.",
            field="version",
            current_version=plan.version,
        )
    person_name = None
    if data.agreed_by == AgreedBy.related_person:
        if data.related_person_id is None:
            raise ValidationProblem("Say which family member agreed.", field="related_person_id")
        person_name = await people.active_related_person_name(
            session, access, data.related_person_id
        )
        if person_name is None:
            raise ValidationProblem(
                "The person must be one of this patient's active family members or caregivers.",
                field="related_person_id",
            )
        if not data.consent_confirmed:
            raise ValidationProblem(
                "A family member agrees for the patient only with the patient's consent: "
                "confirm it was given.",
                field="consent_confirmed",
            )
    elif data.related_person_id is not None:
        raise ValidationProblem(
            "The patient's own agreement names no family member.", field="related_person_id"
        )
    today = ctx.clock.today()
    agreed_on = data.agreed_on or today
    if agreed_on > today:
        raise ValidationProblem("The day they agreed cannot be in the future.", field="agreed_on")
    if agreed_on < ctx.clock.day_of(plan.updated_at):
        raise ValidationProblem(
            "They cannot have agreed before this version was written.", field="agreed_on"
        )
    agreement = CarePlanAgreement(
        id=new_id(),
        plan_id=plan.id,
        patient_id=patient_id,
        version=plan.version,
        agreed_by=data.agreed_by,
        related_person_id=data.related_person_id,
        method=data.method,
        note=data.note,
        agreed_on=agreed_on,
        recorded_at=ctx.now(),
        recorded_by=ctx.user_id,
        status="active",
    )
    session.add(agreement)
    await flush_unique(session, UNIQUE_RULES)
    audit_patient(
        session,
        ctx,
        access,
        "CarePlanAgreement",
        agreement.id,
        action="C",
        detail={"plan": str(plan.id), "version": plan.version},
    )
    return _read(agreement, person_name, ctx.full_name or ctx.username)


async def mark_agreement_entered_in_error(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    agreement_id: uuid.UUID,
    data: MarkInError,
) -> AgreementRead:
    """An agreement recorded by mistake leaves the plan's summary and stays in its history."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    loaded = await load(session, access)
    if loaded is None:
        raise NotFound("care plan")
    for agreement, person, recorder in loaded.agreements:
        if agreement.id == agreement_id and agreement.status != ENTERED_IN_ERROR:
            agreement.status, agreement.status_reason = ENTERED_IN_ERROR, data.reason
            await session.flush()
            audit_patient(
                session,
                ctx,
                access,
                "CarePlanAgreement",
                agreement.id,
                action="U",
                detail={"status": ENTERED_IN_ERROR},
            )
            return _read(agreement, person, recorder)
    raise NotFound("agreement")

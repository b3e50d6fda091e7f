"""The comprehensive assessment: screens done, the clinician's narrative, what matters to the
patient, strengths, and the confirmed needs that the care plan starts from."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient, end_record
from tandem.access.service import require_patient
from tandem.assessments import repository as repo
from tandem.assessments.models import ComprehensiveAssessment
from tandem.assessments.schemas import (
    AssessmentAmend,
    AssessmentCreate,
    AssessmentRead,
    EnteredInError,
)
from tandem.assessments.service import needs as needs_service
from tandem.assessments.service.revisions import keep_revision, revision_history
from tandem.assessments.vocab import NeedStatus
from tandem.capabilities import Capability
from tandem.dates import check_clinical_date
from tandem.errors import ValidationProblem, found
from tandem.ids import new_id
from tandem.records import current
from tandem.vocab import RecordStatus


async def _check_links(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    data: AssessmentCreate,
) -> tuple[list[str], list[str]]:
    """The screens and needs must be this patient's; candidate needs chosen are confirmed."""
    responses = {r.record.id: r.record for r in await repo.responses(session, access)}
    for response_id in data.response_ids:
        found = responses.get(response_id)
        if found is None or found.status == RecordStatus.entered_in_error:
            raise ValidationProblem(
                "One of the screens chosen is not a valid response of this patient.",
                field="response_ids",
            )
    needs = {n.id: n for n in await repo.needs(session, access)}
    for need_id in data.need_ids:
        need = needs.get(need_id)
        if need is None or need.status in ("dismissed", NeedStatus.entered_in_error):
            raise ValidationProblem(
                "One of the needs chosen is not an open need of this patient.", field="need_ids"
            )
    for need_id in data.need_ids:
        await needs_service.confirm_for_assessment(session, ctx, access, needs[need_id])
    return (
        [str(i) for i in dict.fromkeys(data.response_ids)],
        [str(i) for i in dict.fromkeys(data.need_ids)],
    )


def _check_date(access: PatientAccess, data: AssessmentCreate, ctx: AccessContext) -> None:
    if data.assessed_on:
        check_clinical_date(
            data.assessed_on,
            field="assessed_on",
            what="The assessment date",
            today=ctx.clock.today(),
            born=access.patient.birth_date,
        )


async def create_assessment(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: AssessmentCreate
) -> AssessmentRead:
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.write_assessments
    )
    _check_date(access, data, ctx)
    response_ids, need_ids = await _check_links(session, ctx, access, data)
    now = ctx.now()
    record = ComprehensiveAssessment(
        id=new_id(),
        patient_id=patient_id,
        assessed_on=data.assessed_on or ctx.clock.today(),
        narrative=data.narrative.strip(),
        priorities=data.priorities.strip(),
        strengths=(data.strengths or "").strip() or None,
        response_ids=response_ids,
        need_ids=need_ids,
        status="final",
        author_id=ctx.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "ComprehensiveAssessment",
        record.id,
        action="C",
        detail={"screens": len(response_ids), "needs": len(need_ids)},
    )
    return await _read(session, access, record, with_history=True)


async def list_assessments(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> list[AssessmentRead]:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_assessments)
    rows = await repo.assessments(session, access)
    audit_patient(session, ctx, access, "ComprehensiveAssessment", detail={"count": len(rows)})
    return [_as_read(record, author) for record, author in rows]


async def get_assessment(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, assessment_id: uuid.UUID
) -> AssessmentRead:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_assessments)
    record = found(
        await repo.assessment(session, access, assessment_id), "comprehensive assessment"
    )
    audit_patient(session, ctx, access, "ComprehensiveAssessment", record.id)
    return await _read(session, access, record, with_history=True)


async def amend_assessment(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
    data: AssessmentAmend,
) -> AssessmentRead:
    """Change the assessment with a reason; what it said before stays in its history."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.write_assessments
    )
    record = current(
        await repo.assessment(session, access, assessment_id),
        data.version,
        "comprehensive assessment",
    )
    if record.status == RecordStatus.entered_in_error:
        raise ValidationProblem("This assessment was marked entered in error.", field="status")
    _check_date(access, data, ctx)
    response_ids, need_ids = await _check_links(session, ctx, access, data)
    _keep_revision(session, ctx, record, "amended", data.reason)
    record.assessed_on = data.assessed_on or record.assessed_on
    record.narrative = data.narrative.strip()
    record.priorities = data.priorities.strip()
    record.strengths = (data.strengths or "").strip() or None
    record.response_ids = response_ids
    record.need_ids = need_ids
    record.status = "amended"
    record.updated_at = ctx.now()
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "ComprehensiveAssessment",
        record.id,
        action="U",
        detail={"status": "amended", "reason": data.reason},
    )
    return await _read(session, access, record, with_history=True)


async def mark_assessment_entered_in_error(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
    data: EnteredInError,
) -> AssessmentRead:
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.write_assessments
    )
    record = current(
        await repo.assessment(session, access, assessment_id),
        data.version,
        "comprehensive assessment",
    )
    if record.status == RecordStatus.entered_in_error:
        raise ValidationProblem("Already marked entered in error.", field="status")
    _keep_revision(session, ctx, record, RecordStatus.entered_in_error, data.reason)
    await end_record(
        session,
        ctx,
        access,
        record,
        "ComprehensiveAssessment",
        status=RecordStatus.entered_in_error,
        reason=data.reason,
        updated_at=ctx.now(),
    )
    return await _read(session, access, record, with_history=True)


def _keep_revision(
    session: AsyncSession,
    ctx: AccessContext,
    record: ComprehensiveAssessment,
    change: str,
    reason: str,
) -> None:
    keep_revision(
        session,
        ctx,
        record,
        record_type="ComprehensiveAssessment",
        snapshot={
            "status": record.status,
            "assessed_on": record.assessed_on.isoformat(),
            "narrative": record.narrative,
            "priorities": record.priorities,
            "strengths": record.strengths,
            "response_ids": record.response_ids,
            "need_ids": record.need_ids,
        },
        change=change,
        reason=reason,
    )


def _as_read(record: ComprehensiveAssessment, author: str | None) -> AssessmentRead:
    return AssessmentRead(
        id=record.id,
        patient_id=record.patient_id,
        assessed_on=record.assessed_on,
        narrative=record.narrative,
        priorities=record.priorities,
        strengths=record.strengths,
        response_ids=[uuid.UUID(i) for i in record.response_ids],
        need_ids=[uuid.UUID(i) for i in record.need_ids],
        status=record.status,
        author=author,
        created_at=record.created_at,
        updated_at=record.updated_at,
        version=record.version,
    )


async def _read(
    session: AsyncSession,
    access: PatientAccess,
    record: ComprehensiveAssessment,
    *,
    with_history: bool,
) -> AssessmentRead:
    names = await repo.user_names(session, [record.author_id])
    read = _as_read(record, names.get(record.author_id))
    if with_history:
        read.revisions = await revision_history(session, access, record.id)
    return read

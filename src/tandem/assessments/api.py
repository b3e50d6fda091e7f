"""JSON routes for instruments, responses, trajectories, safety alerts, needs and
comprehensive assessments."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from tandem.assessments import service
from tandem.assessments.definitions import instrument, instruments
from tandem.assessments.schemas import (
    AssessmentAmend,
    AssessmentCreate,
    AssessmentRead,
    EnteredInError,
    NeedCreate,
    NeedRead,
    NeedStatusChange,
    ResponseAmend,
    ResponseCreate,
    ResponseRead,
    SafetyAlertRead,
    SafetyAlertResolve,
    TrajectoryRead,
)
from tandem.assessments.service import comprehensive, needs, safety, trajectories
from tandem.deps import Ctx, CurrentUser, RuntimeDep, SessionDep
from tandem.errors import NotFound

router = APIRouter(tags=["assessments"])
PATIENT = "/patients/{patient_id}"


@router.get("/instruments")
async def list_instruments(_user: CurrentUser) -> list[dict[str, Any]]:
    """The instruments Tandem can administer, with their versions and sources."""
    return [
        {"code": i.code, "version": i.version, "title": i.title, "name": i.name, "source": i.source}
        for i in instruments().values()
    ]


@router.get("/instruments/{code}")
async def get_instrument(_user: CurrentUser, code: str) -> dict[str, Any]:
    """One instrument's full definition: items, answer codes, scoring, bands and flags."""
    found = instrument(code)
    if found is None:
        raise NotFound("instrument")
    return found.model_dump(mode="json")


@router.post(PATIENT + "/responses", response_model=ResponseRead, status_code=201)
async def administer(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: ResponseCreate
) -> ResponseRead:
    """Record a completed instrument; the answer gives the score, band, flags and needs."""
    return await service.administer(session, ctx, patient_id, data)


@router.get(PATIENT + "/responses", response_model=list[ResponseRead])
async def list_responses(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    instrument: str | None = Query(default=None, max_length=40),
) -> list[ResponseRead]:
    return await service.list_responses(session, ctx, patient_id, instrument_code=instrument)


@router.get(PATIENT + "/responses/{response_id}", response_model=ResponseRead)
async def get_response(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, response_id: uuid.UUID
) -> ResponseRead:
    return await service.get_response(session, ctx, patient_id, response_id)


@router.post(PATIENT + "/responses/{response_id}/amend", response_model=ResponseRead)
async def amend_response(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    data: ResponseAmend,
) -> ResponseRead:
    return await service.amend_response(session, ctx, patient_id, response_id, data)


@router.post(PATIENT + "/responses/{response_id}/entered-in-error", response_model=ResponseRead)
async def response_entered_in_error(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    data: EnteredInError,
) -> ResponseRead:
    return await service.mark_response_entered_in_error(session, ctx, patient_id, response_id, data)


@router.get(PATIENT + "/trajectories/{instrument_code}", response_model=TrajectoryRead)
async def trajectory(
    session: SessionDep, ctx: Ctx, rt: RuntimeDep, patient_id: uuid.UUID, instrument_code: str
) -> TrajectoryRead:
    """Scores over time with baseline, response, remission and not-improving judgements."""
    return await trajectories.trajectory(
        session, ctx, patient_id, instrument_code, trajectories.TrajectorySettings.of(rt.settings)
    )


@router.get(PATIENT + "/safety-alerts", response_model=list[SafetyAlertRead])
async def list_alerts(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, active: bool = False
) -> list[SafetyAlertRead]:
    return await safety.list_alerts(session, ctx, patient_id, active_only=active)


@router.post(PATIENT + "/safety-alerts/{alert_id}/resolve", response_model=SafetyAlertRead)
async def resolve_alert(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    alert_id: uuid.UUID,
    data: SafetyAlertResolve,
) -> SafetyAlertRead:
    """Record what was done about the alert; it then leaves the banner."""
    return await safety.resolve_alert(session, ctx, patient_id, alert_id, data)


@router.get(PATIENT + "/needs", response_model=list[NeedRead])
async def list_needs(session: SessionDep, ctx: Ctx, patient_id: uuid.UUID) -> list[NeedRead]:
    return await needs.list_needs(session, ctx, patient_id)


@router.post(PATIENT + "/needs", response_model=NeedRead, status_code=201)
async def add_need(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: NeedCreate
) -> NeedRead:
    return await needs.add_need(session, ctx, patient_id, data)


@router.post(PATIENT + "/needs/{need_id}/status", response_model=NeedRead)
async def change_need_status(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    need_id: uuid.UUID,
    data: NeedStatusChange,
) -> NeedRead:
    """Confirm, dismiss (with a reason), start addressing, resolve or re-open a need."""
    return await needs.change_need_status(session, ctx, patient_id, need_id, data)


@router.get(PATIENT + "/comprehensive-assessments", response_model=list[AssessmentRead])
async def list_assessments(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID
) -> list[AssessmentRead]:
    return await comprehensive.list_assessments(session, ctx, patient_id)


@router.post(PATIENT + "/comprehensive-assessments", response_model=AssessmentRead, status_code=201)
async def create_assessment(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: AssessmentCreate
) -> AssessmentRead:
    return await comprehensive.create_assessment(session, ctx, patient_id, data)


@router.get(PATIENT + "/comprehensive-assessments/{assessment_id}", response_model=AssessmentRead)
async def get_assessment(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, assessment_id: uuid.UUID
) -> AssessmentRead:
    return await comprehensive.get_assessment(session, ctx, patient_id, assessment_id)


@router.post(
    PATIENT + "/comprehensive-assessments/{assessment_id}/amend", response_model=AssessmentRead
)
async def amend_assessment(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
    data: AssessmentAmend,
) -> AssessmentRead:
    return await comprehensive.amend_assessment(session, ctx, patient_id, assessment_id, data)


@router.post(
    PATIENT + "/comprehensive-assessments/{assessment_id}/entered-in-error",
    response_model=AssessmentRead,
)
async def assessment_entered_in_error(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
    data: EnteredInError,
) -> AssessmentRead:
    return await comprehensive.mark_assessment_entered_in_error(
        session, ctx, patient_id, assessment_id, data
    )

"""JSON routes for care teams and enrolments."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from tandem.careteams import service
from tandem.careteams.schemas import (
    EnrolmentCreate,
    EnrolmentRead,
    EnrolmentUpdate,
    MakeLead,
    MemberCreate,
    MemberEnd,
    MemberRead,
    MemberUpdate,
)
from tandem.careteams.service import enrolments
from tandem.deps import Ctx, SessionDep
from tandem.people.schemas import EnteredInError

router = APIRouter(prefix="/patients/{patient_id}", tags=["care teams"])


@router.get("/care-team", response_model=list[MemberRead])
async def care_team(session: SessionDep, ctx: Ctx, patient_id: uuid.UUID) -> list[MemberRead]:
    return await service.list_members(session, ctx, patient_id)


@router.post("/care-team", response_model=MemberRead, status_code=201)
async def add_member(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: MemberCreate
) -> MemberRead:
    return await service.add_member(session, ctx, patient_id, data)


@router.patch("/care-team/{member_id}", response_model=MemberRead)
async def update_member(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    member_id: uuid.UUID,
    data: MemberUpdate,
) -> MemberRead:
    return await service.update_member(session, ctx, patient_id, member_id, data)


@router.post("/care-team/{member_id}/end", response_model=MemberRead)
async def end_member(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, member_id: uuid.UUID, data: MemberEnd
) -> MemberRead:
    return await service.end_member(session, ctx, patient_id, member_id, data)


@router.post("/care-team/lead", response_model=MemberRead, status_code=201)
async def make_lead(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: MakeLead
) -> MemberRead:
    """Hand the lead care manager role to another care manager."""
    return await service.make_lead(session, ctx, patient_id, data)


@router.get("/enrolments", response_model=list[EnrolmentRead])
async def list_enrolments(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID
) -> list[EnrolmentRead]:
    return await enrolments.list_enrolments(session, ctx, patient_id)


@router.post("/enrolments", response_model=EnrolmentRead, status_code=201)
async def enrol(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: EnrolmentCreate
) -> EnrolmentRead:
    return await enrolments.enrol(session, ctx, patient_id, data)


@router.patch("/enrolments/{enrolment_id}", response_model=EnrolmentRead)
async def update_enrolment(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    data: EnrolmentUpdate,
) -> EnrolmentRead:
    return await enrolments.update_enrolment(session, ctx, patient_id, enrolment_id, data)


@router.post("/enrolments/{enrolment_id}/entered-in-error", response_model=EnrolmentRead)
async def enrolment_entered_in_error(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    data: EnteredInError,
) -> EnrolmentRead:
    return await enrolments.mark_enrolment_entered_in_error(
        session, ctx, patient_id, enrolment_id, data
    )

"""JSON routes for patients, identifiers and related persons."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from tandem.careteams.service import patients as care_team
from tandem.caseload import service as caseload_service
from tandem.caseload.schemas import PatientSummary
from tandem.deps import Ctx, RuntimeDep, SessionDep
from tandem.people import service
from tandem.people.schemas import (
    EnteredInError,
    IdentifierCreate,
    IdentifierRead,
    PatientContactRead,
    PatientCreate,
    PatientRead,
    PatientUpdate,
    RelatedPersonCreate,
    RelatedPersonEnd,
    RelatedPersonRead,
    RelatedPersonUpdate,
)
from tandem.people.service import identifiers as identifier_service
from tandem.people.service import related
from tandem.schemas import Page

router = APIRouter(prefix="/patients", tags=["patients"])


@router.get("", response_model=Page[PatientSummary])
async def caseload(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    q: str | None = Query(
        default=None, max_length=100, description="Name, MRN, identifier or date of birth"
    ),
    page: int = Query(default=1, ge=1, le=10_000),
    page_size: int | None = Query(default=None, ge=1, le=200),
) -> Page[PatientSummary]:
    """My caseload: patients whose care team I am on."""
    return await caseload_service.list_caseload(
        session, ctx, q=q, page=page, page_size=page_size or rt.settings.page_size
    )


@router.post("", response_model=PatientRead, status_code=201)
async def create_patient(session: SessionDep, ctx: Ctx, data: PatientCreate) -> PatientRead:
    """Register a patient; 409 `possible_duplicate` asks to confirm a same name and birth date."""
    return await care_team.create_patient(session, ctx, data)


@router.get("/{patient_id}", response_model=PatientRead)
async def chart_header(session: SessionDep, ctx: Ctx, patient_id: uuid.UUID) -> PatientRead:
    return await care_team.chart_header(session, ctx, patient_id)


@router.get("/{patient_id}/contact", response_model=PatientContactRead)
async def contact_card(session: SessionDep, ctx: Ctx, patient_id: uuid.UUID) -> PatientContactRead:
    """Who the patient is, how to reach them and whom to call: what every team member may see."""
    return await care_team.contact_card(session, ctx, patient_id)


@router.patch("/{patient_id}", response_model=PatientRead)
async def update_patient(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: PatientUpdate
) -> PatientRead:
    return await care_team.update_patient(session, ctx, patient_id, data)


@router.post("/{patient_id}/entered-in-error", status_code=204)
async def patient_entered_in_error(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: EnteredInError
) -> None:
    await service.mark_patient_entered_in_error(session, ctx, patient_id, data)


@router.get("/{patient_id}/identifiers", response_model=list[IdentifierRead])
async def identifiers(session: SessionDep, ctx: Ctx, patient_id: uuid.UUID) -> list[IdentifierRead]:
    return await identifier_service.list_identifiers(session, ctx, patient_id)


@router.post("/{patient_id}/identifiers", response_model=IdentifierRead, status_code=201)
async def add_identifier(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: IdentifierCreate
) -> IdentifierRead:
    return await identifier_service.add_identifier(session, ctx, patient_id, data)


@router.post(
    "/{patient_id}/identifiers/{identifier_id}/entered-in-error", response_model=IdentifierRead
)
async def identifier_entered_in_error(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    identifier_id: uuid.UUID,
    data: EnteredInError,
) -> IdentifierRead:
    return await identifier_service.mark_identifier_entered_in_error(
        session, ctx, patient_id, identifier_id, data
    )


@router.get("/{patient_id}/related-persons", response_model=list[RelatedPersonRead])
async def related_persons(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID
) -> list[RelatedPersonRead]:
    return await related.list_related_persons(session, ctx, patient_id)


@router.post("/{patient_id}/related-persons", response_model=RelatedPersonRead, status_code=201)
async def add_related_person(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: RelatedPersonCreate
) -> RelatedPersonRead:
    return await related.add_related_person(session, ctx, patient_id, data)


@router.patch("/{patient_id}/related-persons/{person_id}", response_model=RelatedPersonRead)
async def update_related_person(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
    data: RelatedPersonUpdate,
) -> RelatedPersonRead:
    return await related.update_related_person(session, ctx, patient_id, person_id, data)


@router.post("/{patient_id}/related-persons/{person_id}/end", response_model=RelatedPersonRead)
async def end_related_person(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
    data: RelatedPersonEnd,
) -> RelatedPersonRead:
    return await related.end_related_person(session, ctx, patient_id, person_id, data)

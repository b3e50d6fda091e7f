"""Pages for a patient's family members and caregivers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.capabilities import Capability
from tandem.deps import SessionDep
from tandem.people.schemas import (
    RelatedPersonCreate,
    RelatedPersonEnd,
    RelatedPersonRead,
    RelatedPersonUpdate,
)
from tandem.people.service import related
from tandem.people.views.chart import chart_context
from tandem.people.vocab import Relationship
from tandem.vocab import RecordStatus
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import (
    FormState,
    SentBack,
    form_from,
    options,
    page,
    submit,
)

router = APIRouter()

PERSON_FIELDS = (
    "version",
    "name",
    "relationship",
    "phone",
    "email",
    "is_emergency_contact",
    "notes",
)


async def _list_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: FormState,
    *,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "related-persons")
    people = await related.list_related_persons(session, ctx, patient_id)
    return page(
        request,
        "patients/related_persons.html",
        {
            **chart,
            "current": [p for p in people if p.status == RecordStatus.active],
            "past": [p for p in people if p.status != RecordStatus.active],
            "form": form,
            "relationships": options(Relationship),
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/related-persons")
async def related_persons(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _list_page(request, session, ctx, patient_id, FormState())


@router.post("/patients/{patient_id}/related-persons")
async def add_related_person(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    return await submit(
        request,
        session,
        user,
        RelatedPersonCreate,
        lambda data: related.add_related_person(session, ctx, patient_id, data),
        done=(f"/patients/{patient_id}/related-persons", "person-added"),
        again=lambda form: _list_page(request, session, ctx, patient_id, form, status_code=422),
        checkboxes=("is_emergency_contact",),
    )


async def _find(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, person_id: uuid.UUID
) -> RelatedPersonRead:
    return await related.get_related_person(session, ctx, patient_id, person_id)


async def _person_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    edit: FormState | None = None,
    end: FormState | None = None,
) -> Response:
    sent = SentBack(edit=edit, end=end)
    chart = await chart_context(
        session, ctx, patient_id, "related-persons", capability=Capability.edit_family
    )
    person = await _find(session, ctx, patient_id, person_id)
    return page(
        request,
        "patients/related_person.html",
        {
            **chart,
            "person": person,
            "edit": sent.form("edit", lambda: form_from(person, PERSON_FIELDS)),
            "end": sent.form("end", lambda: form_from(None, version=person.version)),
            "conflict": sent.conflict,
            "relationships": options(Relationship),
        },
        status_code=sent.status,
    )


@router.get("/patients/{patient_id}/related-persons/{person_id}")
async def related_person(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
) -> Response:
    return await _person_page(request, session, ctx, patient_id, person_id)


@router.post("/patients/{patient_id}/related-persons/{person_id}")
async def update_related_person(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
) -> Response:
    return await submit(
        request,
        session,
        user,
        RelatedPersonUpdate,
        lambda data: related.update_related_person(session, ctx, patient_id, person_id, data),
        done=(f"/patients/{patient_id}/related-persons", "person-saved"),
        again=lambda form: _person_page(request, session, ctx, patient_id, person_id, edit=form),
        checkboxes=("is_emergency_contact",),
    )


@router.post("/patients/{patient_id}/related-persons/{person_id}/end")
async def end_related_person(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    person_id: uuid.UUID,
) -> Response:
    """End the relationship, or mark the entry as made in error; it stays in the history."""
    return await submit(
        request,
        session,
        user,
        RelatedPersonEnd,
        lambda data: related.end_related_person(session, ctx, patient_id, person_id, data),
        done=(f"/patients/{patient_id}/related-persons", "person-ended"),
        again=lambda form: _person_page(request, session, ctx, patient_id, person_id, end=form),
        checkboxes=("entered_in_error",),
    )

"""Pages for editing a patient's demographics and withdrawing a mistaken registration."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.capabilities import Capability
from tandem.careteams.service import patients as care_team
from tandem.deps import SessionDep
from tandem.people import service
from tandem.people.schemas import EnteredInError, PatientUpdate
from tandem.people.views.chart import chart_context
from tandem.people.views.patients import demographic_choices
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, form_status, page, submit

router = APIRouter()

EDIT_FIELDS = (
    "version",
    "given_name",
    "family_name",
    "preferred_name",
    "birth_date",
    "gender",
    "pronouns",
    "preferred_language",
    "interpreter_needed",
    "phone",
    "email",
    "address",
    "contact_preference",
    "managing_organization_id",
)


async def _edit_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    submitted: FormState | None,
) -> Response:
    """The edit form; after a stale save it shows the record as it is now, with its version."""
    chart = await chart_context(
        session, ctx, patient_id, "overview", capability=Capability.edit_demographics
    )
    conflict = submitted is not None and submitted.conflict
    form = submitted
    if form is None or conflict:
        form = form_from(chart["patient"], EDIT_FIELDS)
    return page(
        request,
        "patients/edit.html",
        {
            **chart,
            "form": form,
            "conflict": conflict,
            **await demographic_choices(session, form),
        },
        status_code=form_status(submitted),
    )


@router.get("/patients/{patient_id}/edit")
async def edit_form(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _edit_page(request, session, ctx, patient_id, None)


@router.post("/patients/{patient_id}/edit")
async def edit(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Save demographics; a change based on an old copy is refused, never silently merged."""
    return await submit(
        request,
        session,
        user,
        PatientUpdate,
        lambda data: care_team.update_patient(session, ctx, patient_id, data),
        done=(f"/patients/{patient_id}", "demographics-saved"),
        again=lambda form: _edit_page(request, session, ctx, patient_id, form),
        checkboxes=("interpreter_needed",),
    )


async def _withdraw_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: FormState | None,
    *,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(
        session, ctx, patient_id, "overview", capability=Capability.mark_registration_in_error
    )
    if form is None:
        form = form_from(None, version=chart["patient"].version)
    return page(
        request,
        "patients/entered_in_error.html",
        {**chart, "form": form},
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/entered-in-error")
async def withdraw_form(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _withdraw_page(request, session, ctx, patient_id, None)


@router.post("/patients/{patient_id}/entered-in-error")
async def withdraw(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Mark a registration made by mistake (e.g. a duplicate); only the lead may."""
    return await submit(
        request,
        session,
        user,
        EnteredInError,
        lambda data: service.mark_patient_entered_in_error(session, ctx, patient_id, data),
        done=("/caseload", "registration-entered-in-error"),
        again=lambda form: _withdraw_page(request, session, ctx, patient_id, form, status_code=422),
    )

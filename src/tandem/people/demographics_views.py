"""Pages for editing a patient's demographics and withdrawing a mistaken registration."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.deps import SessionDep
from tandem.errors import DomainError
from tandem.people import service
from tandem.people.chart import chart_context
from tandem.people.schemas import EnteredInError, PatientUpdate
from tandem.people.views import demographic_choices
from tandem.web.deps import PageCtx, PageUser, form_values
from tandem.web.pages import FormState, checkbox_values, form_from, page, parse, refused, see_other

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
    form: FormState | None,
    *,
    conflict: bool = False,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "overview")
    if form is None:
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
        status_code=status_code,
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
    values = await form_values(request)
    data, errors = parse(PatientUpdate, values, checkboxes=("interpreter_needed",))
    form = FormState(values=checkbox_values(values, "interpreter_needed"), errors=errors)
    if data is None:
        return await _edit_page(request, session, ctx, patient_id, form, status_code=422)
    try:
        await service.update_patient(session, ctx, patient_id, data)
    except DomainError as exc:
        errors = await refused(session, user, exc)
        if exc.status == 409:
            # Show the record as it is now, with its new version.
            return await _edit_page(
                request, session, ctx, patient_id, None, conflict=True, status_code=409
            )
        form.errors = errors
        return await _edit_page(request, session, ctx, patient_id, form, status_code=exc.status)
    return see_other(f"/patients/{patient_id}", "demographics-saved")


async def _withdraw_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: FormState | None,
    *,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "overview")
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
    values = await form_values(request)
    data, errors = parse(EnteredInError, values)
    form = FormState(values=values, errors=errors)
    if data is not None:
        try:
            await service.mark_patient_entered_in_error(session, ctx, patient_id, data)
        except DomainError as exc:
            form.errors = await refused(session, user, exc)
        else:
            return see_other("/caseload", "registration-entered-in-error")
    return await _withdraw_page(request, session, ctx, patient_id, form, status_code=422)

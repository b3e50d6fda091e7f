"""Pages for the caseload, registering a patient and the chart overview."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.capabilities import Capability
from tandem.careteams import service as careteam
from tandem.careteams.service import patients as patients_in_care
from tandem.caseload import service as caseload_service
from tandem.deps import RuntimeDep, SessionDep
from tandem.errors import DomainError
from tandem.people import service
from tandem.people.schemas import PatientCreate
from tandem.people.service import PossibleDuplicate
from tandem.people.views.chart import chart_context
from tandem.people.vocab import ContactPreference, Gender
from tandem.vocab import RecordStatus
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import (
    FormState,
    options,
    organization_options,
    page,
    page_number,
    read_form,
    refused,
    see_other,
)

router = APIRouter()

CHECKBOXES = ("interpreter_needed", "confirm_not_duplicate")


async def demographic_choices(session: AsyncSession, form: FormState) -> dict[str, Any]:
    """The select lists of the demographics form (registration and editing)."""
    return {
        "genders": options(Gender),
        "contact_preferences": options(ContactPreference),
        "organizations": await organization_options(
            session, keep=form.value("managing_organization_id") or None
        ),
    }


@router.get("/caseload")
async def caseload(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    rt: RuntimeDep,
    q: str = "",
    page_no: str = Query("1", alias="page"),
) -> Response:
    """My caseload: the patients whose care team I am on, searchable, a page at a time."""
    q = q.strip()[:100]
    result = await caseload_service.list_caseload(
        session, ctx, q=q or None, page=page_number(page_no), page_size=rt.settings.page_size
    )
    chart_rows = caseload_service.rows_show_the_chart(ctx)
    return page(
        request, "patients/caseload.html", {"result": result, "q": q, "chart_rows": chart_rows}
    )


async def _register_page(
    request: Request,
    session: AsyncSession,
    form: FormState,
    *,
    duplicate: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "patients/register.html",
        {
            "form": form,
            "duplicate": duplicate,
            **await demographic_choices(session, form),
        },
        status_code=status_code,
    )


@router.get("/patients/new")
async def register_form(request: Request, session: SessionDep, ctx: PageCtx) -> Response:
    service.may_register(session, ctx)
    form = FormState(values={"preferred_language": "English", "contact_preference": "phone"})
    return await _register_page(request, session, form)


@router.post("/patients/new")
async def register(request: Request, session: SessionDep, ctx: PageCtx, user: PageUser) -> Response:
    """Register a patient; a possible duplicate is shown and must be confirmed."""
    data, form = await read_form(request, PatientCreate, checkboxes=CHECKBOXES)
    if data is None:
        return await _register_page(request, session, form, status_code=422)
    try:
        patient = await patients_in_care.create_patient(session, ctx, data)
    except PossibleDuplicate as exc:
        # Nothing was created and nothing is undone: the duplicate check's audit event commits.
        duplicate = {
            "message": exc.message,
            "visible": exc.extra.get("visible_matches", []),
        }
        return await _register_page(
            request, session, form, duplicate=duplicate, status_code=exc.status
        )
    except DomainError as exc:
        form.errors = await refused(session, user, exc)
        return await _register_page(request, session, form, status_code=exc.status)
    return see_other(f"/patients/{patient.id}", "patient-registered")


@router.get("/patients/{patient_id}")
async def chart_overview(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    """The chart's first page: demographics, contact details, programme and care team."""
    chart = await chart_context(session, ctx, patient_id, "overview")
    members = (
        [
            m
            for m in await careteam.list_members(session, ctx, patient_id)
            if m.status == RecordStatus.active
        ]
        if chart["access"].can(Capability.read_care_team)
        else []
    )
    return page(request, "patients/overview.html", {**chart, "members": members})

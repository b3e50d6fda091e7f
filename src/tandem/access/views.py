"""Pages for emergency access (break the glass) and reading a patient's access log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tandem.access import service
from tandem.access.api import BreakGlassRequest
from tandem.deps import RuntimeDep, SessionDep
from tandem.errors import DomainError, NotFound
from tandem.people.views.chart import chart_context
from tandem.privacy.service import (
    find_patient_id_by_mrn_for_privacy,
    open_privacy_pages,
    patient_access_log,
)
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import (
    FormState,
    page,
    page_number,
    read_form,
    refused,
    see_other,
)

router = APIRouter()


@router.get("/emergency-access")
async def emergency_access_form(
    request: Request, session: SessionDep, ctx: PageCtx, rt: RuntimeDep
) -> Response:
    service.open_emergency_access_form(session, ctx)
    return page(
        request,
        "access/emergency_access.html",
        {"form": FormState(), "minutes": rt.settings.break_glass_minutes},
    )


@router.post("/emergency-access")
async def emergency_access(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, rt: RuntimeDep
) -> Response:
    """Open a patient outside my care teams: MRN, date of birth and a reason; time-limited."""
    data, form = await read_form(request, BreakGlassRequest)
    if data is not None:
        try:
            grant = await service.break_the_glass(
                session,
                ctx,
                mrn=data.mrn,
                birth_date=data.birth_date,
                reason=data.reason,
                minutes=rt.settings.break_glass_minutes,
            )
        except NotFound:
            # Nothing was granted and nothing is undone: the failed lookup's audit event commits.
            form.errors = {
                "form": "No patient matches this MRN and date of birth. Check both and try again."
            }
        except DomainError as exc:
            form.errors = await refused(session, user, exc)
        else:
            return see_other(f"/patients/{grant.patient_id}", "emergency-access")
    return page(
        request,
        "access/emergency_access.html",
        {"form": form, "minutes": rt.settings.break_glass_minutes},
        status_code=422,
    )


@router.get("/patients/{patient_id}/access-log")
async def access_log(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    page_no: str = Query("1", alias="page"),
) -> Response:
    """Who opened or changed this patient's record; for the lead care manager."""
    chart = await chart_context(session, ctx, patient_id, "access-log")
    log = await patient_access_log(
        session, ctx, patient_id, page=page_number(page_no), page_size=rt.settings.page_size
    )
    return page(request, "access/patient_access_log.html", {**chart, "log": log})


@router.get("/privacy/access-log")
async def privacy_access_log(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    rt: RuntimeDep,
    mrn: str = "",
    page_no: str = Query("1", alias="page"),
) -> Response:
    """A privacy officer reads any patient's access log by MRN."""
    open_privacy_pages(session, ctx)
    mrn = mrn.strip().upper()[:40]
    form = FormState(values={"mrn": mrn})
    log = None
    if mrn:
        try:
            patient_id = await find_patient_id_by_mrn_for_privacy(session, ctx, mrn)
        except NotFound:
            form.errors = {"mrn": "No patient has this MRN."}
        else:
            log = await patient_access_log(
                session, ctx, patient_id, page=page_number(page_no), page_size=rt.settings.page_size
            )
    return page(
        request,
        "access/privacy_access_log.html",
        {"form": form, "log": log, "mrn": mrn},
        status_code=404 if form.errors else 200,
    )

"""Pages for programme enrolments (episodes of care): enrol, change phase, discharge."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.careteams.schemas import EnrolmentCreate, EnrolmentUpdate
from tandem.careteams.service import enrolments
from tandem.careteams.vocab import PROGRAMMES, Phase
from tandem.deps import SessionDep
from tandem.people.schemas import EnteredInError
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import (
    FormState,
    SentBack,
    form_from,
    options,
    organization_options,
    page,
    submit,
)

router = APIRouter()

OPEN_PHASES = [Phase.active, Phase.relapse_prevention]


async def _list_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: FormState | None = None,
    *,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "enrolments")
    episodes = await enrolments.list_enrolments(session, ctx, patient_id)
    return page(
        request,
        "careteams/enrolments.html",
        {
            **chart,
            "enrolments": sorted(episodes, key=lambda e: e.start_date, reverse=True),
            "form": form or form_from(None, phase=Phase.active, start_date=ctx.clock.today()),
            "programmes": [(p, p) for p in PROGRAMMES],
            "phases": options(OPEN_PHASES),
            "organizations": await organization_options(session),
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/enrolments")
async def list_enrolments(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _list_page(request, session, ctx, patient_id)


@router.post("/patients/{patient_id}/enrolments")
async def enrol(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    return await submit(
        request,
        session,
        user,
        EnrolmentCreate,
        lambda data: enrolments.enrol(session, ctx, patient_id, data),
        done=(f"/patients/{patient_id}/enrolments", "enrolled"),
        again=lambda form: _list_page(request, session, ctx, patient_id, form, status_code=422),
    )


async def _enrolment_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    *,
    change: FormState | None = None,
    withdraw: FormState | None = None,
) -> Response:
    sent = SentBack(change=change, withdraw=withdraw)
    chart = await chart_context(session, ctx, patient_id, "enrolments")
    enrolment = await enrolments.get_enrolment(session, ctx, patient_id, enrolment_id)
    return page(
        request,
        "careteams/enrolment.html",
        {
            **chart,
            "enrolment": enrolment,
            "phases": options(Phase),
            "change": sent.form("change", lambda: form_from(enrolment, ("version", "phase"))),
            "withdraw": sent.form("withdraw", lambda: form_from(None, version=enrolment.version)),
            "conflict": sent.conflict,
        },
        status_code=sent.status,
    )


@router.get("/patients/{patient_id}/enrolments/{enrolment_id}")
async def enrolment(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
) -> Response:
    return await _enrolment_page(request, session, ctx, patient_id, enrolment_id)


@router.post("/patients/{patient_id}/enrolments/{enrolment_id}")
async def change_enrolment(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
) -> Response:
    """Move to another phase; choosing "discharged" closes the episode."""
    return await submit(
        request,
        session,
        user,
        EnrolmentUpdate,
        lambda data: enrolments.update_enrolment(session, ctx, patient_id, enrolment_id, data),
        done=(f"/patients/{patient_id}/enrolments", "enrolment-changed"),
        again=lambda form: _enrolment_page(
            request, session, ctx, patient_id, enrolment_id, change=form
        ),
    )


@router.post("/patients/{patient_id}/enrolments/{enrolment_id}/entered-in-error")
async def enrolment_entered_in_error(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    enrolment_id: uuid.UUID,
) -> Response:
    return await submit(
        request,
        session,
        user,
        EnteredInError,
        lambda data: enrolments.mark_enrolment_entered_in_error(
            session, ctx, patient_id, enrolment_id, data
        ),
        done=(f"/patients/{patient_id}/enrolments", "enrolment-entered-in-error"),
        again=lambda form: _enrolment_page(
            request, session, ctx, patient_id, enrolment_id, withdraw=form
        ),
    )

"""Pages for one response: its result, amending it, marking it entered in error."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments import service
from tandem.assessments.definitions import instrument
from tandem.assessments.schemas import EnteredInError, ResponseAmend
from tandem.assessments.views.answer_form import (
    AnswerForm,
    prefilled,
    read_answer_form,
    submitted_instrument,
)
from tandem.capabilities import Capability
from tandem.deps import SessionDep
from tandem.errors import NotFound
from tandem.people.views.chart import chart_context
from tandem.vocab import RecordStatus
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, attempt, form_from, form_status, page, read_form, see_other

router = APIRouter()

RESPONSE = "/patients/{patient_id}/responses/{response_id}"


async def _response_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    *,
    withdraw: FormState | None = None,
) -> Response:
    """The result; a refused withdrawal comes back with its error (a stale one afresh)."""
    chart = await chart_context(session, ctx, patient_id, "measurements")
    response = await service.get_response(session, ctx, patient_id, response_id)
    if withdraw is not None and withdraw.conflict:
        withdraw = None
    return page(
        request,
        "assessments/response.html",
        {
            **chart,
            "response": response,
            "definition": instrument(response.instrument),
            "withdraw": withdraw or form_from(None, version=response.version),
        },
        status_code=form_status(withdraw),
    )


@router.get(RESPONSE)
async def response_page(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
) -> Response:
    """Score, band, item answers, what changed since the last one, alerts, needs, history."""
    return await _response_page(request, session, ctx, patient_id, response_id)


async def _amend_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    *,
    form: AnswerForm | None = None,
) -> Response:
    chart = await chart_context(
        session, ctx, patient_id, "measurements", capability=Capability.record_measurements
    )
    response = await service.get_response(session, ctx, patient_id, response_id)
    definition = instrument(response.instrument)
    if response.status == RecordStatus.entered_in_error or definition is None:
        raise NotFound("response that can be amended")
    conflict = form is not None and form.conflict
    if form is None or conflict:
        answers = {i.link_id: i.codes for i in response.items if i.codes}
        form = prefilled(
            definition,
            answers,
            answered_on=response.answered_on.isoformat(),
            version=str(response.version),
            reason=form.value("reason") if form else "",
        )
        form.conflict = conflict
    return page(
        request,
        "assessments/amend.html",
        {**chart, "response": response, "definition": definition, "form": form},
        status_code=409 if conflict else (422 if form.errors else 200),
    )


@router.get(RESPONSE + "/amend")
async def amend_form(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
) -> Response:
    return await _amend_page(request, session, ctx, patient_id, response_id)


@router.post(RESPONSE + "/amend")
async def amend(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
) -> Response:
    """Correct the answers with a reason; the score, alerts and needs are worked out again."""
    definition = await submitted_instrument(request)
    data, form = await read_answer_form(request, definition, ResponseAmend)
    if data is not None and await attempt(
        session, user, form, service.amend_response(session, ctx, patient_id, response_id, data)
    ):
        return see_other(f"/patients/{patient_id}/responses/{response_id}", "response-amended")
    return await _amend_page(request, session, ctx, patient_id, response_id, form=form)


@router.post(RESPONSE + "/entered-in-error")
async def entered_in_error(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
) -> Response:
    """Withdraw a response recorded by mistake; it stays visible, struck through."""
    data, form = await read_form(request, EnteredInError)
    change = service.mark_response_entered_in_error
    if data is not None and await attempt(
        session, user, form, change(session, ctx, patient_id, response_id, data)
    ):
        return see_other(
            f"/patients/{patient_id}/responses/{response_id}", "response-entered-in-error"
        )
    return await _response_page(request, session, ctx, patient_id, response_id, withdraw=form)

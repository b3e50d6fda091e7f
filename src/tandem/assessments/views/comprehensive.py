"""Pages for the comprehensive assessment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments import service
from tandem.assessments.rules import OPEN_NEED_STATUSES
from tandem.assessments.schemas import (
    AssessmentAmend,
    AssessmentCreate,
    AssessmentRead,
    EnteredInError,
    NeedRead,
    ResponseRead,
)
from tandem.assessments.service import comprehensive, needs
from tandem.assessments.vocab import NeedStatus
from tandem.capabilities import Capability
from tandem.deps import SessionDep
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser, form_values, parse_form
from tandem.web.pages import (
    FormState,
    SentBack,
    attempt,
    form_from,
    form_status,
    page,
    read_form,
    see_other,
)

router = APIRouter()

M = TypeVar("M", bound=BaseModel)

# The checkbox lists of the form: one submitted value per ticked box.
TICK_LISTS = ("response_ids", "need_ids")

# Needs that can no longer be chosen (the service refuses them).
CLOSED_FOR_GOOD = {"dismissed", NeedStatus.entered_in_error}


@dataclass
class AssessmentForm(FormState):
    """A form state that also remembers which boxes were ticked in the checkbox lists."""

    ticked: dict[str, list[str]] = field(default_factory=dict)

    def is_ticked(self, name: str, value: object) -> bool:
        return str(value) in self.ticked.get(name, [])


def assessment_form(
    record: AssessmentRead | None = None, *, assessed_on: date | None = None
) -> AssessmentForm:
    """A form pre-filled from an assessment (for amending), or a blank one dated ``assessed_on``."""
    fields = ("version", "assessed_on", "narrative", "priorities", "strengths")
    base = form_from(record, fields) if record else form_from(None, assessed_on=assessed_on)
    ticked = (
        {
            "response_ids": [str(i) for i in record.response_ids],
            "need_ids": [str(i) for i in record.need_ids],
        }
        if record
        else {}
    )
    return AssessmentForm(values=base.values, ticked=ticked)


async def read_assessment_form(request: Request, model: type[M]) -> tuple[M | None, AssessmentForm]:
    """The submitted form with its checkbox lists; deps.form_values keeps one value per name."""
    submitted = await request.form()
    ticked = {
        name: [v for v in submitted.getlist(name) if isinstance(v, str) and v]
        for name in TICK_LISTS
    }
    values = {k: v for k, v in (await form_values(request)).items() if k not in TICK_LISTS}
    data, errors = parse_form(model, values, extra=dict(ticked))
    return data, AssessmentForm(values=values, errors=errors, ticked=ticked)


def choices(
    responses: list[ResponseRead], all_needs: list[NeedRead], keep: AssessmentRead | None = None
) -> tuple[list[ResponseRead], list[NeedRead]]:
    """The screens and needs an assessment can name; an amendment also keeps its own needs."""
    kept = set(keep.need_ids) if keep else set()
    return (
        [r for r in responses if r.status != NeedStatus.entered_in_error],
        [
            n
            for n in all_needs
            if n.status in OPEN_NEED_STATUSES or (n.id in kept and n.status not in CLOSED_FOR_GOOD)
        ],
    )


async def _list_page(
    request: Request, session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "assessments")
    assessments = await comprehensive.list_assessments(session, ctx, patient_id)
    return page(
        request, "assessments/comprehensive_list.html", {**chart, "assessments": assessments}
    )


async def _new_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: AssessmentForm | None = None,
) -> Response:
    chart = await chart_context(
        session, ctx, patient_id, "assessments", capability=Capability.write_assessments
    )
    screens, open_needs = choices(
        await service.list_responses(session, ctx, patient_id),
        await needs.list_needs(session, ctx, patient_id),
    )
    return page(
        request,
        "assessments/comprehensive_new.html",
        {
            **chart,
            "form": form or assessment_form(assessed_on=ctx.clock.today()),
            "screens": screens,
            "open_needs": open_needs,
        },
        status_code=form_status(form),
    )


async def _assessment_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
    *,
    amend: AssessmentForm | None = None,
    withdraw: FormState | None = None,
) -> Response:
    """The assessment in full; a refused form keeps its errors, a stale one shows it afresh."""
    sent = SentBack(amend=amend, withdraw=withdraw)
    chart = await chart_context(session, ctx, patient_id, "assessments")
    record = await comprehensive.get_assessment(session, ctx, patient_id, assessment_id)
    responses = await service.list_responses(session, ctx, patient_id)
    patient_needs = await needs.list_needs(session, ctx, patient_id)
    all_screens = {r.id: r for r in responses}
    all_needs = {n.id: n for n in patient_needs}
    screens, open_needs = choices(responses, patient_needs, keep=record)
    return page(
        request,
        "assessments/comprehensive.html",
        {
            **chart,
            "assessment": record,
            "its_screens": [all_screens[i] for i in record.response_ids if i in all_screens],
            "its_needs": [all_needs[i] for i in record.need_ids if i in all_needs],
            "all_screens": all_screens,
            "screens": screens,
            "open_needs": open_needs,
            "amend": sent.form("amend", lambda: assessment_form(record)),
            "withdraw": sent.form("withdraw", lambda: form_from(None, version=record.version)),
            "conflict": sent.conflict,
        },
        status_code=sent.status,
    )


@router.get("/patients/{patient_id}/assessments")
async def list_assessments(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _list_page(request, session, ctx, patient_id)


@router.get("/patients/{patient_id}/assessments/new")
async def new_assessment(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _new_page(request, session, ctx, patient_id)


@router.post("/patients/{patient_id}/assessments")
async def create_assessment(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Save a comprehensive assessment; candidate needs it names are confirmed by it."""
    data, form = await read_assessment_form(request, AssessmentCreate)
    saved: list[AssessmentRead] = []

    async def create(data: AssessmentCreate) -> None:
        saved.append(await comprehensive.create_assessment(session, ctx, patient_id, data))

    if data is not None and await attempt(session, user, form, create(data)):
        return see_other(f"/patients/{patient_id}/assessments/{saved[0].id}", "assessment-saved")
    return await _new_page(request, session, ctx, patient_id, form)


@router.get("/patients/{patient_id}/assessments/{assessment_id}")
async def assessment(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
) -> Response:
    return await _assessment_page(request, session, ctx, patient_id, assessment_id)


@router.post("/patients/{patient_id}/assessments/{assessment_id}/amend")
async def amend_assessment(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
) -> Response:
    """Change the assessment with a reason; what it said before stays in its history."""
    data, form = await read_assessment_form(request, AssessmentAmend)
    if data is not None and await attempt(
        session,
        user,
        form,
        comprehensive.amend_assessment(session, ctx, patient_id, assessment_id, data),
    ):
        return see_other(
            f"/patients/{patient_id}/assessments/{assessment_id}", "assessment-amended"
        )
    return await _assessment_page(request, session, ctx, patient_id, assessment_id, amend=form)


@router.post("/patients/{patient_id}/assessments/{assessment_id}/entered-in-error")
async def assessment_entered_in_error(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    assessment_id: uuid.UUID,
) -> Response:
    data, form = await read_form(request, EnteredInError)
    if data is not None and await attempt(
        session,
        user,
        form,
        comprehensive.mark_assessment_entered_in_error(
            session, ctx, patient_id, assessment_id, data
        ),
    ):
        return see_other(
            f"/patients/{patient_id}/assessments/{assessment_id}", "assessment-entered-in-error"
        )
    return await _assessment_page(request, session, ctx, patient_id, assessment_id, withdraw=form)

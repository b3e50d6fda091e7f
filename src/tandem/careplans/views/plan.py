"""The Care plan tab: the patient's goals, who does what, and starting a plan."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.careplans import service
from tandem.careplans.schemas import PlanCreate
from tandem.careplans.service.pages import plan_page
from tandem.careplans.views.flow import plan_url
from tandem.careplans.views.summary import is_overdue, who_does_what
from tandem.deps import SessionDep
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_status, page, submit

router = APIRouter()

PLAN = "/patients/{patient_id}/care-plan"


class StartPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    next_review_on: date | None = None
    reason: str | None = Field(default=None, max_length=500)


async def _plan_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    start: FormState | None = None,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "care-plan")
    found = await plan_page(session, ctx, patient_id)
    today = ctx.clock.today()
    overdue = {
        activity.id
        for goal in (found.plan.goals if found.plan else [])
        for activity in goal.activities
        if is_overdue(activity, today)
    }
    return page(
        request,
        "careplans/plan.html",
        {
            **chart,
            "plan": found.plan,
            "needs": found.needs,
            "who": who_does_what(found.plan),
            "overdue": overdue,
            "today": today,
            "start": start or FormState(),
        },
        status_code=form_status(start),
    )


@router.get(PLAN)
async def care_plan_tab(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _plan_page(request, session, ctx, patient_id)


@router.post(PLAN)
async def start_plan(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Start the patient's plan (at version 1); goals are added next."""
    return await submit(
        request,
        session,
        user,
        StartPlan,
        lambda data: service.create_plan(session, ctx, patient_id, PlanCreate(**data.model_dump())),
        done=(plan_url(patient_id), "care-plan-started"),
        again=lambda form: _plan_page(request, session, ctx, patient_id, start=form),
    )

"""The Care plan tab: the patient's goals, who does what, and starting a plan."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.careplans import service
from tandem.careplans.schemas import PlanCreate, ReviewRecord
from tandem.careplans.service import review
from tandem.careplans.service.pages import plan_page
from tandem.careplans.views.fixes import fixes_of
from tandem.careplans.views.flow import plan_url, post_change
from tandem.careplans.views.from_template import template_form
from tandem.careplans.views.summary import is_overdue, who_does_what
from tandem.deps import RuntimeDep, SessionDep
from tandem.people.views.chart import chart_context
from tandem.runtime import Runtime
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, form_status, page, submit

router = APIRouter()

PLAN = "/patients/{patient_id}/care-plan"
# The review form's first suggestion for the next one, three months on; the team chooses (the
# plan says when it is due sooner: not improving, a safety alert, a new need).
REVIEW_EVERY_DAYS = 91


class StartPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    next_review_on: date | None = None
    reason: str | None = Field(default=None, max_length=500)


async def _plan_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    rt: Runtime,
    patient_id: uuid.UUID,
    *,
    start: FormState | None = None,
    review: FormState | None = None,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "care-plan")
    settings = TrajectorySettings.of(rt.settings)
    found = await plan_page(session, ctx, patient_id, full=(chart["patient"], settings))
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
            "review": review
            or form_from(
                None,
                version=found.plan.version if found.plan else 1,
                next_review_on=ctx.clock.today() + timedelta(days=REVIEW_EVERY_DAYS),
            ),
            "fixes": fixes_of(found.plan),
            **template_form(found.plan.version if found.plan else None),
        },
        status_code=form_status(start or review),
    )


@router.get(PLAN)
async def care_plan_tab(
    request: Request, session: SessionDep, ctx: PageCtx, rt: RuntimeDep, patient_id: uuid.UUID
) -> Response:
    return await _plan_page(request, session, ctx, rt, patient_id)


@router.post(PLAN)
async def start_plan(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    rt: RuntimeDep,
    user: PageUser,
    patient_id: uuid.UUID,
) -> Response:
    """Start the patient's plan (at version 1); goals are added next."""
    return await submit(
        request,
        session,
        user,
        StartPlan,
        lambda data: service.create_plan(session, ctx, patient_id, PlanCreate(**data.model_dump())),
        done=(plan_url(patient_id), "care-plan-started"),
        again=lambda form: _plan_page(request, session, ctx, rt, patient_id, start=form),
    )


class ReviewForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = Field(ge=1, le=2_147_483_647)
    next_review_on: date
    reason: str | None = Field(default=None, max_length=500)


@router.post(PLAN + "/review")
async def record_review(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    rt: RuntimeDep,
    user: PageUser,
    patient_id: uuid.UUID,
) -> Response:
    """The team went through the plan: who and when, and the day of the next review."""

    async def change(data: ReviewForm, values: dict[str, str]) -> object:
        record = ReviewRecord(next_review_on=data.next_review_on, reason=data.reason)
        return await review.record_review(
            session,
            ctx,
            patient_id,
            record,
            if_match=f'"{data.version}"',
            settings=TrajectorySettings.of(rt.settings),
        )

    return await post_change(
        request,
        session,
        user,
        ReviewForm,
        change,
        done=(plan_url(patient_id), "care-plan-reviewed"),
        again=lambda form: _plan_page(request, session, ctx, rt, patient_id, review=form),
    )

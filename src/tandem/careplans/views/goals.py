"""Adding and changing a goal of the plan, and marking one entered in error."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments.vocab import DOMAIN_LABELS
from tandem.capabilities import Capability
from tandem.careplans.schemas import GoalRead, MarkInError
from tandem.careplans.service import goals
from tandem.careplans.service.pages import plan_page
from tandem.careplans.views.flow import conflict_lines, plan_url, post_change
from tandem.careplans.views.forms import (
    GoalForm,
    InErrorForm,
    goal_change,
    goal_form,
    if_match,
    new_goal,
    ticked_needs,
)
from tandem.careplans.vocab import Achievement, Comparator, GoalStatus, TargetMeasure
from tandem.deps import SessionDep
from tandem.errors import NotFound
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, form_status, options, page

router = APIRouter()

PLAN = "/patients/{patient_id}/care-plan"
GOAL = PLAN + "/goals/{goal_id}"
# A goal's lifecycle as a form offers it: entered in error is its own form.
GOAL_STATUSES = [s for s in GoalStatus if s != GoalStatus.entered_in_error]


async def _goal_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID | None,
    *,
    submitted: FormState | None = None,
    withdraw: FormState | None = None,
) -> Response:
    """A goal's form (a new goal's when ``goal_id`` is None); a refused one as it was typed."""
    chart = await chart_context(
        session, ctx, patient_id, "care-plan", capability=Capability.edit_care_plan
    )
    part = ("Goal", goal_id) if goal_id else None
    found = await plan_page(session, ctx, patient_id, part=part)
    if found.plan is None:
        raise NotFound("care plan")
    goal: GoalRead | None = None
    if goal_id is not None:
        goal = next((g for g in found.plan.goals if g.id == goal_id), None)
        if goal is None and not (submitted and submitted.conflict):
            raise NotFound("goal")
    sent = submitted or withdraw
    form = submitted or goal_form(goal, found.plan.version)
    wanted = request.query_params.get("need", "")
    if goal_id is None and submitted is None and wanted in {str(n) for n in found.needs}:
        form.values[f"need.{wanted}"] = "on"  # from "Add a goal for it" on the Needs tab
    merged = goal_id if submitted else None  # what the other change did, taken into the form
    changes = await conflict_lines(session, ctx, found, sent, part=merged)
    version = found.plan.version
    return page(
        request,
        "careplans/goal.html",
        {
            **chart,
            "plan": found.plan,
            "goal": goal,
            "goal_id": goal_id,
            "form": form,
            "withdraw": withdraw or form_from(None, version=version),
            "changes": changes,
            "conflict": sent is not None and sent.conflict,
            "needs": list(found.needs.values()),
            "domains": DOMAIN_LABELS,
            "statuses": options(GOAL_STATUSES),
            "achievements": options(Achievement),
            "measures": [(m.value, m.value.upper()) for m in TargetMeasure],
            "comparators": options(Comparator),
        },
        status_code=form_status(sent),
    )


@router.get(PLAN + "/goals/new")
async def new_goal_form(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _goal_page(request, session, ctx, patient_id, None)


@router.post(PLAN + "/goals")
async def add_goal(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    async def change(data: GoalForm, values: dict[str, str]) -> object:
        goal = new_goal(data, ticked_needs(values))
        return await goals.add_goal(session, ctx, patient_id, goal, if_match=if_match(data))

    return await post_change(
        request,
        session,
        user,
        GoalForm,
        change,
        done=(plan_url(patient_id), "goal-added"),
        again=lambda form: _goal_page(request, session, ctx, patient_id, None, submitted=form),
    )


@router.get(GOAL)
async def goal_page(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID, goal_id: uuid.UUID
) -> Response:
    return await _goal_page(request, session, ctx, patient_id, goal_id)


@router.post(GOAL)
async def change_goal(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
) -> Response:
    async def change(data: GoalForm, values: dict[str, str]) -> object:
        update = goal_change(data, ticked_needs(values))
        return await goals.update_goal(
            session, ctx, patient_id, goal_id, update, if_match=if_match(data)
        )

    return await post_change(
        request,
        session,
        user,
        GoalForm,
        change,
        done=(plan_url(patient_id), "goal-changed"),
        again=lambda form: _goal_page(request, session, ctx, patient_id, goal_id, submitted=form),
    )


@router.post(GOAL + "/entered-in-error")
async def goal_entered_in_error(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
) -> Response:
    async def change(data: InErrorForm, values: dict[str, str]) -> object:
        mark = MarkInError(reason=data.reason)
        return await goals.mark_goal_entered_in_error(
            session, ctx, patient_id, goal_id, mark, if_match=if_match(data)
        )

    return await post_change(
        request,
        session,
        user,
        InErrorForm,
        change,
        done=(plan_url(patient_id), "goal-entered-in-error"),
        again=lambda form: _goal_page(request, session, ctx, patient_id, goal_id, withdraw=form),
    )

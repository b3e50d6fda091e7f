"""Adding and changing an activity of a goal, with the one party responsible for it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.capabilities import Capability
from tandem.careplans.schemas import ActivityRead, ActivityUpdate, GoalRead, MarkInError
from tandem.careplans.service import goals
from tandem.careplans.service.pages import choices, plan_page
from tandem.careplans.views.flow import conflict_lines, plan_url, post_change
from tandem.careplans.views.forms import (
    ActivityForm,
    InErrorForm,
    PlanForm,
    activity_change,
    activity_form,
    if_match,
    new_activity,
    party_options,
    responsible_value,
)
from tandem.careplans.vocab import ActivityKind, ActivityStatus
from tandem.deps import SessionDep
from tandem.errors import NotFound
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import (
    FormState,
    form_from,
    form_status,
    options,
    organization_options,
    page,
)

router = APIRouter()

PLAN = "/patients/{patient_id}/care-plan"
ACTIVITY = PLAN + "/activities/{activity_id}"
ACTIVITY_STATUSES = [s for s in ActivityStatus if s != ActivityStatus.entered_in_error]


def _find(
    goals_: list[GoalRead], goal_id: uuid.UUID | None, activity_id: uuid.UUID | None
) -> tuple[GoalRead | None, ActivityRead | None]:
    for goal in goals_:
        if activity_id is None and goal.id == goal_id:
            return goal, None
        for activity in goal.activities:
            if activity.id == activity_id:
                return goal, activity
    return None, None


async def _activity_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    goal_id: uuid.UUID | None = None,
    activity_id: uuid.UUID | None = None,
    submitted: FormState | None = None,
    withdraw: FormState | None = None,
) -> Response:
    """A new activity's form for a goal (``goal_id``), or an activity's (``activity_id``)."""
    chart = await chart_context(
        session, ctx, patient_id, "care-plan", capability=Capability.edit_care_plan
    )
    part = ("CareActivity", activity_id) if activity_id else ("Goal", goal_id) if goal_id else None
    found = await plan_page(session, ctx, patient_id, part=part)
    if found.plan is None:
        raise NotFound("care plan")
    sent = submitted or withdraw
    goal, activity = _find(found.plan.goals, goal_id, activity_id)
    if goal is None and not (sent and sent.conflict):
        raise NotFound("activity" if activity_id else "goal")
    party = await choices(session, ctx, patient_id)
    keep = (responsible_value(activity), activity.responsible.name) if activity else None
    chosen = (sent.value("responsible") if sent else "") or (keep[0] if keep else "")
    orgs = await organization_options(session, keep=chosen.partition(":")[2] or None)
    merged = activity_id if submitted else None  # what the other change did, taken into the form
    changes = await conflict_lines(session, ctx, found, sent, part=merged)
    version = found.plan.version
    return page(
        request,
        "careplans/activity.html",
        {
            **chart,
            "plan": found.plan,
            "goal": goal,
            "activity": activity,
            "activity_id": activity_id,
            "form": submitted or activity_form(activity, version),
            "withdraw": withdraw or form_from(None, version=version),
            "changes": changes,
            "conflict": sent is not None and sent.conflict,
            "parties": party_options(party, orgs, keep=keep),
            "kinds": options(ActivityKind),
            "statuses": options(ACTIVITY_STATUSES),
        },
        status_code=form_status(sent),
    )


@router.get(PLAN + "/goals/{goal_id}/activities/new")
async def new_activity_form(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID, goal_id: uuid.UUID
) -> Response:
    return await _activity_page(request, session, ctx, patient_id, goal_id=goal_id)


@router.post(PLAN + "/goals/{goal_id}/activities")
async def add_activity(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
) -> Response:
    async def change(data: ActivityForm, values: dict[str, str]) -> object:
        return await goals.add_activity(
            session, ctx, patient_id, goal_id, new_activity(data), if_match=if_match(data)
        )

    return await post_change(
        request,
        session,
        user,
        ActivityForm,
        change,
        done=(plan_url(patient_id), "activity-added"),
        again=lambda form: _activity_page(
            request, session, ctx, patient_id, goal_id=goal_id, submitted=form
        ),
    )


@router.get(ACTIVITY)
async def activity_page(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
) -> Response:
    return await _activity_page(request, session, ctx, patient_id, activity_id=activity_id)


@router.post(ACTIVITY)
async def change_activity(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
) -> Response:
    async def change(data: ActivityForm, values: dict[str, str]) -> object:
        return await goals.update_activity(
            session, ctx, patient_id, activity_id, activity_change(data), if_match=if_match(data)
        )

    return await post_change(
        request,
        session,
        user,
        ActivityForm,
        change,
        done=(plan_url(patient_id), "activity-changed"),
        again=lambda form: _activity_page(
            request, session, ctx, patient_id, activity_id=activity_id, submitted=form
        ),
    )


@router.post(ACTIVITY + "/entered-in-error")
async def activity_entered_in_error(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
) -> Response:
    async def change(data: InErrorForm, values: dict[str, str]) -> object:
        mark = MarkInError(reason=data.reason)
        return await goals.mark_activity_entered_in_error(
            session, ctx, patient_id, activity_id, mark, if_match=if_match(data)
        )

    return await post_change(
        request,
        session,
        user,
        InErrorForm,
        change,
        done=(plan_url(patient_id), "activity-entered-in-error"),
        again=lambda form: _activity_page(
            request, session, ctx, patient_id, activity_id=activity_id, withdraw=form
        ),
    )


class StatusForm(PlanForm):
    """One click from the plan: the activity's status, based on the version shown."""

    status: ActivityStatus


@router.post(ACTIVITY + "/status")
async def change_activity_status(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
) -> Response:
    """Mark an activity completed (or another status) from the plan's checks."""

    async def change(data: StatusForm, values: dict[str, str]) -> object:
        update = ActivityUpdate(status=data.status, reason=data.reason)
        return await goals.update_activity(
            session, ctx, patient_id, activity_id, update, if_match=if_match(data)
        )

    return await post_change(
        request,
        session,
        user,
        StatusForm,
        change,
        done=(plan_url(patient_id), "activity-changed"),
        again=lambda form: _activity_page(
            request, session, ctx, patient_id, activity_id=activity_id, submitted=form
        ),
    )

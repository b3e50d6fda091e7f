"""The safety plan's pages: the plan to read (large type, to go through with the patient or
print), and the form that changes it (a new version of the care plan, or its first)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.capabilities import Capability
from tandem.careplans.crisis_lines import crisis_lines
from tandem.careplans.schemas import SafetyPlanChange
from tandem.careplans.service import safety_plan
from tandem.careplans.views.safety_plan_form import (
    SafetyPlanForm,
    fresh_form,
    read_safety_plan_form,
)
from tandem.careplans.views.safety_plan_merge import merge_other_change
from tandem.careplans.views.summary import Line
from tandem.careplans.vocab import SAFETY_SECTIONS
from tandem.deps import SessionDep
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_status, page, submit

router = APIRouter()

SAFETY_PLAN = "/patients/{patient_id}/care-plan/safety-plan"
# The chart has no care-plan tab of its own yet: the pages name it for when it has.
TAB = "care-plan"


class SubmittedPlan(BaseModel):
    """What the form sends: the change, and the plan version its page was read at."""

    version: str
    change: SafetyPlanChange


async def _edit_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    submitted: FormState | None = None,
) -> Response:
    """The form, fresh from the plan as it is; or as sent back: a row more, the errors beside
    the rows they are about, or, when someone else saved first, what was typed with the other
    change taken in where this form left a step alone, and the notice of what it did."""
    chart = await chart_context(session, ctx, patient_id, TAB, capability=Capability.edit_care_plan)
    found = await safety_plan.find_safety_plan(session, ctx, patient_id)
    conflict = submitted is not None and submitted.conflict
    changes: list[Line] = []
    if isinstance(submitted, SafetyPlanForm):
        form = submitted
        if conflict:
            changes = await merge_other_change(session, ctx, patient_id, form, found)
        else:
            form.errors = form.on_rows(form.errors)
    else:
        form = fresh_form(found.plan_version, found.safety_plan)
    asked_for_a_row = submitted is not None and not submitted.errors and not conflict
    return page(
        request,
        "careplans/safety_plan_edit.html",
        {
            **chart,
            "form": form,
            "fields": _fields(form),
            "conflict": conflict,
            "changes": changes,
            "safety_plan": found.safety_plan,
            "crisis_lines": crisis_lines(),
            "sections": SAFETY_SECTIONS,
            "today": ctx.clock.today(),
        },
        status_code=200 if asked_for_a_row else form_status(submitted),
    )


def _fields(form: SafetyPlanForm) -> list[str]:
    """The fields the error summary may link to: every row's, each section, the review day."""
    names = ["reviewed_on", "reason"]
    for words in SAFETY_SECTIONS:
        section = words.section.value
        names.append(section)
        parts = ("name", "phone") if words.contact else ("text",)
        names += [f"{section}.{row}.{part}" for row in form.rows[section] for part in parts]
    return names


@router.get(SAFETY_PLAN)
async def safety_plan_page(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    """The safety plan in large type: each step with the patient's own lines."""
    chart = await chart_context(session, ctx, patient_id, TAB, capability=Capability.read_care_plan)
    found = await safety_plan.find_safety_plan(session, ctx, patient_id)
    return page(
        request,
        "careplans/safety_plan.html",
        {
            **chart,
            "safety_plan": found.safety_plan,
            "crisis_lines": crisis_lines(),
            "sections": SAFETY_SECTIONS,
        },
    )


@router.get(SAFETY_PLAN + "/edit")
async def edit_safety_plan(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _edit_page(request, session, ctx, patient_id)


async def _read_submitted(request: Request) -> tuple[SubmittedPlan | None, FormState]:
    change, form = await read_safety_plan_form(request)
    if change is None:
        return None, form
    return SubmittedPlan(version=form.value("version"), change=change), form


@router.post(SAFETY_PLAN)
async def save_safety_plan(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Save the whole safety plan (or, for "Add another line", show the form a row longer)."""
    return await submit(
        request,
        session,
        user,
        SubmittedPlan,
        lambda sent: safety_plan.save_safety_plan(
            session, ctx, patient_id, sent.change, if_match=sent.version, whole=True
        ),
        done=(f"/patients/{patient_id}/care-plan/safety-plan", "safety-plan-saved"),
        again=lambda form: _edit_page(request, session, ctx, patient_id, form),
        read=_read_submitted,
    )

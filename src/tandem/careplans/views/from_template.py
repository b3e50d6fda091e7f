"""Starting the care plan from a template, or adding one to it, from a form on the plan page."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.capabilities import Capability
from tandem.careplans import service
from tandem.careplans.definitions import plan_templates
from tandem.careplans.schemas import PlanFromTemplate, PlanFromTemplateForm
from tandem.careplans.service.from_template import apply_template
from tandem.deps import RuntimeDep, SessionDep
from tandem.errors import Conflict, NotFound, PreconditionFailed
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, page, submit

router = APIRouter()


def template_choices() -> list[dict[str, Any]]:
    """What the form offers: each template's code, title, summary, goals and source."""
    return [
        {
            "code": t.code,
            "title": t.title,
            "summary": t.summary,
            "source": t.source,
            "goals": [g.description for g in t.goals],
            "activities": t.activity_count,
        }
        for t in plan_templates().values()
    ]


def template_form(plan_version: int | None, form: FormState | None = None) -> dict[str, Any]:
    """The context ``careplans/_from_template.html`` needs, for the plan page to include it."""
    return {
        "template_form": form or form_from(None, version=plan_version),
        "plan_templates": template_choices(),
        "plan_version": plan_version,
    }


async def _apply(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: PlanFromTemplateForm,
    settings: TrajectorySettings,
) -> object:
    """The change, with a stale form answered as the pages answer one: 409 on its version."""
    try:
        return await apply_template(
            session,
            ctx,
            patient_id,
            PlanFromTemplate(template=data.template, reason=data.reason),
            if_match=str(data.version) if data.version else None,
            settings=settings,
        )
    except PreconditionFailed as exc:
        raise Conflict(exc.message, field="version") from exc
    except Conflict as exc:
        # Opened when there was no plan, and someone has started one since.
        raise Conflict(exc.message, field="version") from exc


async def _again(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: FormState,
) -> Response:
    """The form sent back with its problems; after a conflict, afresh on the current plan."""
    chart = await chart_context(
        session, ctx, patient_id, "care-plan", capability=Capability.edit_care_plan
    )
    try:
        version: int | None = (await service.get_plan(session, ctx, patient_id)).version
    except NotFound:
        version = None
    sent = form_from(None, version=version) if form.conflict else form
    return page(
        request,
        "careplans/from_template.html",
        {**chart, **template_form(version, sent), "conflict": form.conflict},
        status_code=409 if form.conflict else 422,
    )


@router.post("/patients/{patient_id}/care-plan/from-template")
async def plan_from_template(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
) -> Response:
    """Start the plan from a template, or add the template's goals and activities to it."""
    return await submit(
        request,
        session,
        user,
        PlanFromTemplateForm,
        lambda data: _apply(session, ctx, patient_id, data, TrajectorySettings.of(rt.settings)),
        done=(f"/patients/{patient_id}/care-plan", "plan-template-applied"),
        again=lambda form: _again(request, session, ctx, patient_id, form),
    )

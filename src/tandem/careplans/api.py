"""JSON routes for the shared care plan. Every change names the plan version it is based on in
an ``If-Match`` header; answers carry the plan's version as their ETag."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response

from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.careplans import service
from tandem.careplans.definitions import PlanTemplate, plan_templates
from tandem.careplans.rules import etag
from tandem.careplans.schemas import (
    ActivityCreate,
    ActivityUpdate,
    AgreementCreate,
    AgreementRead,
    DueForReview,
    GoalCreate,
    GoalUpdate,
    MarkInError,
    PlanCreate,
    PlanDiff,
    PlanFromTemplate,
    PlanFromTemplateRead,
    PlanRead,
    PlanUpdate,
    Responsibilities,
    ReviewRecord,
    SafetyPlanChange,
    SafetyPlanRead,
    VersionRead,
    VersionSummary,
)
from tandem.careplans.service import agreements, from_template, goals, review, safety_plan, versions
from tandem.careplans.service.mine import my_responsibilities
from tandem.deps import Ctx, CurrentUser, RuntimeDep, SessionDep
from tandem.runtime import Runtime

plan = APIRouter(prefix="/patients/{patient_id}/care-plan", tags=["care plans"])
caseload = APIRouter(prefix="/care-plans", tags=["care plans"])
templates = APIRouter(prefix="/care-plan-templates", tags=["care plans"])
# The caller's own work across their caseload.
mine = APIRouter(tags=["care plans"])
# A version number: the database's integer, never more.
Version = Annotated[int, Path(ge=1, le=2_147_483_647)]
IfMatch = Annotated[
    str | None,
    Header(description='The plan version the change is based on, e.g. "3" (from the ETag)'),
]

IfNoneMatch = Annotated[
    str | None,
    Header(description='"*" when the patient has no care plan yet: the change starts it'),
]


def _tagged(response: Response, read: PlanRead) -> PlanRead:
    response.headers["ETag"] = etag(read.version)
    return read


def _settings(rt: Runtime) -> TrajectorySettings:
    """The trajectory rules' settings: the review and computed achievements follow them."""
    return TrajectorySettings.of(rt.settings)


@plan.get("", response_model=PlanRead)
async def get_plan(
    session: SessionDep, ctx: Ctx, rt: RuntimeDep, patient_id: uuid.UUID, response: Response
) -> PlanRead:
    """The plan with its goals and activities, each measurable goal's achievement worked out
    from the scores, the plan's checks and whether it is due for review."""
    read = await service.get_plan(session, ctx, patient_id, settings=_settings(rt))
    return _tagged(response, read)


@plan.post("", response_model=PlanRead, status_code=201)
async def create_plan(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    data: PlanCreate,
    response: Response,
) -> PlanRead:
    read = await service.create_plan(session, ctx, patient_id, data, settings=_settings(rt))
    return _tagged(response, read)


@plan.post("/goals", response_model=PlanRead, status_code=201)
async def add_goal(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    data: GoalCreate,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await goals.add_goal(
        session, ctx, patient_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.patch("/goals/{goal_id}", response_model=PlanRead)
async def update_goal(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: GoalUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await goals.update_goal(
        session, ctx, patient_id, goal_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.post("/goals/{goal_id}/entered-in-error", response_model=PlanRead)
async def goal_entered_in_error(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: MarkInError,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await goals.mark_goal_entered_in_error(
        session, ctx, patient_id, goal_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.post("/goals/{goal_id}/activities", response_model=PlanRead, status_code=201)
async def add_activity(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: ActivityCreate,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await goals.add_activity(
        session, ctx, patient_id, goal_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.patch("/activities/{activity_id}", response_model=PlanRead)
async def update_activity(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
    data: ActivityUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await goals.update_activity(
        session, ctx, patient_id, activity_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.post("/activities/{activity_id}/entered-in-error", response_model=PlanRead)
async def activity_entered_in_error(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
    data: MarkInError,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await goals.mark_activity_entered_in_error(
        session, ctx, patient_id, activity_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.patch("", response_model=PlanRead)
async def update_plan(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    data: PlanUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await review.update_plan(
        session, ctx, patient_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.post("/review", response_model=PlanRead)
async def record_review(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    data: ReviewRecord,
    response: Response,
    if_match: IfMatch = None,
) -> PlanRead:
    read = await review.record_review(
        session, ctx, patient_id, data, if_match=if_match, settings=_settings(rt)
    )
    return _tagged(response, read)


@plan.get("/versions", response_model=list[VersionSummary])
async def list_versions(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID
) -> list[VersionSummary]:
    return await versions.list_versions(session, ctx, patient_id)


@plan.get("/versions/{version}", response_model=VersionRead)
async def get_version(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, version: Version
) -> VersionRead:
    return await versions.get_version(session, ctx, patient_id, version)


@plan.get("/versions/{first}/diff/{second}", response_model=PlanDiff)
async def compare_versions(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, first: Version, second: Version
) -> PlanDiff:
    return await versions.compare_versions(session, ctx, patient_id, first, second)


def _safety_tagged(response: Response, plan: SafetyPlanRead) -> SafetyPlanRead:
    response.headers["ETag"] = etag(plan.plan_version)
    return plan


@plan.get("/safety-plan", response_model=SafetyPlanRead)
async def get_safety_plan(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, response: Response
) -> SafetyPlanRead:
    plan = await safety_plan.get_safety_plan(session, ctx, patient_id)
    return _safety_tagged(response, plan)


@plan.put("/safety-plan", response_model=SafetyPlanRead)
async def replace_safety_plan(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    data: SafetyPlanChange,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> SafetyPlanRead:
    """The whole safety plan: a section left out is emptied."""
    plan = await safety_plan.save_safety_plan(
        session, ctx, patient_id, data, if_match=if_match, if_none_match=if_none_match, whole=True
    )
    return _safety_tagged(response, plan)


@plan.patch("/safety-plan", response_model=SafetyPlanRead)
async def change_safety_plan(
    session: SessionDep,
    ctx: Ctx,
    patient_id: uuid.UUID,
    data: SafetyPlanChange,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> SafetyPlanRead:
    """Only the sections named change."""
    plan = await safety_plan.save_safety_plan(
        session, ctx, patient_id, data, if_match=if_match, if_none_match=if_none_match, whole=False
    )
    return _safety_tagged(response, plan)


@plan.post("/from-template", response_model=PlanFromTemplateRead, status_code=201)
async def plan_from_template(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    data: PlanFromTemplate,
    response: Response,
    if_match: IfMatch = None,
) -> PlanFromTemplateRead:
    """Start the plan from a template, or (with If-Match) add the template's goals and
    activities to the current plan; ``notes`` names the activities assigned to you because
    the care team has no one in their usual party's place."""
    applied = await from_template.apply_template(
        session, ctx, patient_id, data, if_match=if_match, settings=_settings(rt)
    )
    response.headers["ETag"] = etag(applied.version)
    return applied


@templates.get("", response_model=list[PlanTemplate])
async def list_templates(_user: CurrentUser) -> list[PlanTemplate]:
    """The care plan templates, each with its goals, activities and source."""
    return list(plan_templates().values())


@plan.get("/agreements", response_model=list[AgreementRead])
async def list_agreements(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID
) -> list[AgreementRead]:
    return (await agreements.list_agreements(session, ctx, patient_id)).items


@plan.post("/agreements", response_model=AgreementRead, status_code=201)
async def record_agreement(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, data: AgreementCreate
) -> AgreementRead:
    """Record that the patient (or, with consent, a family member) agreed to the current
    version; ``version`` names it (412 when the plan has moved on)."""
    return await agreements.record_agreement(session, ctx, patient_id, data)


@plan.post("/agreements/{agreement_id}/entered-in-error", response_model=AgreementRead)
async def agreement_entered_in_error(
    session: SessionDep, ctx: Ctx, patient_id: uuid.UUID, agreement_id: uuid.UUID, data: MarkInError
) -> AgreementRead:
    return await agreements.mark_agreement_entered_in_error(
        session, ctx, patient_id, agreement_id, data
    )


@caseload.get("/due-for-review", response_model=list[DueForReview])
async def due_for_review(session: SessionDep, ctx: Ctx, rt: RuntimeDep) -> list[DueForReview]:
    """The patients of my caseload whose care plan is due for review, and why."""
    return await review.plans_due_for_review(session, ctx, settings=_settings(rt))


@mine.get("/my/responsibilities", response_model=Responsibilities)
async def get_my_responsibilities(session: SessionDep, ctx: Ctx) -> Responsibilities:
    """Every open care-plan activity I am responsible for (a community partner: that my
    organisation is), on my patients' plans, overdue first."""
    return await my_responsibilities(session, ctx)


router = APIRouter()
router.include_router(plan)
router.include_router(caseload)
router.include_router(templates)

"""The printed care plan: the patient's copy (a page to print, and a PDF to download) and the
team's copy with every field, status and version."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.careplans.pdf import render_pdf
from tandem.careplans.printout import plain_day, words
from tandem.careplans.service.printed import Edition, Form, printed_plan
from tandem.deps import RuntimeDep, SessionDep
from tandem.web.deps import PageCtx
from tandem.web.pages import page

router = APIRouter()

# Registered at start-up by tandem.app (templating.register_filters).
FILTERS: dict[str, Callable[..., str]] = {"plain_day": plain_day, "plan_words": words}


@router.get("/patients/{patient_id}/care-plan/print")
async def print_for_patient(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    """The patient's copy in plain words, laid out for paper."""
    plan = await printed_plan(session, ctx, patient_id, edition=Edition.patient, form=Form.page)
    return page(request, "careplans/print.html", {"plan": plan, "patient_id": patient_id})


@router.get("/patients/{patient_id}/care-plan/print/clinical")
async def print_for_team(
    request: Request, session: SessionDep, ctx: PageCtx, rt: RuntimeDep, patient_id: uuid.UUID
) -> Response:
    """The team's copy: every goal and activity with its status, and every version."""
    plan = await printed_plan(
        session,
        ctx,
        patient_id,
        edition=Edition.clinical,
        form=Form.page,
        settings=TrajectorySettings.of(rt.settings),
    )
    return page(request, "careplans/print_clinical.html", {"plan": plan, "patient_id": patient_id})


@router.get("/patients/{patient_id}/care-plan.pdf")
async def download_pdf(session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID) -> Response:
    """The patient's copy as a PDF to download."""
    plan = await printed_plan(session, ctx, patient_id, edition=Edition.patient, form=Form.pdf)
    # A long plan takes a few tenths of a second to draw: not on the event loop.
    body = await run_in_threadpool(render_pdf, plan)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="care-plan.pdf"'},
    )

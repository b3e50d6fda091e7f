"""Pages for measurements (PHQ-9 and GAD-7 trajectories) and administering an instrument."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments import service
from tandem.assessments.chart import ChartData, render_chart
from tandem.assessments.definitions import Instrument, instruments
from tandem.assessments.schemas import ResponseCreate, TrajectoryRead
from tandem.assessments.service import trajectories
from tandem.assessments.views.answer_form import (
    AnswerForm,
    named_instrument,
    read_answer_form,
    submitted_instrument,
)
from tandem.assessments.vocab import ResponseSource
from tandem.capabilities import Capability
from tandem.deps import RuntimeDep, SessionDep
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import attempt, page, see_other

router = APIRouter()

PATIENT = "/patients/{patient_id}"
SOURCES = [
    (ResponseSource.staff.value, "Asked by a team member"),
    (ResponseSource.patient.value, "Completed by the patient (self-report)"),
]


def chart_svg(trajectory: TrajectoryRead, ctx: AccessContext) -> str:
    """The trajectory chart (under a millisecond: drawn in line, no worker thread)."""
    data = ChartData.of(trajectory, today=ctx.clock.today())
    return render_chart(data, caption_id=f"{trajectory.instrument}-chart-caption")


@router.get(PATIENT + "/measurements")
async def measurements(
    request: Request, session: SessionDep, ctx: PageCtx, rt: RuntimeDep, patient_id: uuid.UUID
) -> Response:
    """PHQ-9 and GAD-7 over time: chart, table and the measurement-based-care judgements."""
    chart = await chart_context(session, ctx, patient_id, "measurements")
    overview = await trajectories.measurement_overview(
        session,
        ctx,
        patient_id,
        trajectories.TrajectorySettings.of(rt.settings),
        header=chart["patient"],
    )
    charts = {t.instrument: chart_svg(t, ctx) for t in overview.trajectories if t.points}
    return page(
        request,
        "assessments/measurements.html",
        {
            **chart,
            "trajectories": overview.trajectories,
            "charts": charts,
            "responses": overview.responses,
            "instruments": list(instruments().values()),
        },
    )


async def _record_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    definition: Instrument,
    form: AnswerForm,
    *,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(
        session, ctx, patient_id, "measurements", capability=Capability.record_measurements
    )
    return page(
        request,
        "assessments/record.html",
        {
            **chart,
            "definition": definition,
            "form": form,
            "sources": SOURCES,
            "today_iso": ctx.clock.today().isoformat(),
        },
        status_code=status_code,
    )


@router.get(PATIENT + "/responses/new")
async def record_form(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    instrument: str | None = None,
) -> Response:
    """Choose an instrument, or the form for the one chosen."""
    if not instrument:
        chart = await chart_context(
            session, ctx, patient_id, "measurements", capability=Capability.record_measurements
        )
        context: dict[str, Any] = {**chart, "instruments": list(instruments().values())}
        return page(request, "assessments/choose.html", context)
    definition = named_instrument(instrument)
    form = AnswerForm(
        values={"answered_on": ctx.clock.today().isoformat(), "source": ResponseSource.staff}
    )
    return await _record_page(request, session, ctx, patient_id, definition, form)


@router.post(PATIENT + "/responses")
async def record(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Save a completed instrument, then show its result."""
    definition = await submitted_instrument(request)
    data, form = await read_answer_form(
        request, definition, ResponseCreate, instrument=definition.code
    )
    saved: list[uuid.UUID] = []

    async def administer(data: ResponseCreate) -> None:
        saved.append((await service.administer(session, ctx, patient_id, data)).id)

    if data is not None and await attempt(session, user, form, administer(data)):
        return see_other(f"/patients/{patient_id}/responses/{saved[0]}", "response-recorded")
    return await _record_page(request, session, ctx, patient_id, definition, form, status_code=422)

"""The plan's history: every version, any version as it was, and two compared side by side."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from tandem.careplans.service import versions
from tandem.careplans.service.pages import history_page
from tandem.careplans.views.summary import lines_of
from tandem.deps import SessionDep
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx
from tandem.web.pages import page

router = APIRouter()

PLAN = "/patients/{patient_id}/care-plan"
Version = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get(PLAN + "/history")
async def history(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    """Every version, newest first, and what changed between the two chosen (by default the
    newest and the one before it)."""
    chart = await chart_context(session, ctx, patient_id, "care-plan")
    query = request.query_params
    found = await history_page(
        session, ctx, patient_id, first=query.get("from"), second=query.get("to")
    )
    return page(
        request,
        "careplans/history.html",
        {
            **chart,
            "history": found,
            "lines": lines_of(found.changes, found.need_names) if found.changes else [],
        },
    )


@router.get(PLAN + "/versions/{version}")
async def version_page(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID, version: Version
) -> Response:
    """The plan as it was after one change."""
    chart = await chart_context(session, ctx, patient_id, "care-plan")
    shown = await versions.get_version(session, ctx, patient_id, version)
    return page(request, "careplans/version.html", {**chart, "shown": shown})

"""My responsibilities: the care-plan activities I owe, across all my patients, overdue first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tandem.careplans.service.mine import my_responsibilities
from tandem.deps import SessionDep
from tandem.web.deps import PageCtx
from tandem.web.pages import page

router = APIRouter()


@router.get("/my/responsibilities")
async def my_responsibilities_page(request: Request, session: SessionDep, ctx: PageCtx) -> Response:
    found = await my_responsibilities(session, ctx)
    return page(request, "careplans/mine.html", {"mine": found, "today": ctx.clock.today()})

"""Review of emergency (break-the-glass) accesses, for administrators and privacy officers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.admin import service as admin
from tandem.admin.schemas import BreakGlassReview
from tandem.deps import SessionDep
from tandem.errors import NotFound
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, page, submit

router = APIRouter()


@router.get("/admin/break-glass")
async def break_glass(
    request: Request, session: SessionDep, ctx: PageCtx, show: str = "pending"
) -> Response:
    """Emergency accesses waiting for review (or all of them): who, which MRN, why."""
    pending_only = show != "all"
    grants = await admin.break_glass_list(session, ctx, pending_only=pending_only)
    return page(
        request,
        "admin/break_glass.html",
        {"grants": grants, "pending_only": pending_only, "now": ctx.now()},
    )


async def _review_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    grant_id: uuid.UUID,
    form: FormState | None = None,
    *,
    status_code: int = 200,
) -> Response:
    grants = await admin.break_glass_list(session, ctx, pending_only=False)
    grant = next((g for g in grants if g.id == grant_id), None)
    if grant is None:
        raise NotFound("emergency access")
    return page(
        request,
        "admin/break_glass_review.html",
        {"grant": grant, "form": form or FormState(), "now": ctx.now()},
        status_code=status_code,
    )


@router.get("/admin/break-glass/{grant_id}")
async def review_form(
    request: Request, session: SessionDep, ctx: PageCtx, grant_id: uuid.UUID
) -> Response:
    return await _review_page(request, session, ctx, grant_id)


@router.post("/admin/break-glass/{grant_id}")
async def review(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, grant_id: uuid.UUID
) -> Response:
    """Record the review of an emergency access, with a note."""
    return await submit(
        request,
        session,
        user,
        BreakGlassReview,
        lambda data: admin.review_break_glass(session, ctx, grant_id, data),
        done=("/admin/break-glass", "review-saved"),
        again=lambda form: _review_page(request, session, ctx, grant_id, form, status_code=422),
    )

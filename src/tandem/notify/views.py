"""The signed-in user's notifications page."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tandem.assessments.service import safety
from tandem.deps import SessionDep
from tandem.notify import service
from tandem.web.deps import PageCtx
from tandem.web.pages import page

router = APIRouter()


@router.get("/notifications")
async def notifications(request: Request, session: SessionDep, ctx: PageCtx) -> Response:
    """Unread first, urgent (safety) on top, then the most recent; a safety alert's says
    whether the alert is still open."""
    notes = await safety.my_notifications(session, ctx)
    return page(request, "notify/notifications.html", {"notes": notes})


@router.post("/notifications/{notification_id}/open")
async def open_notification(
    session: SessionDep, ctx: PageCtx, notification_id: uuid.UUID
) -> Response:
    """Mark it read and go where it points (always a page inside Tandem)."""
    note = await service.mark_read(session, ctx, notification_id)
    target = note.link if note.link.startswith("/") and not note.link.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)

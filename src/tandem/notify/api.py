"""JSON routes for the signed-in user's notifications."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter

from tandem.deps import Ctx, SessionDep
from tandem.notify import service
from tandem.schemas import OutputModel

router = APIRouter(prefix="/notifications", tags=["notifications"])


class NotificationRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    kind: str
    priority: str
    message: str
    link: str
    created_at: datetime
    read_at: datetime | None


@router.get("", response_model=list[NotificationRead])
async def my_notifications(session: SessionDep, ctx: Ctx) -> list[NotificationRead]:
    """Unread first, urgent on top."""
    notes = await service.my_notifications(session, ctx)
    return [NotificationRead.model_validate(n) for n in notes]


@router.post("/{notification_id}/read", response_model=NotificationRead)
async def mark_read(session: SessionDep, ctx: Ctx, notification_id: uuid.UUID) -> NotificationRead:
    return NotificationRead.model_validate(await service.mark_read(session, ctx, notification_id))

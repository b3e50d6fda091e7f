"""JSON routes for the signed-in user's notifications."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter

from tandem.assessments.service import safety
from tandem.deps import Ctx, SessionDep
from tandem.notify import service
from tandem.notify.models import Notification
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
    # The safety alert it tells of, and that alert's status now (active: still open).
    safety_alert_id: uuid.UUID | None = None
    alert_status: str | None = None


def _read(note: Notification, alert_status: str | None) -> NotificationRead:
    return NotificationRead.model_validate(note).model_copy(update={"alert_status": alert_status})


@router.get("", response_model=list[NotificationRead])
async def my_notifications(session: SessionDep, ctx: Ctx) -> list[NotificationRead]:
    """Unread first, urgent on top; a safety alert's with the alert's status now."""
    return [_read(n, status) for n, status in await safety.my_notifications(session, ctx)]


@router.post("/{notification_id}/read", response_model=NotificationRead)
async def mark_read(session: SessionDep, ctx: Ctx, notification_id: uuid.UUID) -> NotificationRead:
    note = await service.mark_read(session, ctx, notification_id)
    statuses = await safety.alert_statuses(session, ctx, [note.safety_alert_id])
    return _read(note, statuses.get(note.safety_alert_id) if note.safety_alert_id else None)

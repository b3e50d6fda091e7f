"""Sending and reading in-app notifications."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.service import require_patient
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.errors import NotFound
from tandem.ids import new_id
from tandem.notify import repository
from tandem.notify.models import Notification


def notify(
    session: AsyncSession,
    ctx: AccessContext,
    *,
    patient_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID],
    kind: str,
    message: str,
    link: str,
    priority: str = "normal",
    safety_alert_id: uuid.UUID | None = None,
) -> list[Notification]:
    """Queue a notification to each user; it is part of the same transaction as its cause
    (``safety_alert_id``: the safety alert it tells of, whose status the list shows)."""
    sent = []
    for user_id in dict.fromkeys(user_ids):
        note = Notification(
            id=new_id(),
            patient_id=patient_id,
            user_id=user_id,
            kind=kind,
            message=message[:500],
            link=link,
            priority=priority,
            safety_alert_id=safety_alert_id,
            created_at=ctx.now(),
        )
        session.add(note)
        sent.append(note)
    return sent


async def my_notifications(
    session: AsyncSession, ctx: AccessContext, *, limit: int = 50
) -> list[Notification]:
    """Unread first (urgent on top), then the most recent."""
    notes = await repository.my_notifications(session, ctx, limit=limit)
    # Messages name patients: one query event for the list, as the caseload does.
    audit.record(
        session,
        ctx,
        action="E",
        record_type="Notification",
        detail={"patients": sorted({str(n.patient_id) for n in notes})},
    )
    return notes


async def unread_count(session: AsyncSession, ctx: AccessContext) -> int:
    return await repository.my_unread_count(session, ctx)


async def mark_read(
    session: AsyncSession, ctx: AccessContext, notification_id: uuid.UUID
) -> Notification:
    note = await repository.my_notification(session, ctx, notification_id)
    if note is None:
        raise NotFound("notification")
    # Marking it read writes a row of patient data: prove the relationship, as any write does.
    access = await require_patient(
        session, ctx, note.patient_id, capability=Capability.read_contact
    )
    if note.read_at is None:
        note.read_at = ctx.now()
        await session.flush()
    audit.record(
        session,
        ctx,
        action="U",
        record_type="Notification",
        record_id=note.id,
        patient_id=note.patient_id,
        purpose=access.purpose,
        detail={"read": True},
    )
    return note

"""Queries of notifications: always the caller's own, about patients they still care for."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.scope import scoped
from tandem.notify.models import Notification


def _mine(ctx: AccessContext, *, unread_only: bool) -> Select[Notification]:
    stmt = select(Notification).where(Notification.user_id == ctx.user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    # Only patients the user still has a care relationship with.
    return scoped(stmt, ctx, Notification.patient_id)


async def my_notifications(
    session: AsyncSession, ctx: AccessContext, *, limit: int
) -> list[Notification]:
    """Unread first (urgent on top), then the most recent."""
    stmt = _mine(ctx, unread_only=False).order_by(
        Notification.read_at.is_not(None),
        (Notification.priority != "urgent"),
        Notification.created_at.desc(),
    )
    return list((await session.execute(stmt.limit(limit))).scalars().all())


async def my_unread_count(session: AsyncSession, ctx: AccessContext) -> int:
    """How many of my notifications are unread (the top bar's number, on every page)."""
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == ctx.user_id, Notification.read_at.is_(None))
    )
    return int(await session.scalar(scoped(stmt, ctx, Notification.patient_id)) or 0)


async def my_notification(
    session: AsyncSession, ctx: AccessContext, notification_id: uuid.UUID
) -> Notification | None:
    stmt = _mine(ctx, unread_only=False).where(Notification.id == notification_id)
    found: Notification | None = (await session.execute(stmt)).scalar_one_or_none()
    return found

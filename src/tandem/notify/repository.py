"""Queries of notifications: always the caller's own, about patients they still care for."""

from __future__ import annotations

import functools
import uuid

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.scope import (
    RELATIONSHIP_USER,
    as_caller,
    caseload_filter,
    may_use_emergency_access,
    scoped,
)
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


@functools.lru_cache(maxsize=2)
def _unread_count(emergency: bool) -> Select[int]:
    # Built once (CONTRIBUTING 9c): the top bar asks on every page.
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == bindparam(RELATIONSHIP_USER), Notification.read_at.is_(None))
    )
    return caseload_filter(stmt, Notification.patient_id, emergency=emergency)


async def my_unread_count(session: AsyncSession, ctx: AccessContext) -> int:
    """How many of my notifications are unread (the top bar's number, on every page)."""
    if not permissions().team_grants(ctx.role):
        return 0  # a role with nothing on any patient has no caseload, and no notifications
    stmt = _unread_count(may_use_emergency_access(ctx))
    return int(await session.scalar(stmt, execution_options=as_caller(ctx)) or 0)


async def my_notification(
    session: AsyncSession, ctx: AccessContext, notification_id: uuid.UUID
) -> Notification | None:
    stmt = _mine(ctx, unread_only=False).where(Notification.id == notification_id)
    found: Notification | None = (await session.execute(stmt)).scalar_one_or_none()
    return found

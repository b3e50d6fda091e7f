"""Queries of the administration domain that need more than ``session.get``."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.people.models import User
from tandem.vocab import ProfessionalRole


async def lock_active_administrators(session: AsyncSession) -> frozenset[uuid.UUID]:
    """The active administrators, their rows locked until the transaction ends.

    Two administrators demoting each other at once would each count two administrators and
    leave none. On PostgreSQL the second waits here for the first to commit and then no longer
    sees the one it demoted (the WHERE is re-checked on the new row); SQLite's ``BEGIN
    IMMEDIATE`` already serialises the two. Locked in id order, so two callers cannot deadlock.
    """
    stmt = (
        select(User.id)
        .where(User.role == ProfessionalRole.administrator, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return frozenset((await session.scalars(stmt)).all())

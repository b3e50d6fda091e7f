"""Ending emergency (break-the-glass) access early, when the role that allowed it ends."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access import repository
from tandem.access.proof import StaffAccess
from tandem.access.repository import EndedGrant

__all__ = ["EndedGrant", "end_live_grants"]


async def end_live_grants(
    session: AsyncSession, staff: StaffAccess, *, user_id: uuid.UUID, now: datetime, reason: str
) -> list[EndedGrant]:
    """End every live grant of ``user_id`` at ``now``, saying why; the grants it ended."""
    return await repository.end_live_grants(session, staff, user_id=user_id, now=now, reason=reason)

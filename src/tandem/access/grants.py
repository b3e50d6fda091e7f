"""Ending emergency (break-the-glass) access early, when the role that allowed it ends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.models import BreakGlassGrant
from tandem.access.proof import StaffAccess
from tandem.access.scope import scoped_for_staff


@dataclass(frozen=True)
class EndedGrant:
    id: uuid.UUID
    patient_id: uuid.UUID


async def end_live_grants(
    session: AsyncSession, staff: StaffAccess, *, user_id: uuid.UUID, now: datetime, reason: str
) -> list[EndedGrant]:
    """End every live grant of ``user_id`` at ``now``, saying why; the grants it ended."""
    stmt = (
        update(BreakGlassGrant)
        .where(BreakGlassGrant.user_id == user_id, BreakGlassGrant.expires_at > now)
        .values(expires_at=now, ended_reason=reason[:200])
        .returning(BreakGlassGrant.id, BreakGlassGrant.patient_id)
    )
    # An administrative change to a user, not a read on a patient's behalf: it touches every
    # patient the holder broke the glass for, under the administrator's staff capability.
    rows = (await session.execute(scoped_for_staff(stmt, staff))).all()
    return sorted(
        (EndedGrant(id=row.id, patient_id=row.patient_id) for row in rows), key=lambda g: g.id
    )

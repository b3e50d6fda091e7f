"""Queries of administration: organisations, user accounts and the emergency accesses to review."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tandem.access.models import BreakGlassGrant
from tandem.access.proof import StaffAccess
from tandem.access.scope import scoped_for_staff
from tandem.people.models import Organization, Patient, User
from tandem.vocab import ProfessionalRole

# -- organisations -------------------------------------------------------------------------


async def organizations(session: AsyncSession, *, include_inactive: bool) -> list[Organization]:
    """Organisations by name (reference data)."""
    stmt = select(Organization).order_by(Organization.name)
    if not include_inactive:
        stmt = stmt.where(Organization.active.is_(True))
    return list((await session.execute(stmt)).scalars())


async def organization(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, org_id)


async def organization_name_taken(session: AsyncSession, name: str) -> bool:
    return bool(await session.scalar(select(Organization.id).where(Organization.name == name)))


# -- user accounts -------------------------------------------------------------------------


async def accounts(
    session: AsyncSession, *, q: str | None, role: str | None, active_only: bool = False
) -> list[User]:
    """Accounts by full name; ``q`` matches the username or the name (case-insensitive)."""
    stmt = select(User).order_by(User.full_name)
    if q:
        like = f"%{q.replace(chr(0), '').strip().lower()}%"
        stmt = stmt.where((User.username.like(like)) | (User.full_name.ilike(like)))
    if role:
        stmt = stmt.where(User.role == role)
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return list((await session.execute(stmt)).scalars())


async def account(session: AsyncSession, user_id: uuid.UUID, *, fresh: bool = False) -> User | None:
    """The account; ``fresh`` reads it again even if this session holds it already."""
    return await session.get(User, user_id, populate_existing=fresh)


async def username_taken(session: AsyncSession, username: str) -> bool:
    return bool(await session.scalar(select(User.id).where(User.username == username)))


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


# -- emergency accesses to review ----------------------------------------------------------


_REVIEWER = aliased(User, name="reviewer")  # made once (an alias is costly to build)


async def emergency_accesses(
    session: AsyncSession, staff: StaffAccess, *, pending_only: bool, limit: int = 500
) -> list[tuple[BreakGlassGrant, str, str, str | None]]:
    """The latest emergency accesses with the patient's MRN, the holder's and the reviewer's
    usernames; only those not yet reviewed if ``pending_only``."""
    reviewer = _REVIEWER
    stmt = (
        select(BreakGlassGrant, Patient.mrn, User.username, reviewer.username)
        .join(Patient, Patient.id == BreakGlassGrant.patient_id)
        .join(User, User.id == BreakGlassGrant.user_id)
        .outerjoin(reviewer, reviewer.id == BreakGlassGrant.reviewed_by_id)
        .order_by(BreakGlassGrant.started_at.desc())
        .limit(limit)
    )
    if pending_only:
        stmt = stmt.where(BreakGlassGrant.reviewed_at.is_(None))
    rows = (await session.execute(scoped_for_staff(stmt, staff))).all()
    return [(grant, mrn, holder, reviewed_by) for grant, mrn, holder, reviewed_by in rows]


async def emergency_access(
    session: AsyncSession, staff: StaffAccess, grant_id: uuid.UUID
) -> BreakGlassGrant | None:
    stmt = select(BreakGlassGrant).where(BreakGlassGrant.id == grant_id)
    found: BreakGlassGrant | None = (
        await session.execute(scoped_for_staff(stmt, staff))
    ).scalar_one_or_none()
    return found

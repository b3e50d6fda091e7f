"""Queries of sign-in: accounts by name, failed attempts, server-side sessions and API tokens.

Accounts, sessions and tokens hold no patient data; the counting statements are single atomic
UPDATEs (or an upsert) so that parallel attempts cannot lose a count.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, case, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.auth.models import ApiToken, SignInThrottle, UserSession
from tandem.db import UTCDateTime
from tandem.people.models import Organization, User


async def account_by_username(session: AsyncSession, username: str) -> User | None:
    """The account with this (normalised) username."""
    found: User | None = (
        await session.execute(select(User).where(User.username == username))
    ).scalar_one_or_none()
    return found


async def account_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def add_failed_sign_in(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    lock_after: int,
    locked_until: datetime | None,
) -> bool:
    """One more failure on the account, locking it until ``locked_until`` at ``lock_after``
    failures; an account already locked is left alone. False when nothing was counted."""
    after = User.failed_logins + 1
    counted = await session.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(
            failed_logins=after,
            last_failed_login_at=now,
            locked_until=case(
                (after >= lock_after, literal(locked_until, UTCDateTime())),
                else_=None,
            ),
        )
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    )
    return counted.first() is not None


async def clear_failed_sign_ins(
    session: AsyncSession, *, user_id: uuid.UUID, now: datetime
) -> bool:
    """Clear the count if the account is (still) active and unlocked; False otherwise."""
    reset = await session.execute(
        update(User)
        .where(
            User.id == user_id,
            User.active.is_(True),
            or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(failed_logins=0, locked_until=None)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return reset.first() is not None


async def add_failure_against_name(
    session: AsyncSession, *, name_digest: str, now: datetime, window_start: datetime
) -> int:
    """Count a failure against a submitted name (known or not); the failures since
    ``window_start`` (an older count starts again at one)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(SignInThrottle)
        .values(name_digest=name_digest, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[SignInThrottle.name_digest],
            set_={
                "failures": case(
                    (SignInThrottle.last_failure_at < window_start, 1),
                    else_=SignInThrottle.failures + 1,
                ),
                "last_failure_at": now,
            },
        )
        .returning(SignInThrottle.failures)
    )
    return int((await session.execute(stmt)).scalar_one())


# Every request signs in with one of these two: built once, run with the token's hash. The
# account's organisation's own time zone comes along, so that its clock costs no statement.
_SESSION_AND_ACCOUNT = (
    select(UserSession, User, Organization.timezone)
    .join(User, User.id == UserSession.user_id)
    .outerjoin(Organization, Organization.id == User.organization_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)
_API_TOKEN_AND_ACCOUNT = (
    select(ApiToken, User, Organization.timezone)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Organization, Organization.id == User.organization_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


async def session_and_account(
    session: AsyncSession, token_hash: str
) -> tuple[UserSession, User, str | None] | None:
    """The server-side session with this token hash, its account and the account's
    organisation's own time zone."""
    row = (await session.execute(_SESSION_AND_ACCOUNT, {"token_hash": token_hash})).first()
    return (row[0], row[1], row[2]) if row is not None else None


async def touch_session(session: AsyncSession, session_id: uuid.UUID, *, now: datetime) -> None:
    await session.execute(
        update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
    )


async def revoke_session(session: AsyncSession, token_hash: str, *, now: datetime) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_sessions_of(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> int:
    """End every live session of the user; how many were ended."""
    result = await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def revoke_api_tokens(
    session: AsyncSession, *, token_hash: str | None, prefix: str | None, now: datetime
) -> int:
    """Revoke the live token with this hash (or, without one, this printed prefix)."""
    condition = ApiToken.token_hash == token_hash if token_hash else ApiToken.prefix == prefix
    result = await session.execute(
        update(ApiToken).where(condition, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def api_token_and_account(
    session: AsyncSession, token_hash: str
) -> tuple[ApiToken, User, str | None] | None:
    """The API token with this hash, its account and the account's organisation's own zone."""
    row = (await session.execute(_API_TOKEN_AND_ACCOUNT, {"token_hash": token_hash})).first()
    return (row[0], row[1], row[2]) if row is not None else None


async def touch_api_token(session: AsyncSession, token_id: uuid.UUID, *, now: datetime) -> None:
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))

"""Sign-in, server-side sessions and API tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.audit import log as audit
from tandem.auth.models import ApiToken, UserSession
from tandem.auth.passwords import hash_password, verify_password
from tandem.auth.rules import LockoutPolicy, SessionPolicy, check_password_policy
from tandem.auth.secrets import digest, new_api_token, new_secret
from tandem.clock import Clock
from tandem.errors import NotAuthenticated, NotFound, TooManyAttempts, ValidationProblem
from tandem.ids import new_id
from tandem.people.models import User

SIGN_IN_FAILED = "Username or password is not correct."


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_token: str
    csrf_token: str


def _anonymous(clock: Clock, source_address: str | None, username: str) -> AccessContext:
    return AccessContext(
        user_id=None,
        username=username[:80] or "anonymous",
        role="anonymous",
        organization_id=None,
        clock=clock,
        source_address=source_address,
        purpose="SYSTEM",
        via="session",
    )


async def sign_in(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    clock: Clock,
    lockout: LockoutPolicy,
    session_policy: SessionPolicy,
    source_address: str | None,
    user_agent: str | None,
) -> SignedIn:
    """Check the password, slow down repeated failures, lock the account after too many."""
    now = clock.now()
    user = (
        await session.execute(select(User).where(User.username == username.strip().lower()))
    ).scalar_one_or_none()
    ctx = _anonymous(clock, source_address, username.strip().lower())
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(
            session,
            ctx,
            action="E",
            record_type="SignIn",
            outcome=4,
            detail={"result": "account locked"},
        )
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise TooManyAttempts(
            f"Too many failed sign-ins. Try again in {minutes} minutes or ask an administrator.",
            field="password",
        )
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        delay = 0.0
        if user is not None and not ok:
            user.failed_logins += 1
            user.last_failed_login_at = now
            user.locked_until = lockout.locked_until(user.failed_logins, now)
            await session.flush()
            delay = lockout.delay_seconds(user.failed_logins)
        audit.record(
            session, ctx, action="E", record_type="SignIn", outcome=4, detail={"result": "rejected"}
        )
        # The caller commits, then waits ``delay_seconds`` before answering: sleeping here would
        # hold the transaction (and SQLite's write lock) for everyone else.
        raise NotAuthenticated(SIGN_IN_FAILED, field="password", delay_seconds=delay)
    user.failed_logins = 0
    user.locked_until = None
    token, csrf = new_secret(), new_secret()
    session.add(
        UserSession(
            id=new_id(),
            user_id=user.id,
            token_hash=digest(token),
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=session_policy.max_hours),
            source_address=source_address,
            user_agent=(user_agent or "")[:300],
        )
    )
    await session.flush()
    user_ctx = AccessContext(
        user_id=user.id,
        username=user.username,
        role=user.role,
        organization_id=user.organization_id,
        clock=clock,
        source_address=source_address,
        purpose="SYSTEM",
    )
    audit.record(session, user_ctx, action="E", record_type="SignIn", record_id=user.id)
    return SignedIn(user=user, session_token=token, csrf_token=csrf)


async def resolve_session(
    session: AsyncSession, *, token: str, clock: Clock, policy: SessionPolicy
) -> tuple[User, UserSession] | None:
    """The signed-in user behind a session cookie, or None when it is unknown or expired."""
    row = (
        await session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == digest(token))
        )
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = clock.now()
    live = policy.is_live(
        created_at=user_session.created_at,
        last_seen_at=user_session.last_seen_at,
        revoked=user_session.revoked_at is not None,
        now=now,
    )
    if not live or not user.active:
        return None
    # Touch at most once a minute: idle expiry does not need finer grain than that.
    if now - user_session.last_seen_at > timedelta(minutes=1):
        await session.execute(
            update(UserSession).where(UserSession.id == user_session.id).values(last_seen_at=now)
        )
    return user, user_session


async def revoke_session(session: AsyncSession, *, token: str, now: datetime) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.token_hash == digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all_sessions(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def issue_token(
    session: AsyncSession, *, user: User, name: str, days: int, now: datetime
) -> tuple[ApiToken, str]:
    """A new bearer token; the plain text is returned once and never stored."""
    if not user.active:
        raise ValidationProblem("User is deactivated.", field="username")
    plain = new_api_token()
    token = ApiToken(
        id=new_id(),
        user_id=user.id,
        name=name[:100] or "api",
        prefix=plain[:12],
        token_hash=digest(plain),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    await session.flush()
    return token, plain


async def revoke_token(session: AsyncSession, *, token_or_prefix: str, now: datetime) -> int:
    """Revoke a token given in full, or by the prefix printed when it was issued."""
    condition = (
        ApiToken.token_hash == digest(token_or_prefix)
        if len(token_or_prefix) > 16
        else ApiToken.prefix == token_or_prefix
    )
    result = await session.execute(
        update(ApiToken).where(condition, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def resolve_token(session: AsyncSession, *, token: str, now: datetime) -> User | None:
    row = (
        await session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == digest(token))
        )
    ).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.revoked_at is not None or api_token.expires_at <= now or not user.active:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=5):
        await session.execute(
            update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now)
        )
    return user


async def change_password(
    session: AsyncSession, *, user: User, current: str, new: str, now: datetime
) -> None:
    if not verify_password(user.password_hash, current):
        raise ValidationProblem("Current password is not correct.", field="current_password")
    check_password_policy(new, username=user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    await session.flush()


async def get_user_by_username(session: AsyncSession, username: str) -> User:
    user = (
        await session.execute(select(User).where(User.username == username.strip().lower()))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound("user")
    return user

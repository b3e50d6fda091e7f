"""Sign-in, server-side sessions and API tokens."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.audit import log as audit
from tandem.auth import repository
from tandem.auth.models import ApiToken, UserSession
from tandem.auth.passwords import hash_password, verify_password
from tandem.auth.rules import LockoutPolicy, SessionPolicy, check_password_policy
from tandem.auth.secrets import digest, new_api_token, new_secret
from tandem.clock import Clock
from tandem.errors import NotAuthenticated, NotFound, ValidationProblem
from tandem.ids import new_id
from tandem.people.models import User

# Matches no account: unknown names run the same counting UPDATE as known ones, so the
# answer takes the same path (and time) whether or not the name exists.
NO_ACCOUNT = uuid.UUID(int=0)


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


async def _count_failure(
    session: AsyncSession, *, user_id: uuid.UUID, now: datetime, lockout: LockoutPolicy
) -> bool:
    """Add one failure to the account in one statement, locking it at the threshold.

    Atomic in the database, so parallel attempts cannot lose a count (as an ORM read-modify-
    write under the version check did: 409s instead of counts). An account already locked is
    left alone: its lock is not extended. False when nothing was counted (locked, or no account).
    """
    return await repository.add_failed_sign_in(
        session,
        user_id=user_id,
        now=now,
        lock_after=lockout.lockout_after,
        locked_until=lockout.locked_until(lockout.lockout_after, now),
    )


async def _reset_failures(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> bool:
    """Clear the count on success, but only if the account is (still) active and unlocked:
    a lock set by parallel failures after this attempt read the account wins."""
    return await repository.clear_failed_sign_ins(session, user_id=user_id, now=now)


async def _slowdown_count(
    session: AsyncSession, *, username: str, now: datetime, lockout: LockoutPolicy
) -> int:
    """Count a failure against the submitted name (known or not) and return the recent count."""
    return await repository.add_failure_against_name(
        session,
        name_digest=digest(username),
        now=now,
        window_start=lockout.slowdown_window_start(now),
    )


def _open_session(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    policy: SessionPolicy,
    source_address: str | None,
    user_agent: str | None,
) -> tuple[str, str]:
    """A new server-side session; returns its cookie value (stored only as a hash) and its
    CSRF token."""
    token, csrf = new_secret(), new_secret()
    session.add(
        UserSession(
            id=new_id(),
            user_id=user_id,
            token_hash=digest(token),
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=policy.max_hours),
            source_address=source_address,
            user_agent=(user_agent or "")[:300],
        )
    )
    return token, csrf


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
    """Check the password, slow down repeated failures, lock the account after too many.

    Every attempt is audited. Every failure (wrong password, unknown name, locked or
    deactivated account) raises the same error after the same work, so the answer does not
    say which usernames exist or are locked.
    """
    now = clock.now()
    name = username.strip().lower()
    user = await repository.account_by_username(session, name)
    ctx = _anonymous(clock, source_address, name)
    # Always one argon2 verification, against the account's hash or a dummy one, even for a
    # locked account. Off the event loop: argon2 is slow on purpose and would stall every
    # other request while it runs.
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if user is not None and ok and user.active:
        if await _reset_failures(session, user_id=user.id, now=now):
            token, csrf = _open_session(
                session,
                user_id=user.id,
                now=now,
                policy=session_policy,
                source_address=source_address,
                user_agent=user_agent,
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
        result = "account locked"
    else:
        # A right password on a deactivated account is not a guess: nothing to count.
        wrong = user is not None and not ok
        counted = await _count_failure(
            session, user_id=user.id if wrong and user else NO_ACCOUNT, now=now, lockout=lockout
        )
        if user is None:
            result = "unknown user"
        elif not user.active:
            result = "deactivated"
        elif counted:
            result = "wrong password"
        else:
            result = "account locked"
    failures = await _slowdown_count(session, username=name, now=now, lockout=lockout)
    audit.record(
        session,
        ctx,
        action="E",
        record_type="SignIn",
        outcome=4,
        detail={"result": result},
    )
    # The caller commits, then waits ``delay_seconds`` before answering: sleeping here would
    # hold the transaction (and SQLite's write lock) for everyone else.
    raise NotAuthenticated(
        lockout.failure_message(),
        field="password",
        delay_seconds=lockout.delay_seconds(failures),
    )


async def resolve_session(
    session: AsyncSession, *, token: str, clock: Clock, policy: SessionPolicy
) -> tuple[User, UserSession, str | None] | None:
    """The signed-in user behind a session cookie and their organisation's own time zone (None:
    the deployment's), or None when the cookie is unknown or expired."""
    found = await repository.session_and_account(session, digest(token))
    if found is None:
        return None
    user_session, user, zone_name = found
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
        await repository.touch_session(session, user_session.id, now=now)
    return user, user_session, zone_name


async def revoke_session(session: AsyncSession, *, token: str, now: datetime) -> None:
    await repository.revoke_session(session, digest(token), now=now)


async def revoke_all_sessions(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> int:
    """End every live session of the user; returns how many were ended."""
    return await repository.revoke_sessions_of(session, user_id, now=now)


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
    whole = len(token_or_prefix) > 16
    return await repository.revoke_api_tokens(
        session,
        token_hash=digest(token_or_prefix) if whole else None,
        prefix=None if whole else token_or_prefix,
        now=now,
    )


async def resolve_token(
    session: AsyncSession, *, token: str, now: datetime
) -> tuple[User, str | None] | None:
    """The account behind a live API token and its organisation's own time zone."""
    found = await repository.api_token_and_account(session, digest(token))
    if found is None:
        return None
    api_token, user, zone_name = found
    if api_token.revoked_at is not None or api_token.expires_at <= now or not user.active:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=5):
        await repository.touch_api_token(session, api_token.id, now=now)
    return user, zone_name


async def change_password(
    session: AsyncSession,
    ctx: AccessContext,
    *,
    user: User,
    current: str,
    new: str,
    session_policy: SessionPolicy,
    user_agent: str | None,
) -> tuple[str, str]:
    """Set a new password and end every session of the user, this one included; returns the
    cookie value and CSRF token of the fresh session that replaces this one.

    Whoever else held a session (a stolen cookie, a forgotten shared computer) is signed out;
    rotating this browser's token too means a copy of the old cookie opens nothing. API tokens
    stay: they are issued by an operator for an integration, not derived from the password.
    """
    if not verify_password(user.password_hash, current):
        raise ValidationProblem("Current password is not correct.", field="current_password")
    check_password_policy(new, username=user.username)
    now = ctx.now()
    user.password_hash = hash_password(new)
    user.must_change_password = False
    ended = await revoke_all_sessions(session, user_id=user.id, now=now)
    fresh = _open_session(
        session,
        user_id=user.id,
        now=now,
        policy=session_policy,
        source_address=ctx.source_address,
        user_agent=user_agent,
    )
    await session.flush()
    audit.record(
        session,
        ctx,
        action="U",
        record_type="User",
        record_id=user.id,
        detail={"password": "changed", "sessions_ended": ended},
    )
    return fresh


async def get_user_by_username(session: AsyncSession, username: str) -> User:
    user = await repository.account_by_username(session, username.strip().lower())
    if user is None:
        raise NotFound("user")
    return user


async def account_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The account read afresh (an error page reads the signed-in user again)."""
    return await repository.account_by_id(session, user_id)

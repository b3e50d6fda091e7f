"""Request dependencies: the transaction, the signed-in user, the AccessContext, CSRF."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.audit import log as audit_log
from tandem.auth import service as auth
from tandem.clock import Clock
from tandem.errors import DomainError, NotAuthenticated
from tandem.observe.rules import USER_ID_KEY
from tandem.people.models import User
from tandem.runtime import Runtime

SESSION_COOKIE = "tandem_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfFailed(DomainError):
    status = 403
    code = "csrf_failed"


class PasswordChangeRequired(DomainError):
    """A temporary password opens the change form and sign-out, nothing else."""

    status = 403
    code = "password_change_required"


PASSWORD_CHANGE_PAGE = "/account/password"


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def _runtime(request: Request) -> Runtime:
    # Dependencies are async: a plain ``def`` one costs a threadpool hop on every request.
    return runtime(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    rt = runtime(request)
    async with rt.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            # Rollback expires every loaded object; detach them first so that the error page
            # can still show the signed-in user (request.state.user) instead of failing.
            session.expunge_all()
            await session.rollback()
            try:
                await audit_log.keep_refused_attempts(session)
            except Exception:  # the original error matters more; the database may be down
                logging.getLogger("tandem").exception("could not record refused attempts")
            raise


SessionDep = Annotated[AsyncSession, Depends(db_session, scope="function")]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def optional_user(request: Request, session: SessionDep) -> User | None:
    """The user behind a bearer token or a session cookie; None when signed out."""
    rt = runtime(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        by_token = await auth.resolve_token(session, token=header[7:].strip(), now=rt.clock.now())
        if by_token is None:
            raise NotAuthenticated("The API token is unknown, expired or revoked.")
        user, zone_name = by_token
        request.state.clock = rt.clock_for(zone_name)
        request.state.auth_via = "token"
        request.scope[USER_ID_KEY] = user.id  # for the request's log line
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = await auth.resolve_session(
        session, token=cookie, clock=rt.clock, policy=rt.session_policy
    )
    if found is None:
        return None
    user, user_session, zone_name = found
    # The clinic's clock: its organisation's own zone, or the deployment's (one per zone).
    request.state.clock = rt.clock_for(zone_name)
    request.state.auth_via = "session"
    request.state.csrf_token = user_session.csrf_token
    request.scope[USER_ID_KEY] = user.id  # for the request's log line
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def check_csrf(request: Request) -> None:
    """Cookie-authenticated unsafe requests must echo the session's CSRF token."""
    if request.method not in UNSAFE_METHODS or getattr(request.state, "auth_via", "") != "session":
        return
    expected: str = request.state.csrf_token
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, expected):
        raise CsrfFailed("The form has expired. Reload the page and try again.", field=CSRF_FIELD)


async def current_user(request: Request, user: OptionalUser) -> User:
    """The signed-in user of an API call (session cookie or bearer token)."""
    if user is None:
        raise NotAuthenticated("Sign in to continue.")
    # Before anything else, GETs included: with a temporary password (set by an
    # administrator) the account reaches nothing until its holder chooses their own.
    if user.must_change_password:
        raise PasswordChangeRequired(
            "This account must choose a new password before it can use Tandem: sign in with a "
            f"browser and go to {PASSWORD_CHANGE_PAGE}.",
            location=PASSWORD_CHANGE_PAGE,
        )
    await check_csrf(request)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def clinic_clock(request: Request) -> Clock:
    """The signed-in user's clinic's clock (set when they were recognised), else the
    deployment's."""
    clock: Clock | None = getattr(request.state, "clock", None)
    return clock if clock is not None else runtime(request).clock


def access_context(request: Request, user: User) -> AccessContext:
    """Who is asking, for what purpose, from where: built from the signed-in user."""
    return AccessContext(
        user_id=user.id,
        username=user.username,
        role=user.role,
        organization_id=user.organization_id,
        clock=clinic_clock(request),
        source_address=client_address(request),
        purpose="HOPERAT" if user.role in {"administrator", "privacy_officer"} else "TREAT",
        via=getattr(request.state, "auth_via", "session"),
        full_name=user.full_name,
    )


async def _access_context(request: Request, user: CurrentUser) -> AccessContext:
    return access_context(request, user)


Ctx = Annotated[AccessContext, Depends(_access_context)]

"""Sign-in, sign-out and password pages."""

from __future__ import annotations

import asyncio
import hmac
from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tandem.auth import service as auth
from tandem.auth.secrets import new_secret
from tandem.deps import SESSION_COOKIE, OptionalUser, RuntimeDep, SessionDep, client_address
from tandem.errors import DomainError
from tandem.runtime import Runtime
from tandem.web.deps import PageCtx, PageUser, form_values
from tandem.web.templating import render

router = APIRouter()
LOGIN_CSRF_COOKIE = "tandem_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in page cannot be used to redirect elsewhere."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_page(
    request: Request,
    rt_secure: bool,
    *,
    error: str | None = None,
    username: str = "",
    next_url: str = "/",
    status: int = 200,
) -> Response:
    token = new_secret()
    response = render(
        request,
        "auth/login.html",
        {
            "error": error,
            "username": username,
            "next": next_url,
            "login_csrf": token,
        },
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=rt_secure,
        max_age=3600,
        path="/login",
    )
    return response


def _set_session_cookie(response: Response, token: str, rt: Runtime) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=rt.settings.secure_cookies,
        max_age=rt.settings.session_max_hours * 3600,
    )


@router.get("/login")
async def login_form(
    request: Request, rt: RuntimeDep, user: OptionalUser, next: str | None = None
) -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, rt.settings.secure_cookies, next_url=_safe_next(next))


@router.post("/login")
async def login(request: Request, session: SessionDep, rt: RuntimeDep) -> Response:
    values = await form_values(request)
    form = await request.form()
    username = values.get("username", "").strip()
    next_url = _safe_next(values.get("next"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = form.get("login_csrf")
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        return _login_page(
            request,
            rt.settings.secure_cookies,
            username=username,
            next_url=next_url,
            status=403,
            error="The sign-in form expired. Please try again.",
        )
    if not username or not values.get("password"):
        return _login_page(
            request,
            rt.settings.secure_cookies,
            username=username,
            next_url=next_url,
            status=422,
            error="Enter your username and password.",
        )
    try:
        signed_in = await auth.sign_in(
            session,
            username=username,
            password=values["password"],
            clock=rt.clock,
            lockout=rt.lockout,
            session_policy=rt.session_policy,
            source_address=client_address(request),
            user_agent=request.headers.get("user-agent"),
        )
    except DomainError as exc:
        # The failed attempt (and its audit event) must be kept, so commit before answering;
        # then slow the answer down without holding the database.
        await session.commit()
        await asyncio.sleep(float(exc.extra.get("delay_seconds", 0.0)))
        return _login_page(
            request,
            rt.settings.secure_cookies,
            username=username,
            next_url=next_url,
            status=exc.status,
            error=exc.message,
        )
    response = RedirectResponse(next_url, status_code=303)
    _set_session_cookie(response, signed_in.session_token, rt)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, rt: RuntimeDep, user: PageUser) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await auth.revoke_session(session, token=cookie, now=rt.clock.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account/password")
async def password_form(request: Request, user: PageUser) -> Response:
    return render(request, "auth/password.html", {"errors": {}})


@router.post("/account/password")
async def change_password(
    request: Request, session: SessionDep, rt: RuntimeDep, user: PageUser, ctx: PageCtx
) -> Response:
    values = await form_values(request)
    errors: dict[str, str] = {}
    fresh: tuple[str, str] | None = None
    if values.get("new_password") != values.get("confirm_password"):
        errors["confirm_password"] = "The two new passwords do not match."
    else:
        try:
            fresh = await auth.change_password(
                session,
                ctx,
                user=user,
                current=values.get("current_password", ""),
                new=values.get("new_password", ""),
                session_policy=rt.session_policy,
                user_agent=request.headers.get("user-agent"),
            )
        except DomainError as exc:
            errors[exc.field or "new_password"] = exc.message
    if errors or fresh is None:
        return render(request, "auth/password.html", {"errors": errors}, status_code=422)
    response = RedirectResponse("/?flash=password-changed", status_code=303)
    # Every session ended with the old password, this one too: carry on in a fresh one.
    _set_session_cookie(response, fresh[0], rt)
    return response

"""Dependencies for HTML pages: the signed-in user, their AccessContext, form parsing."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from tandem.access.context import AccessContext
from tandem.deps import (
    CSRF_FIELD,
    PASSWORD_CHANGE_PAGE,
    OptionalUser,
    SessionDep,
    access_context,
    check_csrf,
)
from tandem.errors import DomainError, NotAuthenticated
from tandem.notify.service import unread_count
from tandem.people.models import User

M = TypeVar("M", bound=BaseModel)


class Redirect(DomainError):
    """Send the browser elsewhere (e.g. to choose a new password first)."""

    status = 303
    code = "redirect"

    def __init__(self, location: str) -> None:
        super().__init__("Redirecting", location=location)


ALWAYS_ALLOWED = {PASSWORD_CHANGE_PAGE, "/logout"}


async def page_user(request: Request, session: SessionDep, user: OptionalUser) -> User:
    if user is None or getattr(request.state, "auth_via", "") != "session":
        raise NotAuthenticated("Sign in to continue.")
    request.state.user = user
    await check_csrf(request)
    if user.must_change_password and request.url.path not in ALWAYS_ALLOWED:
        raise Redirect(PASSWORD_CHANGE_PAGE)
    # The top bar's count: a number only, no patient named, so nothing to audit.
    request.state.unread_notifications = await unread_count(session, access_context(request, user))
    return user


PageUser = Annotated[User, Depends(page_user)]


async def page_context(request: Request, user: PageUser) -> AccessContext:
    return access_context(request, user)


PageCtx = Annotated[AccessContext, Depends(page_context)]


async def form_values(request: Request) -> dict[str, str]:
    """The submitted form as plain strings, without the CSRF token."""
    form = await request.form()
    # NUL never belongs in a form field, and PostgreSQL text cannot store it.
    return {
        k: v.replace("\x00", "") for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD
    }


async def form_lists(request: Request, names: tuple[str, ...]) -> dict[str, list[str]]:
    """The values of fields that hold several (boxes ticked in one group), each without NUL."""
    if not names:
        return {}
    form = await request.form()
    return {
        name: [v.replace("\x00", "") for v in form.getlist(name) if isinstance(v, str)]
        for name in names
    }


def parse_form(
    model: type[M],
    values: dict[str, str],
    *,
    checkboxes: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
) -> tuple[M | None, dict[str, str]]:
    """Validate a form into ``model``; on failure return messages keyed by field name."""
    data: dict[str, Any] = {k: (v if v != "" else None) for k, v in values.items()}
    for name in checkboxes:
        data[name] = name in values
    data = {k: v for k, v in data.items() if v is not None or k in model.model_fields}
    data = {k: v for k, v in data.items() if k in model.model_fields}
    data.update(extra or {})
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, validation_messages(exc)


def validation_messages(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if error["type"] == "missing" or error.get("input", "") is None:
            message = "This field is required."
        errors.setdefault(field, message[0].upper() + message[1:] if message else message)
    return errors

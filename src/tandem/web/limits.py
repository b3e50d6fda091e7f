"""Limits every request meets before a route sees it: what its address may carry and how big its
body may be. Pure ASGI middleware, so that they hold for every route, page, API and static file
alike, and a refused request is never parsed."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.errors import DomainError, TooLarge, ValidationProblem
from tandem.web.error_handlers import domain_error

# The longest query parameter (name or value): a search text, a page number, a return address.
MAX_PARAMETER_LENGTH = 500
# C0 control characters and DEL never belong in an address, and PostgreSQL text cannot hold NUL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# ... except that a pasted search text may carry a tab or a line break, which the routes trim.
_CONTROL_IN_VALUE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _shown(name: str) -> str:
    """A parameter's name as it can be written back: control characters escaped, kept short."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return text if len(text) <= 40 else text[:40] + "…"


def address_problem(path: str, query_string: str) -> ValidationProblem | None:
    """What is wrong with a request's path and query parameters (the first thing), or None.

    The query string is read as Starlette reads it for the routes (latin-1 text, %-escapes as
    UTF-8), so what is checked here is what a route would have been given.
    """
    if _CONTROL.search(path):
        return ValidationProblem(
            "The address contains a control character (such as NUL), which no page accepts.",
            field="path",
        )
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        field = _shown(name)
        if _CONTROL.search(name) or _CONTROL_IN_VALUE.search(value):
            return ValidationProblem(
                f"The parameter '{field}' contains a control character (such as NUL), "
                "which no field accepts.",
                field=field,
            )
        if len(name) > MAX_PARAMETER_LENGTH or len(value) > MAX_PARAMETER_LENGTH:
            return ValidationProblem(
                f"The parameter '{field}' is longer than {MAX_PARAMETER_LENGTH} characters.",
                field=field,
            )
    return None


async def refuse(error: DomainError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer as the error handlers do: JSON under /api, the error page elsewhere."""
    response = await domain_error(Request(scope, receive), error)
    await response(scope, receive, send)


class AddressLimits:
    """No control characters in the path or a query parameter, no parameter over 500 characters:
    422 naming the parameter, for every route at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            problem = address_problem(scope["path"], query)
            if problem is not None:
                await refuse(problem, scope, receive, send)
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    """Raised into the route that reads past the limit; only BodyLimit catches it."""


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length; count the body instead
    return None


class BodyLimit:
    """Request bodies over ``max_bytes`` answer 413 before they are parsed: at once when the
    Content-Length says so, and as soon as a streamed (chunked) body goes past the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> TooLarge:
        return TooLarge(
            f"The request is larger than Tandem accepts ({self.max_bytes:,} bytes). "
            "Send less at a time: shorten the text or split it into several records."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await refuse(self._too_large(), scope, receive, send)
            return
        received = 0
        exceeded = started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Whatever the route made of a cut-off body (FastAPI answers 400, a mounted app 500),
            # the answer is 413.
            if exceeded:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await refuse(self._too_large(), scope, receive, send)

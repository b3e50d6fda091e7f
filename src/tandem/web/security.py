"""Browser hardening: the security headers on every response, pages, API and static files alike.

A pure ASGI middleware rather than a ``BaseHTTPMiddleware``: it only edits the response's start
message, so streamed files and the API's bodies pass through untouched, and it wraps the mounted
/api/v1 application and /static as well as the pages.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.observe.rules import REQUEST_ID_KEY

# No inline script or style anywhere, and nothing from another origin: the pages' JavaScript
# and CSS are files under /static (htmx vendored from the npm registry), the trajectory chart's
# SVG carries presentation attributes instead of style attributes (assessments/chart.py).
PAGE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

STATIC_PREFIX = "/static/"
# A year; no includeSubDomains, because Tandem does not own the rest of the operator's domain.
HSTS = "max-age=31536000"


def content_security_policy(**overrides: str) -> str:
    """The page policy as a header value, with some directives replaced (``img_src=...``)."""
    policy = {**PAGE_POLICY, **{k.replace("_", "-"): v for k, v in overrides.items()}}
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


def security_headers(path: str, *, hsts: bool) -> dict[str, str]:
    """Tandem's headers for a response to ``path``. Everything but static files is ``no-store``:
    pages and API answers carry patient data, which must stay out of shared and browser caches
    (and out of the back button after signing out)."""
    headers = {
        "Content-Security-Policy": content_security_policy(),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if not path.startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    """Adds the security headers to every HTTP response of the application it wraps.

    A response that sets its own Content-Security-Policy keeps it (the API docs page needs a
    little more than the pages, and says so where it is served); every other header is Tandem's.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ours = security_headers(str(scope.get("path", "")), hsts=self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ours.items():
                    if name == "Content-Security-Policy":
                        headers.setdefault(name, value)
                    else:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, *, hsts: bool) -> None:
    """The middleware around everything the app routes to (pages, /api/v1, /static), and the
    same headers on the bare 500 that Starlette answers from outside every middleware."""

    async def server_error(request: Request, exc: Exception) -> Response:
        headers = security_headers(request.url.path, hsts=hsts)
        # Outside the request observer: the id it gave the request, so the answer and the log
        # line of the failure can be matched.
        request_id = request.scope.get(REQUEST_ID_KEY)
        if request_id is not None:
            headers["X-Request-ID"] = request_id
        return PlainTextResponse("Internal Server Error", status_code=500, headers=headers)

    app.add_middleware(SecurityHeaders, hsts=hsts)
    app.add_exception_handler(500, server_error)

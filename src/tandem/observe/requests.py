"""The request observer: a request id, one structured log line and the request metrics for
every HTTP request, pages, API and static files alike.

A pure ASGI middleware, outermost, on the hot path of every request: it reads no body, runs no
database statement and hops to no thread. The route template comes from the route Starlette
matched (``scope["route"]``, left in the scope by the router), so the log and the metrics name
``/patients/{patient_id}/chart``, never the address, which names a patient's record.
"""

from __future__ import annotations

import itertools
import logging
import os
from time import perf_counter
from typing import Any, Protocol

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.observe.rules import (
    REQUEST_ID_HEADER,
    REQUEST_ID_KEY,
    UNMATCHED,
    USER_ID_KEY,
    accepted_request_id,
    method_label,
)

REQUEST_LOG = logging.getLogger("tandem.request")


class RequestMetrics(Protocol):
    def observe(self, route: str, method: str, status: int, seconds: float) -> None: ...


class RouteTemplates:
    """The template of the route a request matched, remembered per route object."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, str], tuple[Any, str]] = {}

    def of(self, scope: Scope, app_root: str) -> str:
        route = scope.get("route")
        root: str = scope.get("root_path", "")
        if route is None:
            # FastAPI's router leaves no route for a mount (static files, or the mounted API
            # when nothing in it matched), but the mount has grown root_path by its own path.
            return root[len(app_root) :] + "/{path}" if len(root) > len(app_root) else UNMATCHED
        key = (id(route), root)
        known = self._known.get(key)
        if known is not None and known[0] is route:
            return known[1]
        # Under a mount, root_path has grown by the mount's own path; a Mount itself (static
        # files, or a mounted app that matched nothing) stands for everything below it.
        prefix = root[len(app_root) :]
        if isinstance(route, Mount):
            template = prefix + "/{path}"
        else:
            template = prefix + str(getattr(route, "path_format", UNMATCHED))
        self._known[key] = (route, template)
        return template


class RequestObserver:
    """Adds X-Request-ID to every response, and logs and counts the request once it is done."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics | None) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = RouteTemplates()
        # Request ids made here: this process's random half, then a count (a fraction of the
        # cost of a uuid4 each, and as unique: every worker process builds its own app).
        self._id_prefix = os.urandom(8).hex()
        self._ids = itertools.count(1)

    def _new_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids):016x}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        app_root = scope.get("root_path", "")
        request_id = _given_id(scope["headers"]) or self._new_id()
        scope[REQUEST_ID_KEY] = request_id
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500  # what the client gets if the application fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = perf_counter() - started
            route = self.templates.of(scope, app_root)
            method = method_label(scope["method"])
            if self.metrics is not None:
                self.metrics.observe(route, method, status, seconds)
            if REQUEST_LOG.isEnabledFor(logging.INFO):
                user = scope.get(USER_ID_KEY)
                fields = {
                    "request_id": request_id,
                    "user_id": None if user is None else str(user),
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                }
                # The record made directly: Logger.info would walk the stack for the caller's
                # file and line, a third of the line's cost, to say this very place.
                record = REQUEST_LOG.makeRecord(
                    REQUEST_LOG.name, logging.INFO, __file__, 0, "request", (), None
                )
                record.fields = fields
                REQUEST_LOG.handle(record)


def _given_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            accepted = accepted_request_id(value)
            return None if accepted is None else accepted.decode()
    return None

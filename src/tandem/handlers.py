"""One place that turns errors into answers: JSON for the API, pages for people."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm.exc import StaleDataError

from tandem.errors import Conflict, DomainError, NotAuthenticated

log = logging.getLogger("tandem")


def _wants_json(request: Request) -> bool:
    return request.scope.get("root_path", "").startswith("/api") or request.url.path.startswith(
        "/api"
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if _wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.to_dict()}, status_code=exc.status, headers=headers)
    if exc.status == 303:
        return RedirectResponse(str(exc.extra["location"]), status_code=303)
    if isinstance(exc, NotAuthenticated) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    from tandem.web.templating import render_error

    return render_error(request, exc.status, exc.message)


async def stale_data(request: Request, exc: Exception) -> Response:
    return await domain_error(
        request,
        Conflict(
            "Someone else changed this record at the same moment. Reload and try again.",
            field="version",
        ),
    )


async def page_validation_error(request: Request, exc: Exception) -> Response:
    """Pages: a malformed id in the address is simply not found; other bad input is a 422 page."""
    assert isinstance(exc, RequestValidationError)
    from tandem.web.templating import render_error

    errors = exc.errors()
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return render_error(request, 404, "No such page or record.")
    fields = ", ".join(str(e["loc"][-1]) for e in errors if e.get("loc"))
    return render_error(request, 422, f"Please check: {fields}.")


def install_error_handlers(app: FastAPI, *, pages: bool = False) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(StaleDataError, stale_data)
    if pages:
        app.add_exception_handler(RequestValidationError, page_validation_error)

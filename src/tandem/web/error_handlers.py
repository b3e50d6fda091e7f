"""One place that turns errors into answers: JSON for the API, pages for people."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tandem.admin.service import UNIQUE_RULES as ADMIN_RULES
from tandem.auth.service import account_by_id
from tandem.careplans.service import UNIQUE_RULES as CARE_PLAN_RULES
from tandem.careplans.service.agreements import UNIQUE_RULES as AGREEMENT_RULES
from tandem.careteams.service import UNIQUE_RULES as CARE_TEAM_RULES
from tandem.careteams.service.enrolments import ALREADY_ENROLLED
from tandem.errors import Conflict, DomainError, NotAuthenticated
from tandem.records import violated_constraint

log = logging.getLogger("tandem")

# Every rule the database enforces, in the words its service uses (index or constraint name ->
# message, field). Services turn a violation into a Conflict themselves (records.flush_unique);
# this is the net under them, so that a write no one expected to race answers 409, never 500.
CONSTRAINTS: dict[str, tuple[str, str]] = {
    **ADMIN_RULES,
    **CARE_TEAM_RULES,
    **CARE_PLAN_RULES,
    **AGREEMENT_RULES,
    "uq_enrolment_active_programme": (ALREADY_ENROLLED, "programme"),
    "uq_patient_identifier_active": ("This patient already has this identifier.", "value"),
    "uq_patient_mrn": ("This MRN was just given to another patient. Please try again.", "mrn"),
    "uq_potential_duplicate_open_pair": (
        "These two records are already waiting for the privacy officer.",
        "patient_id",
    ),
    # Only the sealer writes it, one at a time; a clash means two sealers without the lock.
    # (Two events at one place in the chain clash on audit_chain_position's primary key.)
    "uq_audit_chain_position_event_id": ("This audit event already has its place.", "seq"),
}
UNKNOWN_CONFLICT = (
    "This conflicts with a record saved at the same moment. Please try again.",
    "form",
)


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

    await _signed_in_user_again(request)
    return render_error(request, exc.status, exc.message)


async def _signed_in_user_again(request: Request) -> None:
    """A flush the database refused expires every row of the session, the signed-in user's
    too, before the request's rollback can keep them; the error page needs their name and role,
    so read them once more."""
    user = getattr(request.state, "user", None)
    if user is None or not inspect(user).expired_attributes:
        return
    runtime = request.app.state.runtime
    async with runtime.sessionmaker() as session:
        request.state.user = await account_by_id(session, inspect(user).identity[0])


async def stale_data(request: Request, exc: Exception) -> Response:
    return await domain_error(
        request,
        Conflict(
            "Someone else changed this record at the same moment. Reload and try again.",
            field="version",
        ),
    )


async def integrity_error(request: Request, exc: Exception) -> Response:
    """A constraint of the database refused the write: 409 naming the rule, never a 500.

    By the time this runs the request's transaction has been rolled back (deps.db_session),
    keeping the audit events of refused attempts."""
    assert isinstance(exc, IntegrityError)
    name = violated_constraint(exc)
    known = CONSTRAINTS.get(name or "")
    if known is None:
        # A service let a write reach a rule it does not check: worth a look, not a crash.
        log.warning("a write broke %s, which no service names", name or "an unnamed constraint")
    message, field = known or UNKNOWN_CONFLICT
    extra = {"constraint": name} if name else {}
    return await domain_error(request, Conflict(message, field=field, **extra))


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
    app.add_exception_handler(IntegrityError, integrity_error)
    if pages:
        app.add_exception_handler(RequestValidationError, page_validation_error)

"""The privacy officer's pages of the audit trail: the search, and the refused attempts."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from tandem.deps import RuntimeDep, SessionDep
from tandem.errors import ValidationProblem
from tandem.privacy import service
from tandem.privacy.search import Action, AuditSearch, OutcomeFilter, Purpose, SummaryQuery
from tandem.web.deps import PageCtx, validation_messages
from tandem.web.pages import AUDIT_ACTIONS, AUDIT_PURPOSES, FormState, page

router = APIRouter()

SEARCH = "/privacy/audit"
REFUSED = "/privacy/audit/refused"
OUTCOMES = ((OutcomeFilter.refused.value, "Refused"), (OutcomeFilter.success.value, "Success"))

Q = TypeVar("Q", bound=BaseModel)


def _query(request: Request, model: type[Q]) -> tuple[Q | None, FormState]:
    """The search form's fields from the address (blank and unknown ones left out)."""
    names = {field.alias or name for name, field in model.model_fields.items()}
    values = {k: v.strip() for k, v in request.query_params.items() if k in names and v.strip()}
    form = FormState(values=values)
    try:
        return model.model_validate(values), form
    except ValidationError as exc:
        form.errors = validation_messages(exc)
        for error in exc.errors():
            # The date fields of a browser never send anything else; an edited address may.
            if error["type"].startswith(("date_", "datetime_")) and error["loc"]:
                form.errors[str(error["loc"][0])] = "Enter a date as YYYY-MM-DD."
        return None, form


@router.get(SEARCH)
async def search_page(
    request: Request, session: SessionDep, ctx: PageCtx, rt: RuntimeDep
) -> Response:
    """Search every event by patient, user, period, outcome, purpose and action."""
    service.open_privacy_pages(session, ctx)
    search, form = _query(request, AuditSearch)
    found = None
    if search is not None:
        try:
            found = await service.search_audit_trail(
                session, ctx, search, page_size=rt.settings.page_size
            )
        except ValidationProblem as exc:
            form.errors = {exc.field or "form": exc.message}
    context: dict[str, Any] = {
        "form": form,
        "found": found,
        "filters": search.filter_params() if search else {},
        "continued": bool(search and search.cursor),
        "outcomes": OUTCOMES,
        "purposes": [(p.value, AUDIT_PURPOSES.get(p, p)) for p in Purpose],
        "actions": [(a.value, AUDIT_ACTIONS.get(a, a)) for a in Action],
    }
    return page(request, "audit/search.html", context, status_code=422 if form.errors else 200)


@router.get(REFUSED)
async def refused_page(request: Request, session: SessionDep, ctx: PageCtx) -> Response:
    """Who was refused most over a period: a user probing many records stands out first."""
    service.open_privacy_pages(session, ctx)
    query, form = _query(request, SummaryQuery)
    summary = None
    if query is not None:
        try:
            summary = await service.refused_attempts_summary(session, ctx, query)
        except ValidationProblem as exc:
            form.errors = {exc.field or "form": exc.message}
    return page(
        request,
        "audit/refused.html",
        {"form": form, "summary": summary},
        status_code=422 if form.errors else 200,
    )

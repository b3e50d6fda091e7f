"""Jinja2 set-up shared by every domain's views."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tandem.access.capabilities import permissions
from tandem.capabilities import Capability
from tandem.careteams.vocab import ROLE_LABELS
from tandem.deps import clinic_clock
from tandem.people.vocab import label as people_label

TEMPLATE_DIRS = [Path(__file__).parent / "templates"]

templates = Jinja2Templates(directory=[str(d) for d in TEMPLATE_DIRS])

# The zone of the page being drawn, for the filters in macros imported without the page's
# context (``{% import "components/audit.html" as audit %}``), which cannot see its ``zone``.
PAGE_ZONE: ContextVar[tzinfo | None] = ContextVar("page_zone", default=None)


def label(value: object) -> str:
    """Human words for a code, in a care manager's vocabulary."""
    if value is None:
        return "—"
    text = str(value)
    return ROLE_LABELS.get(text) or people_label(text)


def staff_may(user: Any, capability: str) -> bool:
    """Whether the signed-in user's role has a staff capability (to show a link or not)."""
    return user is not None and Capability(capability) in permissions().staff_grants(user.role)


def has_caseload(user: Any) -> bool:
    """Whether the user's role may be on care teams at all (administrators are not)."""
    return user is not None and bool(permissions().team_grants(user.role))


def register_filters(*tables: Mapping[str, Callable[..., str]]) -> None:
    """Give the templates every domain's filters, once, at start-up (tandem.app). A name two
    domains both claim is refused rather than one silently replacing the other."""
    for table in tables:
        for name, function in table.items():
            known = templates.env.filters.get(name)
            if known is not None and known is not function:
                raise ValueError(f"two template filters are called {name!r}")
            templates.env.filters[name] = function


templates.env.filters["label"] = label
templates.env.globals["label"] = label
templates.env.globals["staff_may"] = staff_may
templates.env.globals["has_caseload"] = has_caseload


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the signed-in user, the CSRF token and the clinic's time zone (which
    the ``when`` and ``day`` filters show instants in) available to every template."""
    zone = clinic_clock(request).zone
    ctx = {
        "user": getattr(request.state, "user", None),
        "zone": zone,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "unread_notifications": getattr(request.state, "unread_notifications", 0),
        **(context or {}),
    }
    drawing = PAGE_ZONE.set(zone)
    try:
        return templates.TemplateResponse(request, name, ctx, status_code=status_code)
    finally:
        PAGE_ZONE.reset(drawing)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {
        403: "Not allowed",
        404: "Not found",
        409: "Changed by someone else",
        413: "Too much to send",
        429: "Too many attempts",
    }
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": titles.get(status, "Something is not right"),
            "message": message,
        },
        status_code=status,
    )

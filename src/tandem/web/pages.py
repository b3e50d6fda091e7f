"""Helpers every HTML view shares: form state, flash messages, redirects, date formats."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.admin.service import list_organizations
from tandem.errors import DomainError
from tandem.people.models import User
from tandem.web.deps import form_lists, form_values, parse_form
from tandem.web.templating import PAGE_ZONE, label, render

# Messages shown after a successful change (POST-redirect-GET), each domain's in its own
# messages.py, registered at start-up (register_flash_messages). Only these codes are shown, so a
# crafted link cannot put words of its choosing on a Tandem page.
FLASH: dict[str, str] = {}


def register_flash_messages(*tables: dict[str, str]) -> None:
    """Add each domain's messages; a code two domains both use is refused."""
    for table in tables:
        for code, message in table.items():
            if FLASH.get(code, message) != message:
                raise ValueError(f"two flash messages have the code {code!r}")
            FLASH[code] = message


TRUE_VALUES = {"on", "true", "1", "yes"}

M = TypeVar("M", bound=BaseModel)


@dataclass
class FormState:
    """What the user typed into one form and what was wrong with it."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # The record changed since the form was opened (a stale version): show it as it is now.
    conflict: bool = False
    # Fields that hold several values (a group of ticked boxes): name -> the values chosen.
    chosen: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def checked(self, name: str) -> bool:
        return self.values.get(name, "").lower() in TRUE_VALUES

    def picked(self, name: str, code: str) -> bool:
        """Whether ``code`` is among the values chosen in the group ``name``."""
        return code in self.chosen.get(name, [])


def form_from(model: BaseModel | None, fields: tuple[str, ...] = (), **extra: object) -> FormState:
    """A form pre-filled from a record: dates as ISO text, booleans as checkbox values."""
    values: dict[str, str] = {}
    if model is not None:
        names = fields or tuple(type(model).model_fields)
        for name in names:
            values.update(_as_form_value(name, getattr(model, name, None)))
    for name, value in extra.items():
        values.update(_as_form_value(name, value))
    return FormState(values=values)


def _as_form_value(name: str, value: object) -> dict[str, str]:
    if value is None or value is False:
        return {}
    if value is True:
        return {name: "on"}
    if isinstance(value, date):
        return {name: value.isoformat()}
    return {name: str(value)}


# Pydantic's wording for a failed pattern quotes the regular expression; say it in words.
PATTERN_MESSAGES = {
    "username": "Use lower-case letters, digits, dots, dashes or underscores, e.g. cm.alex.",
}


def parse(
    model: type[M],
    values: dict[str, str],
    *,
    checkboxes: tuple[str, ...] = (),
    chosen: dict[str, list[str]] | None = None,
) -> tuple[M | None, dict[str, str]]:
    """Validate a submitted form, with patterns explained in words."""
    data, errors = parse_form(model, values, checkboxes=checkboxes, extra=dict(chosen or {}))
    for name, message in errors.items():
        if message.startswith("String should match pattern"):
            errors[name] = PATTERN_MESSAGES.get(name, "This is not in the expected format.")
    return data, errors


async def read_form(
    request: Request,
    model: type[M],
    *,
    checkboxes: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
) -> tuple[M | None, FormState]:
    """The submitted form validated into ``model``, and what was typed to show again.
    ``groups`` name the fields that hold several values (boxes ticked in one group)."""
    values = await form_values(request)
    chosen = await form_lists(request, groups)
    data, errors = parse(model, values, checkboxes=checkboxes, chosen=chosen)
    form = FormState(values=checkbox_values(values, *checkboxes), errors=errors, chosen=chosen)
    return data, form


async def attempt(
    session: AsyncSession, user: User, form: FormState, change: Awaitable[object]
) -> bool:
    """Make a form's change; when the service refuses, undo it and put the reason on the form."""
    try:
        await change
    except DomainError as exc:
        form.errors = await refused(session, user, exc)
        form.conflict = is_conflict(exc)
        return False
    return True


def is_conflict(exc: DomainError) -> bool:
    """Whether a refusal says the record changed since the form was read: its version is gone
    (409 on ``version``), or the version a change was based on is no longer current (412)."""
    return exc.status == 412 or (exc.status == 409 and exc.field in ("version", "If-Match"))


async def submit(
    request: Request,
    session: AsyncSession,
    user: User,
    model: type[M],
    change: Callable[[M], Awaitable[object]],
    *,
    done: tuple[str, str],
    again: Callable[[FormState], Awaitable[Response]],
    checkboxes: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    read: Callable[[Request], Awaitable[tuple[M | None, FormState]]] | None = None,
) -> Response:
    """An HTML form's POST, done the one way: validate what was typed into ``model``; make the
    ``change``; on success redirect to ``done`` (the address and the flash message's code);
    otherwise show the page ``again`` with the form, its errors beside their fields (422), or the
    conflict notice when the record changed since the form was opened (409). A form whose fields
    are not one model's own (lists of entries) brings its own ``read``."""
    if read is not None:
        data, form = await read(request)
    else:
        data, form = await read_form(request, model, checkboxes=checkboxes, groups=groups)
    if data is not None and await attempt(session, user, form, change(data)):
        return see_other(*done)
    return await again(form)


def error_messages(exc: DomainError, *, default_field: str = "form") -> dict[str, str]:
    """A service's refusal as form errors next to the fields it names (all of them, when the
    refusal lists several, as answers to an instrument do)."""
    listed = exc.extra.get("errors")
    messages = {str(k): str(v) for k, v in listed.items()} if isinstance(listed, dict) else {}
    return messages or {exc.field or default_field: exc.message}


# Missing or hidden records and forbidden actions get the error page, not a form message.
SHOWN_AS_PAGE = {403, 404}


async def refused(session: AsyncSession, user: User, exc: DomainError) -> dict[str, str]:
    """Undo a refused change (as the JSON API does) and return its message for the form."""
    if exc.status in SHOWN_AS_PAGE:
        raise exc
    await session.rollback()
    # The rollback expires every loaded row; the page template still needs the user's name.
    await session.refresh(user)
    return error_messages(exc)


def options(codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, words) pairs for a select."""
    return [(code, label(code)) for code in codes]


async def organization_options(
    session: AsyncSession, *, keep: str | None = None
) -> list[tuple[str, str]]:
    """Active organisations, plus the one already chosen even if it has since been closed."""
    return [
        (str(org.id), org.name if org.active else f"{org.name} (inactive)")
        for org in await list_organizations(session)
        if org.active or str(org.id) == keep
    ]


def form_status(form: FormState | None) -> int:
    """200 for a fresh page, 409 for a stale change, 422 for a refused or invalid one."""
    if form is None:
        return 200
    return 409 if form.conflict else 422


class SentBack:
    """The form a POST sent back to a page that has several (None on a GET). When it was based
    on a version of the record that has since changed, the page shows every form afresh from the
    record as it now is, with the conflict notice (409); otherwise the refused form keeps what
    was typed and its errors (422)."""

    def __init__(self, **forms: FormState | None) -> None:
        self._forms = forms
        self.submitted = next((f for f in forms.values() if f is not None), None)
        self.conflict = self.submitted is not None and self.submitted.conflict

    def form(self, name: str, fresh: Callable[[], FormState]) -> FormState:
        """The form ``name`` as it was sent back, or ``fresh()`` from the record."""
        sent = self._forms.get(name)
        return fresh() if sent is None or self.conflict else sent

    @property
    def status(self) -> int:
        return form_status(self.submitted)


def see_other(url: str, flash: str | None = None, **params: str) -> RedirectResponse:
    """POST-redirect-GET, optionally with a flash message code."""
    query = {k: v for k, v in params.items() if v}
    if flash:
        query["flash"] = flash
    target = f"{url}?{urlencode(query)}" if query else url
    return RedirectResponse(target, status_code=303)


def flash_message(request: Request) -> str | None:
    code = request.query_params.get("flash")
    return FLASH.get(code) if code else None


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with its flash message; forms with errors answer 422."""
    return render(
        request, name, {"flash": flash_message(request), **(context or {})}, status_code=status_code
    )


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything odd means the first page."""
    try:
        return min(max(1, int(raw or "1")), 10_000)
    except ValueError:
        return 1


def checkbox_values(values: dict[str, str], *names: str) -> dict[str, str]:
    """Browsers send nothing for an unticked box; make that explicit for re-rendering."""
    return {k: v for k, v in values.items() if k not in names or v.lower() in TRUE_VALUES}


# --- Template filters -----------------------------------------------------------------------


def day(value: date | datetime | None, zone: tzinfo = UTC) -> str:
    """4 Mar 1980; a year before 1000 keeps four digits (1 Jan 0001), so that it shows as the
    slip it is. An instant is dated on the clinic's calendar (``zone``), not UTC's."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _local(value, zone)
    return f"{value.day} {value:%b} {value.year:04d}"


def when(value: datetime | None, zone: tzinfo = UTC) -> str:
    """4 Mar 2026, 06:05 PST: on the clinic's clock, with the zone's abbreviation (which
    follows daylight saving: PST in winter, PDT in summer)."""
    if value is None:
        return "—"
    local = _local(value, zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def _local(value: datetime, zone: tzinfo) -> datetime:
    # Stored instants are UTC; a naive one (an older audit detail) is read as UTC too, never as
    # the server's own zone. An instant at the calendar's very ends stays in UTC rather than
    # overflow it.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        return aware.astimezone(zone)
    except OverflowError:
        return aware


def typed_day(value: str) -> str:
    """A date field's ISO value in the pages' words (2026-12-01: 1 Dec 2026); "" for anything
    that is not a date (an empty field, what was typed into a browser without a date picker)."""
    try:
        return day(date.fromisoformat(value)) if value else ""
    except ValueError:
        return ""


def page_zone(context: Context) -> tzinfo:
    """The zone a page shows times in: the signed-in user's clinic's (templating.render)."""
    zone = context.get("zone")
    if isinstance(zone, tzinfo):
        return zone
    return PAGE_ZONE.get() or UTC


@pass_context
def local_day(context: Context, value: date | datetime | None) -> str:
    return day(value, page_zone(context))


@pass_context
def local_when(context: Context, value: datetime | None) -> str:
    return when(value, page_zone(context))


RECORD_STATUS = {
    "active": "Active",
    "inactive": "Ended",
    "entered-in-error": "Entered in error",
    "completed": "Completed",
    "amended": "Amended",
    "final": "Final",
    "resolved": "Resolved",
}

AUDIT_ACTIONS = {
    "C": "Created",
    "R": "Viewed",
    "U": "Changed",
    "D": "Deleted",
    "E": "Looked up",
}

AUDIT_PURPOSES = {
    "TREAT": "Treatment",
    "ETREAT": "Emergency treatment",
    "BTG": "Emergency access",
    "HOPERAT": "Operations",
    "PATADMIN": "Patient administration",
    "SYSTEM": "System job",
}

AUDIT_OUTCOMES = {0: "Success", 4: "Refused", 8: "Failed", 12: "Failed (serious)"}

RECORD_TYPES = {
    "Patient": "Demographics",
    "PatientIdentifier": "Identifiers",
    "RelatedPerson": "Family & caregivers",
    "CareTeam": "Care team",
    "CareTeamMember": "Care-team membership",
    "Enrolment": "Programme enrolment",
    "AuditLog": "Access log",
    "BreakGlass": "Emergency access",
    "Caseload": "Caseload search",
    "DuplicateCheck": "Duplicate check",
    "QuestionnaireResponse": "Questionnaire",
    "Observation": "Measurements",
    "SafetyAlert": "Safety alert",
    "Need": "Needs",
    "ComprehensiveAssessment": "Comprehensive assessment",
    "CarePlanPrint": "Care plan printed or downloaded",
    "Notification": "Notifications",
    "SafetyPlan": "Safety plan",
    "PotentialDuplicate": "Possible duplicate",
    "AccessRefused": "Refused access",
    "AuditTrail": "Audit trail search",
    "AuditTrailExport": "Audit trail export",
    "RefusedAttempts": "Refused attempts summary",
    "SignIn": "Sign-in",
    "UserRole": "Role change",
    "UserStatus": "Account status",
}


def record_status(value: str | None) -> str:
    return RECORD_STATUS.get(value or "", (value or "—").replace("_", " ").capitalize())


def audit_action(value: str) -> str:
    return AUDIT_ACTIONS.get(value, value)


def audit_purpose(value: str) -> str:
    return AUDIT_PURPOSES.get(value, value)


def audit_outcome(value: int) -> str:
    return AUDIT_OUTCOMES.get(value, str(value))


def record_type(value: str) -> str:
    return RECORD_TYPES.get(value, value)


def audit_detail(value: str | None, zone: tzinfo = UTC) -> str:
    """An event's JSON detail as short readable text: lists become counts, instants local."""
    if not value:
        return ""
    try:
        data = json.loads(value)
    except ValueError:
        return value
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, item in data.items():
        if isinstance(item, list):
            text = ", ".join(str(i) for i in item) if len(item) <= 3 else f"{len(item)} items"
        else:
            text = _readable(str(item), zone)
        parts.append(f"{key.replace('_', ' ')}: {text}")
    return "; ".join(parts)


@pass_context
def local_audit_detail(context: Context, value: str | None) -> str:
    return audit_detail(value, page_zone(context))


def _readable(text: str, zone: tzinfo) -> str:
    """Timestamps as people write them; anything else unchanged."""
    try:
        return when(datetime.fromisoformat(text), zone) if "T" in text else text
    except ValueError:
        return text


# Registered at start-up by tandem.app (templating.register_filters).
FILTERS: dict[str, Callable[..., str]] = {
    "day": local_day,
    "when": local_when,
    "typed_day": typed_day,
    "record_status": record_status,
    "audit_action": audit_action,
    "audit_purpose": audit_purpose,
    "audit_outcome": audit_outcome,
    "record_type": record_type,
    "audit_detail": local_audit_detail,
}

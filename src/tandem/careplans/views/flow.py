"""How every form of the plan is posted: validate, make the change based on the version the
form was opened at, and on a conflict keep what was typed beside what the other change did."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.careplans.schemas import PlanDiff
from tandem.careplans.service import versions
from tandem.careplans.service.pages import PlanPage
from tandem.careplans.views.forms import NEED_BOX
from tandem.careplans.views.summary import Line, lines_of
from tandem.errors import DomainError, PreconditionFailed
from tandem.people.models import User
from tandem.web.deps import form_values
from tandem.web.pages import FormState, checkbox_values, parse, refused, see_other

M = TypeVar("M", bound=BaseModel)


def plan_url(patient_id: uuid.UUID) -> str:
    return f"/patients/{patient_id}/care-plan"


async def post_change(
    request: Request,
    session: AsyncSession,
    user: User,
    model: type[M],
    change: Callable[[M, dict[str, str]], Awaitable[object]],
    *,
    done: tuple[str, str],
    again: Callable[[FormState], Awaitable[Response]],
    checkboxes: tuple[str, ...] = (),
) -> Response:
    """A plan form's POST: on success, back to the plan with a message; refused, the form again
    with its errors (422); based on a version someone has since changed, the form again with
    what was typed and the other change shown (409)."""
    values = await form_values(request)
    data, errors = parse(model, values, checkboxes=checkboxes)
    form = FormState(values=checkbox_values(values, *checkboxes), errors=errors)
    if data is not None:
        try:
            await change(data, values)
        except PreconditionFailed as exc:
            await refused(session, user, exc)
            form.conflict = True
        except DomainError as exc:
            form.errors = await refused(session, user, exc)
        else:
            return see_other(*done)
    return await again(form)


async def conflict_lines(
    session: AsyncSession,
    ctx: AccessContext,
    found: PlanPage,
    form: FormState | None,
    part: uuid.UUID | None = None,
) -> list[Line]:
    """What changed since the version a refused form was based on. The form then takes the
    current version, so that saving again (having seen the other change) goes through, and
    what the other change did to ``part`` (the goal or activity the form edits) where the form
    left it as it was (merge_other_change)."""
    if form is None or not form.conflict or found.plan is None:
        return []
    current = found.plan.version
    try:
        based = int(form.value("version"))
    except ValueError:
        based = current
    form.values["version"] = str(current)
    if not 1 <= based < current:
        return []
    changes = await versions.compare_versions(session, ctx, found.plan.patient_id, based, current)
    if part is not None:
        merge_other_change(form, changes, str(part))
    return lines_of(changes, need_names(found))


def _as_field(value: Any) -> str:
    """A snapshot's value as a form field holds it."""
    if isinstance(value, dict):  # a responsible party
        party_id = value.get("user_id") or value.get("organization_id")
        party_id = party_id or value.get("related_person_id")
        return f"{value.get('kind')}:{party_id}" if party_id else str(value.get("kind") or "")
    return "" if value is None else str(value)


def merge_other_change(form: FormState, changes: PlanDiff, part: str) -> None:
    """Three-way: a field the other change set and this form left as it was takes the other
    change's value (so saving again does not undo it); a field both changed keeps what was
    typed, and is named in ``form.errors`` for the person to check."""
    for changed in (*changes.goals.changed, *changes.activities.changed):
        if changed.id != part:
            continue
        for name, change in changed.fields.items():
            if name == "addresses":
                ticked = {k[len(NEED_BOX) :] for k in form.values if k.startswith(NEED_BOX)}
                if ticked == {str(n) for n in change.before or []}:
                    for key in [k for k in form.values if k.startswith(NEED_BOX)]:
                        del form.values[key]
                    form.values.update({f"{NEED_BOX}{n}": "on" for n in change.after or []})
                continue
            if name not in form.values:
                continue  # a field this form does not show (a browser sends every one it does)
            if form.value(name) == _as_field(change.before):
                form.values[name] = _as_field(change.after)
            elif form.value(name) != _as_field(change.after):
                form.errors[name] = (
                    "The other change set this to "
                    f"“{_as_field(change.after) or 'nothing'}”; yours is kept. Check it."
                )


def need_names(found: PlanPage) -> dict[str, str]:
    return {str(need_id): need.description for need_id, need in found.needs.items()}

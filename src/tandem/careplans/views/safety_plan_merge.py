"""When someone else saved the safety plan after the form was opened: keep what was typed, take
in what the other change did to the steps this form left as they were, and mark the steps both
changed (the plan's forms do the same for a goal's fields: careplans.views.flow)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.careplans.service import versions
from tandem.careplans.service.safety_plan import FoundSafetyPlan
from tandem.careplans.views.safety_plan_form import SafetyPlanForm, read_rows
from tandem.careplans.views.summary import Line, lines_of
from tandem.careplans.vocab import SAFETY_SECTIONS

# A line as the merge compares it: its words (or name) and its phone.
Said = tuple[str, str | None]


async def merge_other_change(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: SafetyPlanForm,
    found: FoundSafetyPlan,
) -> list[Line]:
    """Three-way, step by step, between the version the form was opened at, what was typed and
    the plan as it now is; the form then takes the current version, so that saving again
    (having seen the other change) goes through. What the other change did, line by line."""
    based = _version(form, found.plan_version)
    form.values["version"] = str(found.plan_version)
    form.errors = {}
    base: dict[str, Any] = {}
    lines: list[Line] = []
    if 1 <= based < found.plan_version:
        kept = await versions.get_version(session, ctx, patient_id, based)
        base = kept.plan.get("safety_plan") or {}
        changes = await versions.compare_versions(
            session, ctx, patient_id, based, found.plan_version
        )
        lines = lines_of(changes, {})
    now = found.safety_plan
    for words in SAFETY_SECTIONS:
        name = words.section.value
        before = [_said(entry) for entry in base.get("sections", {}).get(name, [])]
        theirs = list(getattr(now, name)) if now else []
        typed = [(text, phone) for _row, _id, text, phone in read_rows(form, name, words.contact)]
        if typed == before:
            form.set_rows(name, theirs)
        elif [_said(e.model_dump()) for e in theirs] != before:
            form.keep_ids(name, {str(e.id) for e in theirs})
            shown = "; ".join(_said(e.model_dump())[0] for e in theirs) or "nothing"
            form.errors[name] = (
                f"The other change made this step say “{shown}”; yours is kept. Check it."
            )
    _merge_reviewed_on(form, base, now.reviewed_on.isoformat() if now and now.reviewed_on else "")
    return lines


def _merge_reviewed_on(form: SafetyPlanForm, base: dict[str, Any], current: str) -> None:
    before = base.get("reviewed_on") or ""
    if form.value("reviewed_on") == before:
        form.values["reviewed_on"] = current
    elif current != before and form.value("reviewed_on") != current:
        form.errors["reviewed_on"] = (
            f"The other change set this to {current or 'nothing'}; yours is kept. Check it."
        )


def _said(entry: dict[str, Any]) -> Said:
    return str(entry.get("text") or entry.get("name") or ""), entry.get("phone") or None


def _version(form: SafetyPlanForm, current: int) -> int:
    try:
        return int(form.value("version"))
    except ValueError:
        return current

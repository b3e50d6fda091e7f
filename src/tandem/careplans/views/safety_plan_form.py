"""The safety plan's form: each section's lines as numbered rows (``warning_signs.0.text``, a
contact's ``.name`` and ``.phone``, the hidden ``.id`` of a line already on the plan and its
``.remove`` box), a blank row to add one, and "Add another line" buttons that bring a row more
without saving. What the rows say becomes one ``SafetyPlanChange``; what is wrong is named by
the row it was typed in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from tandem.careplans.schemas import SafetyPlanChange, SafetyPlanRead
from tandem.careplans.vocab import CONTACT_SECTIONS, SAFETY_SECTIONS, SafetySection
from tandem.web.deps import form_values
from tandem.web.pages import TRUE_VALUES, FormState

# A row's field: its section, its number on the form and its part.
ROW_FIELD = re.compile(r"^(?P<section>[a-z_]{1,30})\.(?P<row>\d{1,3})\.(?P<part>[a-z]{1,10})$")
# Rows a form may send in one section: the entries the plan allows, and some blank ones.
MAX_ROWS = 60
SECTIONS = tuple(SafetySection)


@dataclass
class SafetyPlanForm(FormState):
    """The safety plan's form: the rows of each section (by their number on the form), where
    each entry sent came from, and the row to put the cursor in."""

    rows: dict[str, list[int]] = field(default_factory=dict)
    # (section, its place among the entries sent) -> the row it was typed in.
    sent: dict[tuple[str, int], int] = field(default_factory=dict)
    # The section whose "Add another line" was pressed: show the form again, a row more.
    more: str | None = None
    focus: str | None = None

    def field_of(self, name: str) -> str:
        """The form field a refusal names: ``warning_signs.1.text`` of the entries sent is the
        row it was typed in (blank and removed rows are not sent)."""
        found = re.match(r"^([a-z_]+)\.(\d+)(\..+)?$", name)
        if found is None:
            return name
        row = self.sent.get((found.group(1), int(found.group(2))))
        return name if row is None else f"{found.group(1)}.{row}{found.group(3) or ''}"

    def on_rows(self, errors: dict[str, str]) -> dict[str, str]:
        return {self.field_of(name): message for name, message in errors.items()}

    def add_row(self, section: str) -> None:
        """One blank row more in ``section``, with the cursor in it."""
        rows = self.rows.setdefault(section, [])
        row = max(rows, default=-1) + 1
        rows.append(row)
        part = "name" if section in CONTACT_SECTIONS else "text"
        self.focus = f"{section}.{row}.{part}"

    def set_rows(self, section: str, entries: list[Any]) -> None:
        """The section's rows as the plan's ``entries`` say, and a blank one."""
        for key in [k for k in self.values if k.startswith(section + ".")]:
            del self.values[key]
        self.rows[section] = list(range(len(entries) + 1))
        for row, entry in enumerate(entries):
            values = entry.model_dump(exclude_none=True)
            self.values.update({f"{section}.{row}.{part}": str(v) for part, v in values.items()})

    def keep_ids(self, section: str, on_plan: set[str]) -> None:
        """Rows naming a line no longer on the plan send it as a new one."""
        for row in self.rows.get(section, []):
            key = f"{section}.{row}.id"
            if key in self.values and self.values[key] not in on_plan:
                del self.values[key]


def fresh_form(plan_version: int, safety_plan: SafetyPlanRead | None) -> SafetyPlanForm:
    """The form filled from the safety plan as it is, with a blank row in every section."""
    form = SafetyPlanForm(values={"version": str(plan_version)})
    for words in SAFETY_SECTIONS:
        name = words.section.value
        form.set_rows(name, list(getattr(safety_plan, name)) if safety_plan else [])
    if safety_plan is not None and safety_plan.reviewed_on is not None:
        form.values["reviewed_on"] = safety_plan.reviewed_on.isoformat()
    return form


def read_rows(
    form: SafetyPlanForm, section: str, contact: bool
) -> list[tuple[int, str | None, str, str | None]]:
    """What a section's rows say, in order: (row, id, words, phone), trimmed; a blank row, or a
    line ticked (or emptied) to take it off, says nothing."""
    said = []
    for row in form.rows.get(section, []):
        prefix = f"{section}.{row}."
        if form.value(prefix + "remove").lower() in TRUE_VALUES:
            continue
        words = form.value(prefix + ("name" if contact else "text")).strip()
        phone = form.value(prefix + "phone").strip() if contact else ""
        if words or phone:
            said.append((row, form.value(prefix + "id") or None, words, phone or None))
    return said


async def read_safety_plan_form(request: Request) -> tuple[SafetyPlanChange | None, FormState]:
    """The submitted form as the change it asks for (None when a row is wrong, or when it asks
    for a row more), and the form to show again."""
    values = await form_values(request)
    form = SafetyPlanForm(values=values)
    data: dict[str, Any] = {}
    for words in SAFETY_SECTIONS:
        name = words.section.value
        rows = sorted(
            {
                int(found.group("row"))
                for key in values
                if (found := ROW_FIELD.match(key)) and found.group("section") == name
            }
        )[:MAX_ROWS]
        form.rows[name] = rows or [0]
        data[name] = []
        for row, entry_id, said, phone in read_rows(form, name, words.contact):
            entry: dict[str, Any] = {"id": entry_id}
            if words.contact:
                entry.update(name=said, phone=phone)
            else:
                entry["text"] = said
            form.sent[(name, len(data[name]))] = row
            data[name].append(entry)
    data["reviewed_on"] = values.get("reviewed_on") or None
    data["reason"] = values.get("reason") or None
    more = values.get("more")
    if more in form.rows:
        form.more = more
        form.add_row(more)
        return None, form
    try:
        change = SafetyPlanChange.model_validate(data)
    except ValidationError as exc:
        form.errors = form.on_rows(_dotted(exc))
        return None, form
    return change, form


def _dotted(exc: ValidationError) -> dict[str, str]:
    """Pydantic's messages named by their whole place (``people_to_ask.0.phone``)."""
    named: dict[str, str] = {}
    for error in exc.errors():
        place = ".".join(str(part) for part in error["loc"]) or "form"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "string_too_short":
            message = "Write something here, or leave the whole line empty."
        named.setdefault(place, message[:1].upper() + message[1:])
    return named

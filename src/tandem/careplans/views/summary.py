"""The plan at a glance: who does what, what is overdue, and what changed, in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tandem.careplans.schemas import ActivityRead, FieldChange, GoalRead, PlanDiff, PlanRead
from tandem.careplans.vocab import ENDED_ACTIVITY, SAFETY_SECTIONS, ResponsibleKind
from tandem.web.pages import day
from tandem.web.templating import label

# The order parties are listed in: the team first, then the patient and family, then partners.
PARTY_ORDER: dict[str, int] = {
    ResponsibleKind.team_member: 0,
    ResponsibleKind.patient: 1,
    ResponsibleKind.related_person: 2,
    ResponsibleKind.organisation: 3,
}


def is_open(activity: ActivityRead) -> bool:
    return activity.status not in ENDED_ACTIVITY


def is_overdue(activity: ActivityRead, today: date) -> bool:
    """Due before the clinic's today and not finished."""
    return is_open(activity) and activity.due_on is not None and activity.due_on < today


@dataclass
class Owed:
    """One party's open activities, overdue first, then by due date."""

    name: str
    kind: str
    items: list[tuple[GoalRead, ActivityRead]] = field(default_factory=list)


def who_does_what(plan: PlanRead | None) -> list[Owed]:
    """Every party responsible for an open activity, with what they owe."""
    if plan is None:
        return []
    parties: dict[tuple[str, str], Owed] = {}
    for goal in plan.goals:
        for activity in goal.activities:
            if not is_open(activity):
                continue
            party = activity.responsible
            party_id = party.user_id or party.organization_id or party.related_person_id
            key = (party.kind, str(party_id))
            parties.setdefault(key, Owed(party.name, party.kind)).items.append((goal, activity))
    for owed in parties.values():
        owed.items.sort(key=lambda item: (item[1].due_on is None, item[1].due_on or date.max))
    return sorted(parties.values(), key=lambda o: (PARTY_ORDER.get(o.kind, 9), o.name))


# Field names as a clinician says them.
FIELD_WORDS = {
    "description": "Goal",
    "target": "Target",
    "target_date": "Target date",
    "status": "Status",
    "achievement": "Progress",
    "addresses": "Needs addressed",
    "title": "Activity",
    "kind": "Kind",
    "responsible": "Responsible",
    "due_on": "Due",
    "goal_id": "Goal",
    "next_review_on": "Next review",
    "reviewed_on": "Gone through with the patient",
    "reviewed_by": "Gone through, recorded by",
    "crisis_lines": "Crisis lines",
    "text": "Words",
    "name": "Name",
    "phone": "Phone",
    "section": "Step",
}
# A safety plan line's step, as its pages name it.
SECTION_WORDS = {words.section.value: words.heading for words in SAFETY_SECTIONS}


@dataclass(frozen=True)
class Line:
    """One change, as the comparison shows it: what it concerns, the field, before and after."""

    part: str  # "Plan", "Goal", "Activity"
    name: str
    change: str  # "added", "removed", "changed"
    field: str = ""
    before: str = ""
    after: str = ""


def _name(item: dict[str, Any]) -> str:
    return str(
        item.get("description") or item.get("title") or item.get("text") or item.get("name") or ""
    )


def words(value: Any, need_names: dict[str, str]) -> str:
    """A stored value as the comparison says it: a party by name, needs by description, a
    safety plan's step by its heading, codes and dates in words, nothing as a dash."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name") or value.get("kind") or "—")
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value):
            return "; ".join(words(v, need_names) for v in value)  # the crisis lines
        return "; ".join(need_names.get(str(v), "a need no longer listed") for v in value)
    if str(value) in SECTION_WORDS:
        return SECTION_WORDS[str(value)]
    text = str(value)
    try:
        return day(date.fromisoformat(text))
    except ValueError:
        return label(text)


def lines_of(changes: PlanDiff, need_names: dict[str, str]) -> list[Line]:
    """What changed from one version to another, line by line, in words."""

    def changed(part: str, name: str, key: str, change: FieldChange) -> Line:
        before, after = words(change.before, need_names), words(change.after, need_names)
        return Line(part, name, "changed", FIELD_WORDS.get(key, key), before, after)

    lines = [changed("Plan", "", k, v) for k, v in changes.plan.items()]
    for part, diff in (("Goal", changes.goals), ("Activity", changes.activities)):
        lines += [Line(part, _name(item), "added") for item in diff.added]
        lines += [
            changed(part, c.name, k, v)
            for c in diff.changed
            for k, v in c.fields.items()
            if k != "goal_id"
        ]
        lines += [Line(part, _name(item), "removed") for item in diff.removed]
    lines += [changed("Safety plan", "", k, v) for k, v in changes.safety_plan.items()]
    entries = changes.safety_plan_entries
    lines += [Line(_step(item), _name(item), "added") for item in entries.added]
    lines += [
        changed("Safety plan", c.name, k, v) for c in entries.changed for k, v in c.fields.items()
    ]
    lines += [Line(_step(item), _name(item), "removed") for item in entries.removed]
    return lines


def _step(entry: dict[str, Any]) -> str:
    """ "Safety plan, <its step>" for a line of the safety plan."""
    return f"Safety plan, {SECTION_WORDS.get(str(entry.get('section')), 'a step')}"

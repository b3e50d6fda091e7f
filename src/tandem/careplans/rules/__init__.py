"""Pure rules of the care plan: which version a change is based on, the one responsible party,
which safety plan entries a change may name, and what changed between two versions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from tandem.careplans.schemas import Changed, FieldChange, PartDiff, PlanDiff, Responsible
from tandem.careplans.vocab import ResponsibleKind
from tandem.errors import PreconditionRequired, ValidationProblem

# The plan version a change names when the patient has no plan yet: it starts one.
NO_PLAN_YET = 0

# RFC 9110 13.1.1: If-Match carries entity tags; a weak one (W/"3") names the same version.
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')

# The id field each kind of responsible party needs; the others must be empty.
RESPONSIBLE_FIELD: dict[ResponsibleKind, str | None] = {
    ResponsibleKind.team_member: "user_id",
    ResponsibleKind.organisation: "organization_id",
    ResponsibleKind.patient: None,
    ResponsibleKind.related_person: "related_person_id",
}


def etag(version: int) -> str:
    return f'"{version}"'


def based_on(if_match: str | None) -> int:
    """The plan version a change was based on, from its If-Match header (428 without one)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            'Say which version of the plan this change is based on: If-Match: "<version>".',
            field="If-Match",
        )
    match = _ETAG.match(if_match)
    if match is None:
        raise ValidationProblem('If-Match must name one plan version, e.g. "3".', field="If-Match")
    return int(match.group(1))


def based_on_or_none(if_match: str | None, if_none_match: str | None) -> int:
    """The plan version a change was based on, or NO_PLAN_YET for ``If-None-Match: *`` (RFC 9110
    13.1.2: only if there is none): a change that may start the plan when there is none."""
    if if_none_match is not None and if_none_match.strip():
        if if_match is not None and if_match.strip():
            raise ValidationProblem(
                "Send If-Match or If-None-Match, not both.", field="If-None-Match"
            )
        if if_none_match.strip() != "*":
            raise ValidationProblem(
                'If-None-Match takes only "*": this patient has no care plan yet.',
                field="If-None-Match",
            )
        return NO_PLAN_YET
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            'Say which version of the plan this change is based on: If-Match: "<version>", '
            "or If-None-Match: * when the patient has no care plan yet.",
            field="If-Match",
        )
    return based_on(if_match)


def check_entry_ids(
    section: str, named: Sequence[uuid.UUID | None], on_plan: set[uuid.UUID]
) -> None:
    """Each id a section's entries name is one of that section's entries on the plan, and no
    entry is named twice (422 naming ``<section>.<index>.id``); entries without an id are new."""
    seen: set[uuid.UUID] = set()
    for index, entry_id in enumerate(named):
        if entry_id is None:
            continue
        if entry_id not in on_plan:
            raise ValidationProblem(
                "This entry is not on this section of the safety plan; leave its id out to add it.",
                field=f"{section}.{index}.id",
            )
        if entry_id in seen:
            raise ValidationProblem(
                "This entry is named twice in the section.", field=f"{section}.{index}.id"
            )
        seen.add(entry_id)


def check_responsible(responsible: Responsible) -> str | None:
    """Exactly one party: the id the kind needs is given and no other (422 naming the field).
    Returns the name of the id field used, if any."""
    wanted = RESPONSIBLE_FIELD[responsible.kind]
    for name in ("user_id", "organization_id", "related_person_id"):
        given = getattr(responsible, name) is not None
        if name == wanted and not given:
            raise ValidationProblem(
                f"A responsible {responsible.kind.replace('_', ' ')} needs {name}.",
                field=f"responsible.{name}",
            )
        if name != wanted and given:
            raise ValidationProblem(
                f"A responsible {responsible.kind.replace('_', ' ')} takes no {name}: "
                "an activity has exactly one responsible party.",
                field=f"responsible.{name}",
            )
    return wanted


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(item["id"]): item for item in items}


# What a part's own fields leave out: its id, and the parts it holds (compared on their own).
HELD = frozenset({"id", "activities", "sections"})


def _fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, FieldChange]:
    names = sorted((set(before) | set(after)) - HELD)
    return {
        name: FieldChange(before=before.get(name), after=after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    }


def _part(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> PartDiff:
    old, new = _by_id(before), _by_id(after)
    changed = [
        Changed(id=key, name=_name(new[key]), fields=fields)
        for key in new
        if key in old and (fields := _fields(old[key], new[key]))
    ]
    return PartDiff(
        added=[_bare(new[key]) for key in new if key not in old],
        removed=[_bare(old[key]) for key in old if key not in new],
        changed=changed,
    )


def _name(item: dict[str, Any]) -> str:
    """A goal's description, an activity's title, a safety plan line's words or name."""
    return str(
        item.get("description") or item.get("title") or item.get("text") or item.get("name") or ""
    )


def _bare(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name != "activities"}


def activities_of(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for goal in snapshot.get("goals", []) for a in goal.get("activities", [])]


def safety_plan_of(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The safety plan a snapshot kept ({} before the plan had one, or before there were)."""
    found: dict[str, Any] = snapshot.get("safety_plan") or {}
    return found


def safety_entries_of(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Every entry of a snapshot's safety plan, each with the section it is in."""
    sections: dict[str, list[dict[str, Any]]] = safety_plan_of(snapshot).get("sections", {})
    return [
        {"section": section, **entry} for section, entries in sections.items() for entry in entries
    ]


def diff(
    from_version: int, before: dict[str, Any], to_version: int, after: dict[str, Any]
) -> PlanDiff:
    """What changed from one snapshot of a plan to another: goals, activities and safety plan
    entries added, removed (entered in error, taken off), and changed field by field."""
    return PlanDiff(
        from_version=from_version,
        to_version=to_version,
        plan=_fields(before.get("plan", {}), after.get("plan", {})),
        goals=_part(before.get("goals", []), after.get("goals", [])),
        activities=_part(activities_of(before), activities_of(after)),
        safety_plan=_fields(safety_plan_of(before), safety_plan_of(after)),
        safety_plan_entries=_part(safety_entries_of(before), safety_entries_of(after)),
    )

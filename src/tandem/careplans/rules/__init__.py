"""Pure rules of the care plan: which version a change is based on, the one responsible party,
and what changed between two versions."""

from __future__ import annotations

import re
from typing import Any

from tandem.careplans.schemas import Changed, FieldChange, PartDiff, PlanDiff, Responsible
from tandem.careplans.vocab import ResponsibleKind
from tandem.errors import PreconditionRequired, ValidationProblem

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


def _fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, FieldChange]:
    names = sorted((set(before) | set(after)) - {"id", "activities"})
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
    return str(item.get("description") or item.get("title") or "")


def _bare(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name != "activities"}


def activities_of(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for goal in snapshot.get("goals", []) for a in goal.get("activities", [])]


def diff(
    from_version: int, before: dict[str, Any], to_version: int, after: dict[str, Any]
) -> PlanDiff:
    """What changed from one snapshot of a plan to another: goals and activities added,
    removed (entered in error), and changed field by field."""
    return PlanDiff(
        from_version=from_version,
        to_version=to_version,
        plan=_fields(before.get("plan", {}), after.get("plan", {})),
        goals=_part(before.get("goals", []), after.get("goals", [])),
        activities=_part(activities_of(before), activities_of(after)),
    )

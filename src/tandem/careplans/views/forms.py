"""The care plan's forms: what a page posts, turned into the API's changes, and back into a form
from the plan as it is."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tandem.careplans.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    GoalCreate,
    GoalRead,
    GoalUpdate,
    Responsible,
)
from tandem.careplans.service.pages import Choices
from tandem.careplans.vocab import (
    Achievement,
    ActivityKind,
    ActivityStatus,
    Comparator,
    GoalStatus,
    ResponsibleKind,
    TargetMeasure,
)
from tandem.errors import ValidationProblem
from tandem.web.pages import FormState, form_from

# A need the goal addresses is a ticked box named ``need.<id>``.
NEED_BOX = "need."
# Version, words, dates and statuses are fields; the needs are boxes, read apart.
GOAL_FIELDS = (
    "description",
    "target",
    "target_date",
    "target_measure",
    "target_comparator",
    "target_score",
    "status",
    "achievement",
)
ACTIVITY_FIELDS = ("title", "kind", "responsible", "due_on", "status")


class PlanForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # The plan version the form was opened at: a change based on an older one is refused.
    version: int = Field(ge=1, le=2_147_483_647)
    reason: str | None = Field(default=None, max_length=500)


class GoalForm(PlanForm):
    description: str = Field(min_length=1, max_length=2000)
    target: str | None = Field(default=None, max_length=2000)
    target_date: date | None = None
    # A measurable target: its progress is then worked out from the scores, not chosen.
    target_measure: TargetMeasure | None = None
    target_comparator: Comparator | None = None
    target_score: int | None = Field(default=None, ge=0, le=27)
    status: GoalStatus = GoalStatus.proposed
    achievement: Achievement = Achievement.in_progress

    def measurable(self) -> dict[str, Any]:
        """The target's parts, or (none chosen) the progress set by hand."""
        if self.target_measure is None:
            return {"target_measure": None, "achievement": self.achievement}
        return {
            "target_measure": self.target_measure,
            "target_comparator": self.target_comparator,
            "target_score": self.target_score,
        }


class ActivityForm(PlanForm):
    title: str = Field(min_length=1, max_length=200)
    kind: ActivityKind
    # One party, as the select names it: "patient", "team_member:<id>", "organisation:<id>"
    # or "related_person:<id>".
    responsible: str = Field(min_length=1, max_length=60)
    due_on: date | None = None
    status: ActivityStatus = ActivityStatus.not_started


class InErrorForm(PlanForm):
    reason: str = Field(min_length=1, max_length=500)


def if_match(form: PlanForm) -> str:
    return f'"{form.version}"'


def ticked_needs(values: dict[str, str]) -> list[uuid.UUID]:
    """The needs whose boxes were ticked (a box naming no need is refused on ``addresses``)."""
    found = []
    for name in values:
        if name.startswith(NEED_BOX):
            try:
                found.append(uuid.UUID(name[len(NEED_BOX) :]))
            except ValueError:
                raise ValidationProblem("Choose needs from the list.", field="addresses") from None
    return found


def _goal_fields(form: GoalForm, needs: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "description": form.description,
        "target": form.target,
        "target_date": form.target_date,
        "status": form.status,
        "addresses": needs,
        "reason": form.reason,
        **form.measurable(),
    }


def new_goal(form: GoalForm, needs: list[uuid.UUID]) -> GoalCreate:
    fields = _goal_fields(form, needs)
    if fields["target_measure"] is None:
        del fields["target_measure"]
    return GoalCreate(**fields)


def goal_change(form: GoalForm, needs: list[uuid.UUID]) -> GoalUpdate:
    """The whole goal as the form shows it: an emptied field is cleared (a measurable target
    taken away, too)."""
    return GoalUpdate(**_goal_fields(form, needs))


def responsible_of(choice: str) -> Responsible:
    """The party a select's value names (422 on ``responsible`` when it names none)."""
    kind, _, raw_id = choice.partition(":")
    try:
        party = ResponsibleKind(kind)
        party_id = uuid.UUID(raw_id) if raw_id else None
    except ValueError:
        raise ValidationProblem(
            "Choose who is responsible from the list.", field="responsible"
        ) from None
    ids: dict[str, uuid.UUID | None] = {
        "user_id": None,
        "organization_id": None,
        "related_person_id": None,
    }
    field = {
        ResponsibleKind.team_member: "user_id",
        ResponsibleKind.organisation: "organization_id",
        ResponsibleKind.related_person: "related_person_id",
    }.get(party)
    if (field is None) != (party_id is None):
        raise ValidationProblem("Choose who is responsible from the list.", field="responsible")
    if field is not None:
        ids[field] = party_id
    return Responsible(kind=party, **ids)


def responsible_value(activity: ActivityRead) -> str:
    party = activity.responsible
    party_id = party.user_id or party.organization_id or party.related_person_id
    return f"{party.kind}:{party_id}" if party_id else party.kind


def new_activity(form: ActivityForm) -> ActivityCreate:
    return ActivityCreate(
        title=form.title,
        kind=form.kind,
        responsible=responsible_of(form.responsible),
        due_on=form.due_on,
        status=form.status,
        reason=form.reason,
    )


def activity_change(form: ActivityForm) -> ActivityUpdate:
    """The whole activity as the form shows it: an emptied due date is cleared."""
    return ActivityUpdate.model_validate(new_activity(form).model_dump())


def goal_form(goal: GoalRead | None, version: int) -> FormState:
    """A goal's form as the goal now is (a new goal's with its defaults)."""
    form = form_from(goal, GOAL_FIELDS, version=version)
    if goal is None:
        form.values.update(status=GoalStatus.active, achievement=Achievement.in_progress)
    else:
        form.values.update({f"{NEED_BOX}{need_id}": "on" for need_id in goal.addresses})
    return form


def activity_form(activity: ActivityRead | None, version: int) -> FormState:
    form = form_from(activity, ("title", "kind", "due_on", "status"), version=version)
    if activity is None:
        form.values.update(status=ActivityStatus.not_started)
    else:
        form.values["responsible"] = responsible_value(activity)
    return form


def party_options(
    choices: Choices,
    organisations: list[tuple[str, str]],
    *,
    keep: tuple[str, str] | None = None,
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The responsible parties a select offers, in groups: the team, the patient and family,
    the organisations. ``keep`` is the party already chosen, offered even if it has since left
    (so the form shows it, and saving asks for someone current): (value, name)."""
    team = [
        (f"team_member:{user_id}", f"{name} ({role.replace('_', ' ')})")
        for user_id, name, role in choices.team
    ]
    family = [("patient", "The patient")] + [
        (f"related_person:{person_id}", f"{name} ({relationship.replace('_', ' ')})")
        for person_id, name, relationship in choices.family
    ]
    orgs = [(f"organisation:{org_id}", name) for org_id, name in organisations]
    groups = [("Care team", team), ("Patient and family", family), ("Organisations", orgs)]
    offered = {value for _, group in groups for value, _ in group}
    if keep and keep[0] not in offered:
        groups.insert(0, ("No longer on the team", [(keep[0], keep[1])]))
    return [(label, group) for label, group in groups if group]

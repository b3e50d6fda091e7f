"""Care plan templates: versioned data files in ``templates/``, validated at start-up.

A template pre-fills a plan for a common situation: goals in words a patient might use (to be
replaced with the patient's own), each with a measurable target, and the activities that serve
them with the kind of party who usually does each. Adding or changing one is a data change
(with the file's ``version``); each file names its source.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem.careplans.vocab import ActivityKind

TEMPLATE_DIR = Path(__file__).parent / "templates"
# A due date or target date further ahead than this is a typing slip in the file.
MAX_DAYS_AHEAD = 730


class TemplateParty(StrEnum):
    """Who usually does an activity. Applying the template makes it a real party of this
    patient's plan: the lead care manager, the patient, the community partner organisation on
    the care team, or the team member in that role."""

    care_manager = "care_manager"
    patient = "patient"
    organisation = "organisation"
    primary_care_provider = "primary_care_provider"
    psychiatric_consultant = "psychiatric_consultant"
    therapist = "therapist"
    social_worker = "social_worker"
    peer_specialist = "peer_specialist"


class _Definition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TemplateActivity(_Definition):
    title: str = Field(min_length=1, max_length=200)
    kind: ActivityKind
    responsible: TemplateParty
    # Days from the day the template is applied.
    due_in_days: int = Field(ge=0, le=MAX_DAYS_AHEAD)

    def due_on(self, today: date) -> date:
        return today + timedelta(days=self.due_in_days)


class TemplateGoal(_Definition):
    # Words a patient might use: a placeholder for the patient's own.
    description: str = Field(min_length=1, max_length=2000)
    # What to ask the patient to put the goal in their own words.
    prompt: str = Field(min_length=1, max_length=500)
    # Measurable: a score, a count or an event, so that the team can tell when it is met.
    target: str = Field(min_length=1, max_length=2000)
    target_in_days: int = Field(ge=1, le=MAX_DAYS_AHEAD)
    activities: tuple[TemplateActivity, ...] = Field(min_length=1, max_length=20)

    def target_on(self, today: date) -> date:
        return today + timedelta(days=self.target_in_days)


class PlanTemplate(_Definition):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str = Field(min_length=1, max_length=120)
    summary: str = Field(min_length=1, max_length=1000)
    # Where the content comes from: a published model of care, trial or guide.
    source: str = Field(min_length=10, max_length=2000)
    goals: tuple[TemplateGoal, ...] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _each_goal_and_activity_once(self) -> PlanTemplate:
        goals = [g.description for g in self.goals]
        if len(set(goals)) != len(goals):
            raise ValueError(f"{self.code}: a goal appears twice")
        for goal in self.goals:
            titles = [a.title for a in goal.activities]
            if len(set(titles)) != len(titles):
                raise ValueError(f"{self.code}: an activity appears twice under one goal")
        return self

    @property
    def activity_count(self) -> int:
        return sum(len(goal.activities) for goal in self.goals)


class TemplateError(RuntimeError):
    """A template file is missing, unreadable or inconsistent: Tandem refuses to start."""


def load_directory(directory: Path) -> dict[str, PlanTemplate]:
    """Every template in ``directory``, keyed by code, in title order; raises on a bad file."""
    found: dict[str, PlanTemplate] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            template = PlanTemplate.model_validate(json.loads(path.read_text("utf-8")))
        except (ValueError, OSError) as exc:
            raise TemplateError(f"{path.name}: {exc}") from exc
        if template.code in found:
            raise TemplateError(f"{path.name}: template {template.code} defined twice")
        if path.stem != template.code:
            raise TemplateError(f"{path.name}: the file is named for its code, {template.code}")
        found[template.code] = template
    if not found:
        raise TemplateError(f"no care plan templates in {directory}")
    return dict(sorted(found.items(), key=lambda pair: pair[1].title))


@cache
def plan_templates() -> dict[str, PlanTemplate]:
    """The care plan templates shipped with Tandem (loaded once, validated)."""
    return load_directory(TEMPLATE_DIR)


def plan_template(code: str) -> PlanTemplate | None:
    return plan_templates().get(code)

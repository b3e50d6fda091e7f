"""Care plan templates: the shipped files load and cite their sources, the loader refuses a bad
file, dates count from the day the template is applied, and each usual party becomes the right
member of the patient's team (or the caller, with a note, when there is none)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from bench.care_plan_pdf import member

from tandem.careplans.definitions import (
    MAX_DAYS_AHEAD,
    TEMPLATE_DIR,
    PlanTemplate,
    TemplateActivity,
    TemplateError,
    TemplateParty,
    load_directory,
    plan_template,
    plan_templates,
)
from tandem.careplans.schemas import Responsible
from tandem.careplans.service.from_template import Party, assign, resolve_party

SHIPPED = {
    "depression-collaborative-care": ("AIMS Center", "JAMA 2002;288:2836-45"),
    "anxiety-collaborative-care": ("JAMA 2010;303:1921-8", "GAD-7"),
    "smi-housing-instability": ("Am J Public Health 2004;94:651-6", "SMA-10-4509"),
}


def test_the_shipped_templates_load_each_citing_a_published_source() -> None:
    found = plan_templates()
    assert sorted(found) == sorted(SHIPPED)
    for code, cited in SHIPPED.items():
        template = found[code]
        assert all(part in template.source for part in cited), code
        assert template.goals and all(goal.activities for goal in template.goals)
        assert all(goal.target and goal.prompt for goal in template.goals)
    assert plan_template("no-such-template") is None


def test_the_templates_are_listed_by_title() -> None:
    assert [t.title for t in plan_templates().values()] == [
        "Anxiety — collaborative care",
        "Depression — collaborative care",
        "Serious mental illness with housing instability",
    ]


def _shipped(code: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TEMPLATE_DIR / f"{code}.json").read_text("utf-8"))
    return data


def _write(tmp_path: Path, data: dict[str, Any], name: str | None = None) -> Path:
    (tmp_path / f"{name or data['code']}.json").write_text(json.dumps(data), "utf-8")
    return tmp_path


def _first_activity(data: dict[str, Any]) -> dict[str, Any]:
    activity: dict[str, Any] = data["goals"][0]["activities"][0]
    return activity


BREAKAGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "no source": lambda d: d.pop("source"),
    "a source too short to name anything": lambda d: d.update(source="AIMS"),
    "an unknown activity kind": lambda d: _first_activity(d).update(kind="séance"),
    "an unknown usual party": lambda d: _first_activity(d).update(responsible="the mayor"),
    "a due date before the day it is applied": lambda d: _first_activity(d).update(due_in_days=-1),
    "a due date more than two years ahead": lambda d: _first_activity(d).update(
        due_in_days=MAX_DAYS_AHEAD + 1
    ),
    "a target on the day it is applied": lambda d: d["goals"][0].update(target_in_days=0),
    "a goal without activities": lambda d: d["goals"][0].update(activities=[]),
    "a goal twice": lambda d: d["goals"].append(d["goals"][0]),
    "an activity twice under one goal": lambda d: d["goals"][0]["activities"].append(
        _first_activity(d)
    ),
    "an unknown field": lambda d: d.update(author="someone"),
    "no goals": lambda d: d.update(goals=[]),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_template_file_stops_tandem_naming_the_file(breakage: str, tmp_path: Path) -> None:
    data = _shipped("depression-collaborative-care")
    BREAKAGES[breakage](data)
    with pytest.raises(TemplateError, match=r"depression-collaborative-care\.json"):
        load_directory(_write(tmp_path, data))


def test_a_file_named_for_another_code_or_a_code_twice_is_refused(tmp_path: Path) -> None:
    data = _shipped("anxiety-collaborative-care")
    with pytest.raises(TemplateError, match="named for its code"):
        load_directory(_write(tmp_path, data, name="anxiety"))
    with pytest.raises(TemplateError, match="no care plan templates"):
        load_directory(tmp_path / "empty")


def test_due_dates_at_the_edges_of_the_allowed_range_load() -> None:
    for days in (0, MAX_DAYS_AHEAD):
        step = TemplateActivity(
            title="Call", kind="check-in-call", responsible="patient", due_in_days=days
        )
        assert step.due_in_days == days


def test_dates_count_from_the_day_the_template_is_applied() -> None:
    template = plan_templates()["depression-collaborative-care"]
    first = template.goals[0]
    assert first.activities[0].due_on(date(2026, 3, 10)) == date(2026, 3, 24)
    assert first.activities[0].due_on(date(2026, 12, 25)) == date(2027, 1, 8)
    assert first.target_on(date(2026, 3, 10)) == date(2026, 8, 25)  # 24 weeks
    # 28 February 2028 + 14 days crosses a leap day.
    assert first.activities[0].due_on(date(2028, 2, 28)) == date(2028, 3, 13)


# -- who stands in for each usual party ---------------------------------------------------

LEAD, PCP, PCP_2, PARTNER, ORG = (uuid.uuid4() for _ in range(5))
HARBOR = "Harbor Housing"


TEAM = [
    member("lead_care_manager", "Casey Lead", LEAD),
    member("primary_care_provider", "Priya Doctor", PCP),
    member("primary_care_provider", "Second Doctor", PCP_2),
    member("community_partner", "Hal Housing", PARTNER, organization_id=ORG, organization=HARBOR),
    member("family_caregiver", "Ana Garcia"),
]


def test_each_usual_party_is_the_team_member_in_its_place() -> None:
    assert resolve_party(TemplateParty.care_manager, TEAM) == Party(
        Responsible(kind="team_member", user_id=LEAD), "Casey Lead"
    )
    # The first of two in the team's order.
    assert resolve_party(TemplateParty.primary_care_provider, TEAM) == Party(
        Responsible(kind="team_member", user_id=PCP), "Priya Doctor"
    )
    assert resolve_party(TemplateParty.organisation, TEAM) == Party(
        Responsible(kind="organisation", organization_id=ORG), "Harbor Housing"
    )
    assert resolve_party(TemplateParty.patient, []) == Party(
        Responsible(kind="patient"), "The patient"
    )


@pytest.mark.parametrize(
    "party",
    [
        TemplateParty.psychiatric_consultant,
        TemplateParty.therapist,
        TemplateParty.social_worker,
        TemplateParty.peer_specialist,
    ],
)
def test_a_party_the_team_lacks_is_no_one(party: TemplateParty) -> None:
    assert resolve_party(party, TEAM) is None


def test_a_partner_with_no_organisation_cannot_stand_in_for_one() -> None:
    alone = [member("community_partner", "Hal Housing", PARTNER)]  # no organisation
    assert resolve_party(TemplateParty.organisation, alone) is None


def test_activities_with_no_one_in_place_go_to_the_stand_in_with_a_note_each() -> None:
    template = PlanTemplate.model_validate(
        {
            **_shipped("anxiety-collaborative-care"),
            "goals": _shipped("anxiety-collaborative-care")["goals"][1:],
        }
    )
    stand_in = Party(Responsible(kind="team_member", user_id=PCP), "Priya Doctor")
    parties, notes = assign(template, TEAM, stand_in)
    assert parties == [[stand_in, stand_in]]
    assert notes == [
        "No therapist on the care team for “List the avoided situations together, easiest "
        "first”: assigned to Priya Doctor until the team chooses who does it.",
        "No psychiatric consultant on the care team for “Psychiatric consultant reviews the "
        "plan if not improving at 10 weeks”: assigned to Priya Doctor until the team chooses "
        "who does it.",
    ]

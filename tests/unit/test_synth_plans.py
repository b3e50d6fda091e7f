"""Synthetic care plans: most enrolled patients have one, from the template that fits their
programme, over several versions in order, with statuses that move on and some activities
overdue; deterministic, and made without moving the rest of the population."""

from __future__ import annotations

from collections import Counter
from datetime import date
from itertools import pairwise

import pytest

from tandem.careplans.definitions import plan_templates
from tandem.careteams.vocab import PROGRAMMES
from tandem.synth import plans
from tandem.synth.network import scaled_network
from tandem.synth.population import Bundle, PopulationSpec, generate

AS_OF = date(2026, 3, 10)
PATIENTS = 400
STILL_TO_DO = ("not-started", "scheduled", "in-progress")


def _population(seed: int = 3, count: int = PATIENTS) -> list[Bundle]:
    spec = PopulationSpec("synth", seed, seed, count, as_of=AS_OF)
    network = scaled_network(count, seed, as_of=AS_OF, password_hash="x")
    return list(generate(spec, network.pool))


@pytest.fixture(scope="module")
def population() -> list[Bundle]:
    return _population()


def _planned(population: list[Bundle]) -> list[Bundle]:
    return [b for b in population if b.plan.plans]


def test_most_enrolled_patients_have_a_plan_and_no_one_else_does(
    population: list[Bundle],
) -> None:
    enrolled = [b for b in population if b.enrolments[-1]["status"] == "active"]
    planned = _planned(population)
    assert all(b.enrolments[-1]["status"] == "active" for b in planned)
    assert 0.75 * len(enrolled) <= len(planned) <= 0.95 * len(enrolled)


def test_each_plan_starts_from_the_template_of_its_programme(population: list[Bundle]) -> None:
    templates = plan_templates()
    first_goal = {code: t.goals[0].description for code, t in templates.items()}
    seen: Counter[str] = Counter()
    for bundle in _planned(population):
        programme = bundle.enrolments[-1]["programme"]
        started = bundle.plan.goals[0]["description"]
        code = next(code for code, words in first_goal.items() if words == started)
        assert code in {c for c, _ in plans.TEMPLATES[programme]}, programme
        seen[code] += 1
    assert set(seen) == set(templates)
    assert set(plans.TEMPLATES) == set(PROGRAMMES)


def test_versions_count_up_in_time_and_the_plan_is_at_its_last(population: list[Bundle]) -> None:
    counts = []
    for bundle in _planned(population):
        [plan] = bundle.plan.plans
        versions = bundle.plan.versions
        counts.append(len(versions))
        assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))
        assert all(a["changed_at"] < b["changed_at"] for a, b in pairwise(versions))
        assert plan["version"] == len(versions)
        assert (plan["updated_at"], plan["updated_by"]) == (
            versions[-1]["changed_at"],
            versions[-1]["changed_by"],
        )
        assert (plan["created_at"], plan["created_by"]) == (
            versions[0]["changed_at"],
            versions[0]["changed_by"],
        )
        assert versions[-1]["changed_at"].date() <= AS_OF
        assert versions[0]["changed_at"].date() >= bundle.enrolments[-1]["start_date"]
    assert sum(counts) / len(counts) >= 3
    assert max(counts) == 4


def test_the_last_snapshot_is_the_plan_as_its_rows_say(population: list[Bundle]) -> None:
    for bundle in _planned(population):
        snapshot = bundle.plan.versions[-1]["snapshot"]
        goals = {str(g["id"]): g for g in bundle.plan.goals}
        assert [g["id"] for g in snapshot["goals"]] == list(goals)
        for kept in snapshot["goals"]:
            assert kept["status"] == goals[kept["id"]]["status"]
            for activity in kept["activities"]:
                row = next(a for a in bundle.plan.activities if str(a["id"]) == activity["id"])
                assert activity["status"] == row["status"]
                assert activity["due_on"] == row["due_on"].isoformat()


def test_statuses_move_on_and_some_activities_are_overdue(population: list[Bundle]) -> None:
    activities = [a for b in _planned(population) for a in b.plan.activities]
    assert {a["status"] for a in activities} == {"completed", *STILL_TO_DO}
    still_to_do = [a for a in activities if a["status"] in STILL_TO_DO]
    overdue = [a for a in still_to_do if a["due_on"] < AS_OF]
    assert 0.1 * len(still_to_do) < len(overdue) < 0.5 * len(still_to_do)
    # Due dates around today: most open activities fall within two months either side of it.
    near = [a for a in still_to_do if abs((a["due_on"] - AS_OF).days) <= 60]
    assert len(near) > 0.75 * len(still_to_do)
    goals = Counter(g["status"] for b in _planned(population) for g in b.plan.goals)
    assert goals["active"] > goals["completed"] > 0 and goals["proposed"] > 0


def test_each_activity_has_exactly_one_responsible_party(population: list[Bundle]) -> None:
    ids = {
        "team_member": "responsible_user_id",
        "organisation": "responsible_organization_id",
        "patient": None,
    }
    for activity in (a for b in _planned(population) for a in b.plan.activities):
        wanted = ids[activity["responsible_kind"]]
        for column in ids.values():
            if column is not None:
                assert (activity[column] is not None) == (column == wanted)


def test_every_party_a_plan_names_has_its_name(population: list[Bundle]) -> None:
    for bundle in _planned(population):
        for version in bundle.plan.versions:
            for goal in version["snapshot"]["goals"]:
                names = {a["responsible"]["name"] for a in goal["activities"]}
                assert "—" not in names and all(names)


def test_an_activity_no_one_on_the_team_does_goes_to_who_started_the_plan_with_a_note(
    population: list[Bundle],
) -> None:
    noted = [
        b
        for b in _planned(population)
        if "on the care team for" in (b.plan.versions[0]["reason"] or "")
    ]
    assert noted
    for bundle in noted:
        first = bundle.plan.versions[0]
        team = {m["user_id"] for m in bundle.members}
        stand_in = first["changed_by"]
        assert stand_in in team
        given = [a for a in bundle.plan.activities if a["responsible_user_id"] == stand_in]
        assert given


def test_the_plans_are_the_same_every_time_and_leave_the_rest_alone(
    population: list[Bundle], monkeypatch: pytest.MonkeyPatch
) -> None:
    again = _population()
    assert [b.plan for b in again] == [b.plan for b in population]
    monkeypatch.setattr(plans, "PLAN_SHARE", 0.0)
    without = _population()
    assert not any(b.plan.plans for b in without)
    for kept, other in zip(population, without, strict=True):
        assert (kept.patient, kept.members, kept.enrolments) == (
            other.patient,
            other.members,
            other.enrolments,
        )
        assert kept.history.responses == other.history.responses

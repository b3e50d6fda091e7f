"""Measurable targets through the care plan's API: a goal on the PHQ-9 or GAD-7 with a target
score, checked whole (422 naming the field, a CHECK constraint behind), its achievement worked
out from the patient's scores and shown with what it rests on; and the plan's checks, each with
the change that puts it right."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.care_plan_support import (
    GOAL,
    activity,
    changed,
    need_of,
    new_plan,
    plan_url,
    send,
)
from tests.integration.test_statement_counts import statements

from tandem.careplans import service as careplans
from tandem.careplans.models import Goal
from tandem.careteams.service.patients import chart_header
from tandem.clock import FrozenClock
from tandem.people.models import User

PHQ9_BELOW_5 = {"target_measure": "phq-9", "target_comparator": "below", "target_score": 5}


@pytest.fixture
async def client(care_manager: User, client_for: Any) -> httpx.AsyncClient:
    made: httpx.AsyncClient = await client_for(care_manager)
    return made


async def phq9(factory: Factory, chart: PatientWithTeam, total: int, days_ago: int = 0) -> None:
    await factory.response(
        chart.patient,
        chart.lead,
        answers=phq9_answers(total),
        answered_on=factory.clock.today() - timedelta(days=days_ago),
    )


async def read(client: httpx.AsyncClient, chart: PatientWithTeam) -> dict[str, Any]:
    response = await client.get(plan_url(chart.patient.id))
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


async def test_a_phq9_goal_shows_the_achievement_its_scores_give_and_what_it_rests_on(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory, clock: FrozenClock
) -> None:
    pid = chart.patient.id
    await phq9(factory, chart, 16, days_ago=5)  # the baseline, just before the goal
    await new_plan(client, pid)
    set_on = clock.today()
    plan = await changed(client, "POST", pid, "/goals", 1, {**GOAL, **PHQ9_BELOW_5})
    [goal] = plan["goals"]
    assert (goal["target_measure"], goal["target_comparator"], goal["target_score"]) == (
        "phq-9",
        "below",
        5,
    )
    assert goal["target_set_on"] == set_on.isoformat()
    assert (goal["achievement"], goal["achievement_computed"]) == ("in-progress", True)
    assert goal["achievement_basis"]["why"] == "no-score-since-set"
    clock.advance(days=28)
    await phq9(factory, chart, 4)
    [goal] = (await read(client, chart))["goals"]
    assert (goal["achievement"], goal["achievement_computed"]) == ("achieved", True)
    assert goal["achievement_basis"] == {
        "measure": "phq-9",
        "target": "PHQ-9 below 5",
        "why": "met",
        "explanation": f"PHQ-9 4 on {_day(clock.today())} meets the target (below 5).",
        "score": 4,
        "on": clock.today().isoformat(),
        "baseline_score": 16,
        "baseline_on": (set_on - timedelta(days=5)).isoformat(),
    }
    clock.advance(days=28)
    await phq9(factory, chart, 3)
    [goal] = (await read(client, chart))["goals"]
    assert goal["achievement"] == "sustaining"


async def test_a_score_entered_in_error_no_longer_counts(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory, clock: FrozenClock
) -> None:
    pid = chart.patient.id
    await phq9(factory, chart, 16)
    await new_plan(client, pid)
    await changed(client, "POST", pid, "/goals", 1, {**GOAL, **PHQ9_BELOW_5})
    clock.advance(days=14)
    wrong = await factory.response(chart.patient, chart.lead, answers=phq9_answers(3))
    assert (await read(client, chart))["goals"][0]["achievement"] == "achieved"
    withdrawn = await client.post(
        f"/api/v1/patients/{pid}/responses/{wrong.id}/entered-in-error",
        json={"version": 1, "reason": "Another patient's answers"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    [goal] = (await read(client, chart))["goals"]
    assert (goal["achievement"], goal["achievement_basis"]["why"]) == (
        "in-progress",
        "no-score-since-set",
    )


async def test_a_goal_without_a_measure_keeps_the_achievement_set_by_hand(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory
) -> None:
    pid = chart.patient.id
    await phq9(factory, chart, 4)
    await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, {**GOAL, "achievement": "improving"})
    [goal] = plan["goals"]
    assert (goal["achievement"], goal["achievement_computed"], goal["achievement_basis"]) == (
        "improving",
        False,
        None,
    )


async def test_a_measurable_target_is_refused_naming_the_field_at_fault(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory
) -> None:
    pid = chart.patient.id
    await new_plan(client, pid)
    bad = [
        ({"target_measure": "phq-9", "target_score": 5}, "target_comparator"),
        ({"target_measure": "phq-9", "target_comparator": "below"}, "target_score"),
        ({"target_comparator": "below", "target_score": 5}, "target_measure"),
        ({**PHQ9_BELOW_5, "target_score": 28}, "target_score"),
        ({**PHQ9_BELOW_5, "target_measure": "gad-7", "target_score": 22}, "target_score"),
        ({**PHQ9_BELOW_5, "target_score": 0}, "target_score"),  # no score is below 0
        ({**PHQ9_BELOW_5, "achievement": "achieved"}, "achievement"),
    ]
    async with factory.unchanged(chart.patient):
        for body, field in bad:
            refused = await send(client, "POST", pid, "/goals", 1, {**GOAL, **body})
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["detail"]["field"] == field, body
        for body, field in [
            ({**PHQ9_BELOW_5, "target_measure": "phq-10"}, "target_measure"),
            ({**PHQ9_BELOW_5, "target_score": "5"}, "target_score"),
            ({**PHQ9_BELOW_5, "target_comparator": "under"}, "target_comparator"),
        ]:
            refused = await send(client, "POST", pid, "/goals", 1, {**GOAL, **body})
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["detail"][0]["loc"] == ["body", field]


async def test_a_change_of_target_is_checked_whole_and_a_new_target_is_set_that_day(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory, clock: FrozenClock
) -> None:
    pid = chart.patient.id
    await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, {**GOAL, **PHQ9_BELOW_5})
    goal_id, tail = plan["goals"][0]["id"], f"/goals/{plan['goals'][0]['id']}"
    async with factory.unchanged(chart.patient):
        for body, field in [
            ({"target_score": 28}, "target_score"),
            ({"target_comparator": None}, "target_comparator"),
            ({"target_measure": "gad-7", "target_score": 22}, "target_score"),
            ({"achievement": "achieved"}, "achievement"),
            ({"target_measure": None, "target_score": 5}, "target_measure"),
        ]:
            refused = await send(client, "PATCH", pid, tail, 2, body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["detail"]["field"] == field, body
    clock.advance(days=7)
    plan = await changed(client, "PATCH", pid, tail, 2, {"target_score": 10})
    [goal] = plan["goals"]
    assert (goal["target"], goal["target_score"]) == (GOAL["target"], 10)
    assert goal["target_set_on"] == clock.today().isoformat()
    plan = await changed(client, "PATCH", pid, tail, 3, {"target_measure": None})
    [goal] = plan["goals"]
    assert goal["achievement"] == "in-progress"  # to be set by hand from now on
    assert [goal[k] for k in ("target_measure", "target_comparator", "target_score")] == [None] * 3
    assert (goal["target_set_on"], goal["achievement_computed"]) == (None, False)
    assert goal["id"] == goal_id


async def test_the_database_holds_a_target_together_and_in_range(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory
) -> None:
    pid = chart.patient.id
    await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, {**GOAL, **PHQ9_BELOW_5})
    goal_id = plan["goals"][0]["id"]
    for broken in ({"target_score": None}, {"target_score": 28}, {"target_comparator": "under"}):
        async with factory.system_session() as session:
            goal = await session.get(Goal, uuid.UUID(goal_id))
            assert goal is not None
            for name, value in broken.items():
                setattr(goal, name, value)
            with pytest.raises(IntegrityError):
                await session.commit()


# -- the plan's checks -----------------------------------------------------------------------


async def test_a_plan_with_gaps_lists_each_check_with_its_fix_and_the_fix_clears_it(
    client: httpx.AsyncClient,
    chart: PatientWithTeam,
    factory: Factory,
    care_manager: User,
    clock: FrozenClock,
) -> None:
    pid = chart.patient.id
    need = await need_of(client, pid)
    plan = await new_plan(client, pid)
    assert [(c["code"], c["fix"]) for c in plan["checks"]] == [
        ("need-without-goal", {"fix": "add-goal-for-need", "need_id": need})
    ]
    plan = await changed(client, "POST", pid, "/goals", 1, {**GOAL, "addresses": [need]})
    goal_id = plan["goals"][0]["id"]
    assert [(c["code"], c["goal_ids"]) for c in plan["checks"]] == [
        ("goal-without-activity", [goal_id])
    ]
    therapist = await factory.user(role="therapist", full_name="Theo Hart")
    member = await factory.member(chart.patient, therapist, role="therapist")
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    tail = f"/goals/{goal_id}/activities"
    plan = await changed(client, "POST", pid, tail, 2, activity(care_manager.id, due_on=yesterday))
    plan = await changed(client, "POST", pid, tail, 3, activity(therapist.id, title="Therapy"))
    plan = await changed(client, "POST", pid, tail, 4, activity(care_manager.id, title="Calls"))
    first, theirs, twice = (a["id"] for a in plan["goals"][0]["activities"])
    ended = await client.post(
        f"/api/v1/patients/{pid}/care-team/{member.id}/end",
        json={"version": 1, "reason": "Moved to another clinic"},
    )
    assert ended.status_code == 200, ended.text
    plan = await read(client, chart)
    assert [(c["code"], c["activity_ids"], c["fix"]) for c in plan["checks"]] == [
        (
            "responsible-left-team",
            [theirs],
            {"fix": "reassign-activity", "activity_id": theirs},
        ),
        ("activity-overdue", [first], {"fix": "complete-activity", "activity_id": first}),
        (
            "duplicate-activity",
            [first, twice],
            {"fix": "mark-duplicate-entered-in-error", "activity_id": twice, "duplicate_of": first},
        ),
    ]
    assert plan["goals"][0]["activities"][1]["responsible"]["on_team"] is False
    assert "Theo Hart's, who is no longer on the care team" in plan["checks"][0]["message"]
    plan = await changed(
        client, "POST", pid, f"/activities/{twice}/entered-in-error", 5, {"reason": "Twice"}
    )
    plan = await changed(client, "PATCH", pid, f"/activities/{first}", 6, {"status": "completed"})
    assert [c["code"] for c in plan["checks"]] == ["responsible-left-team"]


async def test_two_goals_whose_targets_no_score_meets_together_are_flagged(
    client: httpx.AsyncClient, chart: PatientWithTeam, care_manager: User
) -> None:
    pid = chart.patient.id
    await new_plan(client, pid)
    await changed(client, "POST", pid, "/goals", 1, {**GOAL, **PHQ9_BELOW_5})
    wrong = {**PHQ9_BELOW_5, "target_comparator": "above", "target_score": 14}
    plan = await changed(client, "POST", pid, "/goals", 2, {**GOAL, **wrong})
    low, high = (g["id"] for g in plan["goals"])
    [found] = [c for c in plan["checks"] if c["code"] == "contradicting-targets"]
    assert (found["goal_ids"], found["fix"]) == (
        [low, high],
        {"fix": "change-goal-target", "goal_id": high},
    )


async def test_what_a_change_answers_is_what_reading_the_plan_back_answers(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory, clock: FrozenClock
) -> None:
    pid = chart.patient.id
    await phq9(factory, chart, 18, days_ago=3)
    await need_of(client, pid)
    await new_plan(client, pid)
    answer = await changed(client, "POST", pid, "/goals", 1, {**GOAL, **PHQ9_BELOW_5})
    assert answer == await read(client, chart)
    assert answer["checks"] and answer["review"] is not None


def _day(day: Any) -> str:
    return f"{day.day} {day:%b} {day.year}"


async def test_a_page_that_read_the_chart_header_passes_it_and_the_enrolment_is_not_read_twice(
    client: httpx.AsyncClient,
    chart: PatientWithTeam,
    factory: Factory,
    care_manager: User,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    await factory.enrolment(chart.patient)
    await phq9(factory, chart, 15, days_ago=3)
    await new_plan(client, chart.patient.id)
    ctx = factory.context_for(care_manager)
    async with sessionmaker() as session:
        header = await chart_header(session, ctx, chart.patient.id)
        with statements(engine) as alone:
            plain = await careplans.get_plan(session, ctx, chart.patient.id)
        with statements(engine) as beside:
            shown = await careplans.get_plan(session, ctx, chart.patient.id, header=header)
    assert shown == plain
    assert len(beside) == len(alone) - 1

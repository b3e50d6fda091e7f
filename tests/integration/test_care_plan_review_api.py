"""Reviewing care plans through the API: the plan's next review date changed (If-Match,
versioned), a review recorded, a plan due for review and why (its date passed, the patient not
improving, a safety alert or a confirmed need since the last review), and my caseload's plans
due for review — through the caseload's care relationships, in a bounded number of statements
however big the caseload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.care_plan_support import changed, need_of, new_plan, plan_url, send
from tests.integration.test_statement_counts import statements

from tandem.audit.models import AuditEvent
from tandem.careplans.models import CarePlan
from tandem.clock import FrozenClock
from tandem.people.models import User

DUE = "/api/v1/care-plans/due-for-review"


@pytest.fixture
async def client(care_manager: User, client_for: Any) -> httpx.AsyncClient:
    made: httpx.AsyncClient = await client_for(care_manager)
    return made


def day(clock: FrozenClock, days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def review_of(client: httpx.AsyncClient, patient_id: Any) -> dict[str, Any]:
    response = await client.get(plan_url(patient_id))
    assert response.status_code == 200, response.text
    review: dict[str, Any] = response.json()["review"]
    return review


def codes(review: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in review["reasons"]]


async def test_the_next_review_date_is_changed_like_any_part_of_the_plan(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory, clock: FrozenClock
) -> None:
    pid = chart.patient.id
    await new_plan(client, pid)
    body = {"next_review_on": day(clock, 30), "reason": "Monthly review agreed"}
    async with factory.unchanged(chart.patient):
        assert (await send(client, "PATCH", pid, "", None, body)).status_code == 428
        stale = await send(client, "PATCH", pid, "", 7, body)
        assert (stale.status_code, stale.json()["detail"]["current_version"]) == (412, 1)
        past = await send(client, "PATCH", pid, "", 1, {"next_review_on": day(clock, -1)})
        assert (past.status_code, past.json()["detail"]["field"]) == (422, "next_review_on")
    plan = await changed(client, "PATCH", pid, "", 1, body)
    assert (plan["version"], plan["next_review_on"]) == (2, day(clock, 30))
    assert plan["review"] == {
        "due": False,
        "reasons": [],
        "next_review_on": day(clock, 30),
        "last_reviewed_at": None,
        "last_reviewed_by": None,
    }
    versions = (await client.get(plan_url(pid, "/versions"))).json()
    assert versions[-1]["reason"] == "Monthly review agreed"
    diff = (await client.get(plan_url(pid, "/versions/1/diff/2"))).json()
    assert diff["plan"] == {"next_review_on": {"before": None, "after": day(clock, 30)}}
    plan = await changed(client, "PATCH", pid, "", 2, {"next_review_on": None})
    assert plan["next_review_on"] is None


async def test_a_plan_whose_review_date_passed_is_due_until_a_review_is_recorded(
    client: httpx.AsyncClient,
    chart: PatientWithTeam,
    factory: Factory,
    clock: FrozenClock,
    care_manager: User,
) -> None:
    pid = chart.patient.id
    await new_plan(client, pid, next_review_on=day(clock, 14))
    clock.advance(days=14)
    assert (await review_of(client, pid))["due"] is False  # due today, not yet passed
    clock.advance(days=1)
    review = await review_of(client, pid)
    assert (review["due"], codes(review)) == (True, ["review-date-passed"])
    async with factory.unchanged(chart.patient):
        today = await send(client, "POST", pid, "/review", 1, {"next_review_on": day(clock, 0)})
        assert (today.status_code, today.json()["detail"]["field"]) == (422, "next_review_on")
        assert (await send(client, "POST", pid, "/review", 1, {})).status_code == 422
    plan = await changed(client, "POST", pid, "/review", 1, {"next_review_on": day(clock, 28)})
    assert plan["version"] == 2
    assert plan["last_reviewed_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert plan["review"]["due"] is False
    assert plan["review"]["last_reviewed_by"] == care_manager.full_name
    [*_, latest] = (await client.get(plan_url(pid, "/versions"))).json()
    assert (latest["version"], latest["reason"]) == (2, "Reviewed")


async def test_a_safety_alert_or_a_confirmed_need_since_the_last_review_makes_it_due(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory, clock: FrozenClock
) -> None:
    pid = chart.patient.id
    await factory.response(chart.patient, chart.lead, answers=phq9_answers(12, item9=1))
    await need_of(client, pid)
    await new_plan(client, pid)  # made after both: neither is new to it
    assert (await review_of(client, pid))["due"] is False
    clock.advance(days=2)
    await factory.response(chart.patient, chart.lead, answers=phq9_answers(14, item9=2))
    need = await need_of(client, pid)
    review = await review_of(client, pid)
    assert codes(review) == ["safety-alert", "new-need"]
    assert review["reasons"][0]["message"].endswith("since the plan was made.")
    assert review["reasons"][1]["need_ids"] == [need]
    clock.advance(hours=1)
    await changed(client, "POST", pid, "/review", 1, {"next_review_on": day(clock, 14)})
    assert (await review_of(client, pid))["due"] is False


async def test_a_patient_not_improving_on_a_score_since_the_last_review_makes_it_due(
    client: httpx.AsyncClient, chart: PatientWithTeam, factory: Factory, clock: FrozenClock
) -> None:
    pid = chart.patient.id
    await factory.enrolment(chart.patient, start_date=clock.today() - timedelta(weeks=12))
    for weeks, total in ((12, 18), (6, 17)):
        answered_on = clock.today() - timedelta(weeks=weeks)
        await factory.response(
            chart.patient, chart.lead, answers=phq9_answers(total), answered_on=answered_on
        )
    await new_plan(client, pid)
    assert (await review_of(client, pid))["due"] is False  # the plan was made after that score
    clock.advance(days=1)
    await factory.response(chart.patient, chart.lead, answers=phq9_answers(16))
    review = await review_of(client, pid)
    assert codes(review) == ["not-improving"]
    assert review["reasons"][0]["measure"] == "phq-9"
    assert review["reasons"][0]["message"].startswith("PHQ-9 is not improving: 16 on ")


# -- my caseload's plans due for review ------------------------------------------------------


async def due_patient(factory: Factory, lead: User, name: str, *, alert: bool = False) -> Any:
    """A patient of ``lead``'s whose plan's review date passed yesterday (and an alert)."""
    chart = await factory.patient(lead=lead, family_name=name)
    await factory.care_plan(chart.patient, lead)
    if alert:
        assert isinstance(factory.clock, FrozenClock)
        factory.clock.advance(minutes=1)  # raised after the plan was made
        await factory.response(chart.patient, lead, answers=phq9_answers(12, item9=1))
    async with factory.system_session() as session:
        plan = (
            await session.execute(select(CarePlan).where(CarePlan.patient_id == chart.patient.id))
        ).scalar_one()
        plan.next_review_on = factory.clock.today() - timedelta(days=1)
        await session.commit()
    return chart


async def test_my_caseload_lists_only_my_patients_whose_plans_are_due_alerts_first(
    client: httpx.AsyncClient,
    factory: Factory,
    care_manager: User,
    outsider: User,
    client_for: Any,
) -> None:
    later = await due_patient(factory, care_manager, "Abbott")
    first = await due_patient(factory, care_manager, "Zimmer", alert=True)
    calm = await factory.patient(lead=care_manager, family_name="Calm")
    await factory.care_plan(calm.patient, care_manager)
    theirs = await due_patient(factory, outsider, "Hidden")
    response = await client.get(DUE)
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [item["patient_id"] for item in listed] == [
        str(first.patient.id),
        str(later.patient.id),
    ]
    assert [r["code"] for r in listed[0]["reasons"]] == ["review-date-passed", "safety-alert"]
    assert listed[1]["display_name"] == "Abbott, Maria"
    assert "Hidden" not in response.text and str(theirs.patient.id) not in response.text
    partner = await factory.user(role="community_partner")
    await factory.member(first.patient, partner, role="community_partner")
    assert (await (await client_for(partner)).get(DUE)).json() == []
    admin = await factory.user(role="administrator")
    assert (await (await client_for(admin)).get(DUE)).json() == []


async def test_the_list_is_audited_once_and_on_each_listed_patients_own_log(
    client: httpx.AsyncClient, factory: Factory, care_manager: User
) -> None:
    due = await due_patient(factory, care_manager, "Audited")
    assert (await client.get(DUE)).status_code == 200
    async with factory.system_session() as session:
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.user_id == care_manager.id)))
            .scalars()
            .all()
        )
    query = [e for e in events if e.record_type == "CarePlansDueForReview"]
    reads = [
        e
        for e in events
        if (e.record_type, e.action, e.patient_id) == ("CarePlan", "R", due.patient.id)
    ]
    assert len(query) == 1 and str(due.patient.id) in (query[0].detail or "")
    assert ["review-date-passed" in (e.detail or "") for e in reads] == [True]


async def test_the_list_takes_the_same_statements_for_two_patients_as_for_six(
    client: httpx.AsyncClient, factory: Factory, care_manager: User, engine: AsyncEngine
) -> None:
    for n in range(2):
        await due_patient(factory, care_manager, f"Few{n}", alert=True)
    await client.get(DUE)  # warm the caches
    with statements(engine) as few:
        assert len((await client.get(DUE)).json()) == 2
    for n in range(4):
        chart = await due_patient(factory, care_manager, f"More{n}", alert=True)
        await factory.enrolment(chart.patient)
        await need_of(client, chart.patient.id)
    with statements(engine) as more:
        assert len((await client.get(DUE)).json()) == 6
    # Sign-in; the plans; their scores, confirmed needs, latest alerts and enrolments; the audit:
    # the list's query event, and the read of each plan listed on that patient's log.
    assert len(few) == len(more) == 8

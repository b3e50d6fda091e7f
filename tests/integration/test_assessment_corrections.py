"""Corrections: a response amended with a reason, or marked entered in error, has its score,
observations, safety alerts and candidate needs recomputed; its history stays; nothing is
deleted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import (
    YES,
    administer,
    alerts,
    days_ago,
    detail,
    get_json,
    named_fields,
    needs,
    patient_url,
    stored,
    trajectory,
)

from tandem.assessments.models import Need, Observation, Response, Revision, SafetyAlert
from tandem.clock import FrozenClock
from tandem.notify.models import Notification
from tandem.people.models import User

REASON = "Item 4 was read from the wrong row of the paper form"


async def amend(
    client: httpx.AsyncClient, response: dict[str, Any], answers: dict[str, Any], **body: Any
) -> httpx.Response:
    url = patient_url(response["patient_id"], f"/responses/{response['id']}/amend")
    payload = {"version": response["version"], "answers": answers, "reason": REASON, **body}
    return await client.post(url, json={k: v for k, v in payload.items() if v is not None})


async def withdraw(
    client: httpx.AsyncClient, response: dict[str, Any], **body: Any
) -> httpx.Response:
    url = patient_url(response["patient_id"], f"/responses/{response['id']}/entered-in-error")
    payload = {"version": response["version"], "reason": "Recorded on the wrong patient", **body}
    return await client.post(url, json={k: v for k, v in payload.items() if v is not None})


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- amending ---------------------------------------------------------------------------------


async def test_amending_a_phq9_recomputes_its_score_band_and_observation(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    answered = days_ago(clock, 7)
    first = await administer(client, chart.patient.id, phq9_answers(12), answered_on=answered)
    before = await factory.last_audit_id()
    body = ok(await amend(client, first, phq9_answers(16), answered_on=answered.isoformat()))
    assert (body["total_score"], body["band"], body["status"]) == (
        16,
        "moderately_severe",
        "amended",
    )
    assert (body["status_reason"], body["version"], body["answered_on"]) == (
        REASON,
        2,
        answered.isoformat(),
    )
    [observation] = await stored(factory, Observation, chart.patient.id)
    assert (observation.value_integer, observation.value_code, observation.status) == (
        16,
        "moderately_severe",
        "amended",
    )
    [event] = [e for e in await factory.audit_events(after=before) if e.action == "U"]
    assert (event.record_type, event.record_id) == ("QuestionnaireResponse", first["id"])
    assert event.detail is not None and '"score": [12, 16]' in event.detail
    [point] = (await trajectory(client, chart.patient.id))["points"]
    assert (point["score"], point["status"]) == (16, "amended")


async def test_the_revision_history_shows_what_the_response_said_before(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12))
    second = ok(await amend(client, first, phq9_answers(14)))
    clock.advance(minutes=10)
    ok(await amend(client, second, phq9_answers(15), reason="Item 5 was also misread"))
    body = await get_json(client, patient_url(chart.patient.id, f"/responses/{first['id']}"))
    assert body["version"] == 3
    history = [(r["version"], r["change"], r["reason"]) for r in body["revisions"]]
    assert history == [
        (2, "amended", "Item 5 was also misread"),
        (1, "amended", REASON),
    ]
    oldest = body["revisions"][-1]
    assert oldest["changed_by"] == care_manager.full_name
    assert (oldest["snapshot"]["total_score"], oldest["snapshot"]["band"]) == (12, "moderate")
    assert oldest["snapshot"]["answers"] == phq9_answers(12)
    assert oldest["snapshot"]["status"] == "completed"


async def test_an_amendment_without_a_date_keeps_the_date_the_response_was_answered(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    answered = days_ago(clock, 42)
    first = await administer(client, chart.patient.id, phq9_answers(12), answered_on=answered)
    body = ok(await amend(client, first, phq9_answers(13)))
    assert body["answered_on"] == answered.isoformat()
    [point] = (await trajectory(client, chart.patient.id))["points"]
    assert point["on"] == answered.isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": None}, "reason"),
        ({"reason": "  x "}, "reason"),
        ({"answers": {k: v for k, v in phq9_answers(12).items() if k != "9"}}, "answers.9"),
        ({"answers": phq9_answers(12) | {"9": None}}, "answers.9"),
        ({"answers": phq9_answers(12) | {"3": "LA0000-0"}}, "answers.3"),
        ({"answered_on": "2026-03-11"}, "answered_on"),
        ({"version": 0}, "version"),
    ],
    ids=[
        "no-reason",
        "short-reason",
        "item-missing",
        "item-null",
        "unknown-code",
        "future",
        "version-0",
    ],
)
async def test_a_refused_amendment_is_422_naming_the_field_and_changes_nothing(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    change: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12))
    before = await factory.last_audit_id()
    payload = {"version": 1, "answers": phq9_answers(20), "reason": REASON, **change}
    url = patient_url(chart.patient.id, f"/responses/{first['id']}/amend")
    response = await client.post(url, json={k: v for k, v in payload.items() if v is not None})
    assert response.status_code == 422, response.text
    assert field in named_fields(response), response.text
    [row] = await stored(factory, Response, chart.patient.id)
    assert (row.total_score, row.status, row.version) == (12, "completed", 1)
    assert await stored(factory, Revision, chart.patient.id) == []
    assert [e for e in await factory.audit_events(after=before) if e.action == "U"] == []


async def test_amending_a_stale_copy_is_409(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12))
    ok(await amend(client, first, phq9_answers(14)))
    stale = await amend(client, first, phq9_answers(3))
    assert stale.status_code == 409
    assert (detail(stale)["field"], detail(stale)["current_version"]) == ("version", 2)
    [row] = await stored(factory, Response, chart.patient.id)
    assert row.total_score == 14


# -- amendments and safety alerts -------------------------------------------------------------


async def test_amending_item9_to_zero_withdraws_the_active_alert(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12, item9=1))
    body = ok(await amend(client, first, phq9_answers(11), reason="Item 9 was ticked by mistake"))
    assert (body["flags"], body["alerts_raised"]) == ([], [])
    assert await alerts(client, chart.patient.id, active=True) == []
    [withdrawn] = await alerts(client, chart.patient.id)
    assert withdrawn["id"] == first["alerts_raised"][0]
    assert withdrawn["status"] == "entered-in-error"
    assert "Item 9 was ticked by mistake" in withdrawn["action_taken"]
    assert withdrawn["resolved_by"] == care_manager.full_name


async def test_amending_item9_above_zero_raises_an_alert_and_tells_the_lead(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    pcp = await factory.user(role="primary_care_provider")
    await factory.member(chart.patient, pcp)
    client = await client_for(pcp)
    first = await administer(client, chart.patient.id, phq9_answers(10))
    assert first["alerts_raised"] == []
    body = ok(await amend(client, first, phq9_answers(11, item9=1)))
    [alert] = await alerts(client, chart.patient.id, active=True)
    assert body["alerts_raised"] == [alert["id"]]
    assert (alert["code"], alert["response_id"]) == ("phq9-item9", first["id"])
    notes = await get_json(await client_for(care_manager), "/api/v1/notifications")
    assert [(n["kind"], n["priority"]) for n in notes] == [("safety_alert", "urgent")]


async def test_an_amendment_that_keeps_item9_keeps_the_same_alert_without_a_second_notice(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12, item9=1))
    body = ok(await amend(client, first, phq9_answers(15, item9=2)))
    assert body["alerts_raised"] == []
    [alert] = await alerts(client, chart.patient.id)
    assert (alert["id"], alert["status"]) == (first["alerts_raised"][0], "active")
    assert len(await stored(factory, Notification, chart.patient.id)) == 1


async def test_an_amendment_does_not_raise_again_an_alert_the_team_already_resolved(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12, item9=1))
    [alert] = await alerts(client, chart.patient.id)
    url = patient_url(chart.patient.id, f"/safety-alerts/{alert['id']}/resolve")
    action = "Called the patient the same day; safety plan reviewed; no plan or intent."
    ok(await client.post(url, json={"version": 1, "action_taken": action}))
    body = ok(await amend(client, first, phq9_answers(13, item9=1)))
    assert body["alerts_raised"] == []
    [kept] = await alerts(client, chart.patient.id)
    assert (kept["status"], kept["action_taken"]) == ("resolved", action)
    assert len(await stored(factory, Notification, chart.patient.id)) == 1


# -- amendments and candidate needs -----------------------------------------------------------


async def test_amending_a_social_needs_screen_withdraws_and_raises_candidate_needs(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    screen = await administer(client, pid, SOCIAL_NEEDS_POSITIVE, instrument="social-needs")
    corrected = SOCIAL_NEEDS_POSITIVE | {"living": "LA31993-1", "transport": YES}
    body = ok(await amend(client, screen, corrected, reason="Living situation misheard"))
    by_domain = {n["domain"]: n for n in await needs(client, pid)}
    assert {d: n["status"] for d, n in by_domain.items()} == {
        "housing-instability": "entered-in-error",
        "food-insecurity": "identified",
        "transportation-insecurity": "identified",
    }
    assert body["needs_identified"] == [by_domain["transportation-insecurity"]["id"]]
    housing = by_domain["housing-instability"]
    assert housing["evidence"] == []
    assert "Living situation misheard" in housing["status_reason"]
    assert [h["to_status"] for h in housing["history"]] == ["identified", "entered-in-error"]
    assert [e["response_id"] for e in by_domain["food-insecurity"]["evidence"]] == [screen["id"]]


# -- entered in error -------------------------------------------------------------------------


async def test_a_response_entered_in_error_leaves_the_trajectory_and_withdraws_its_alerts(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    kept = await administer(client, pid, phq9_answers(18), answered_on=days_ago(clock, 21))
    wrong = await administer(client, pid, phq9_answers(6, item9=1))
    before = await factory.last_audit_id()
    body = ok(await withdraw(client, wrong))
    assert (body["status"], body["status_reason"], body["version"]) == (
        "entered-in-error",
        "Recorded on the wrong patient",
        2,
    )
    assert [p["response_id"] for p in (await trajectory(client, pid))["points"]] == [kept["id"]]
    assert await alerts(client, pid, active=True) == []
    [alert] = await alerts(client, pid)
    assert alert["status"] == "entered-in-error"
    updates = {(e.record_type, e.record_id) for e in await factory.audit_events(after=before)}
    assert ("QuestionnaireResponse", wrong["id"]) in updates
    assert ("SafetyAlert", alert["id"]) in updates
    assert [r["version"] for r in body["revisions"]] == [1]
    assert body["revisions"][0]["snapshot"]["total_score"] == 6
    listed = await get_json(client, patient_url(pid, "/responses"))
    assert [(r["id"], r["status"]) for r in listed] == [
        (wrong["id"], "entered-in-error"),
        (kept["id"], "completed"),
    ]


async def test_nothing_is_deleted_when_a_response_is_entered_in_error(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    wrong = await administer(client, pid, phq9_answers(6, item9=1))
    ok(await withdraw(client, wrong))
    [row] = await stored(factory, Response, pid)
    assert (row.status, row.total_score, row.answers) == (
        "entered-in-error",
        6,
        phq9_answers(6, item9=1),
    )
    [observation] = await stored(factory, Observation, pid)
    assert (observation.status, observation.value_integer) == ("entered-in-error", 6)
    [alert] = await stored(factory, SafetyAlert, pid)
    assert alert.status == "entered-in-error"
    [revision] = await stored(factory, Revision, pid)
    assert (revision.record_id, revision.change) == (row.id, "entered-in-error")


async def test_entered_in_error_withdraws_unconfirmed_candidate_needs_but_not_confirmed_ones(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    screen = await administer(client, pid, SOCIAL_NEEDS_POSITIVE, instrument="social-needs")
    food = next(n for n in await needs(client, pid) if n["domain"] == "food-insecurity")
    ok(
        await client.post(
            patient_url(pid, f"/needs/{food['id']}/status"),
            json={"version": food["version"], "status": "confirmed"},
        )
    )
    ok(await withdraw(client, screen))
    statuses = {n["domain"]: n["status"] for n in await needs(client, pid)}
    assert statuses == {"housing-instability": "entered-in-error", "food-insecurity": "confirmed"}
    assert len(await stored(factory, Need, pid)) == 2


async def test_a_response_cannot_be_entered_in_error_twice_or_amended_afterwards(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    wrong = await administer(client, chart.patient.id, phq9_answers(6))
    body = ok(await withdraw(client, wrong))
    again = await withdraw(client, body)
    assert (again.status_code, detail(again)["field"]) == (422, "status")
    amended = await amend(client, body, phq9_answers(8))
    assert (amended.status_code, detail(amended)["field"]) == (422, "status")


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"reason": None}, 422, "reason"),
        ({"reason": "no"}, 422, "reason"),
        ({"version": 2}, 409, "version"),
    ],
    ids=["no-reason", "short-reason", "stale"],
)
async def test_a_refused_entered_in_error_changes_nothing(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    client = await client_for(care_manager)
    wrong = await administer(client, chart.patient.id, phq9_answers(6, item9=1))
    response = await withdraw(client, wrong, **change)
    assert response.status_code == status, response.text
    assert field in named_fields(response)
    [row] = await stored(factory, Response, chart.patient.id)
    assert (row.status, row.version) == ("completed", 1)
    assert [a["status"] for a in await alerts(client, chart.patient.id)] == ["active"]


async def test_an_amended_screen_that_stays_positive_updates_its_evidence(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    screen = await administer(client, pid, SOCIAL_NEEDS_POSITIVE, instrument="social-needs")
    corrected = SOCIAL_NEEDS_POSITIVE | {"living": "LA31993-1", "housing-problems": ["LA28580-1"]}
    answered = days_ago(clock, 2)
    ok(await amend(client, screen, corrected, answered_on=answered.isoformat()))
    [housing] = [n for n in await needs(client, pid) if n["domain"] == "housing-instability"]
    assert housing["status"] == "identified"
    assert housing["evidence"] == [
        {
            "response_id": screen["id"],
            "instrument": "social-needs",
            "answered_on": answered.isoformat(),
            "items": ["housing-problems"],
        }
    ]


async def test_a_candidate_need_backed_by_another_screen_stays_when_one_is_withdrawn(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    older = await administer(
        client,
        pid,
        SOCIAL_NEEDS_POSITIVE,
        instrument="social-needs",
        answered_on=days_ago(clock, 30),
    )
    newer = await administer(client, pid, SOCIAL_NEEDS_POSITIVE, instrument="social-needs")
    ok(await withdraw(client, newer))
    for need in await needs(client, pid):
        assert need["status"] == "identified"
        assert [e["response_id"] for e in need["evidence"]] == [older["id"]]


async def test_an_alert_withdrawn_by_a_correction_cannot_be_resolved(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12, item9=1))
    ok(await amend(client, first, phq9_answers(11)))
    [alert] = await alerts(client, chart.patient.id)
    url = patient_url(chart.patient.id, f"/safety-alerts/{alert['id']}/resolve")
    body = {"version": alert["version"], "action_taken": "Called her anyway to check in."}
    refused = await client.post(url, json=body)
    assert (refused.status_code, detail(refused)["field"]) == (422, "status")


async def test_correcting_a_screen_does_not_raise_again_a_need_the_team_dismissed(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    screen = await administer(client, pid, SOCIAL_NEEDS_POSITIVE, instrument="social-needs")
    [housing] = [n for n in await needs(client, pid) if n["domain"] == "housing-instability"]
    url = patient_url(pid, f"/needs/{housing['id']}/status")
    reason = "Her lease was renewed for two years"
    dismissed = await client.post(url, json={"version": 1, "status": "dismissed", "reason": reason})
    assert dismissed.status_code == 200, dismissed.text
    body = ok(await amend(client, screen, SOCIAL_NEEDS_POSITIVE | {"food-last": "LA28398-8"}))
    assert body["needs_identified"] == []
    housing_needs = [n for n in await needs(client, pid) if n["domain"] == "housing-instability"]
    assert [(n["id"], n["status"]) for n in housing_needs] == [(housing["id"], "dismissed")]

"""Corrections: a response amended with a reason, or marked entered in error, has its score,
observations and safety alerts recomputed; its history stays; nothing is deleted."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import (
    AMEND_REASON,
    REFUSED_CORRECTION_IDS,
    REFUSED_CORRECTIONS,
    administer,
    alerts,
    amend,
    days_ago,
    detail,
    get_json,
    named_fields,
    ok,
    patient_url,
    stored,
    trajectory,
    withdraw,
)
from tests.snapshots import assert_unchanged

from tandem.assessments.models import Observation, Response, Revision, SafetyAlert
from tandem.clock import FrozenClock
from tandem.notify.models import Notification
from tandem.people.models import User

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
        AMEND_REASON,
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
        (1, "amended", AMEND_REASON),
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
    record = await factory.patient_record(chart.patient)
    payload = {"version": 1, "answers": phq9_answers(20), "reason": AMEND_REASON, **change}
    url = patient_url(chart.patient.id, f"/responses/{first['id']}/amend")
    response = await client.post(url, json={k: v for k, v in payload.items() if v is not None})
    assert response.status_code == 422, response.text
    assert field in named_fields(response), response.text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    [row] = await stored(factory, Response, chart.patient.id)
    assert (row.total_score, row.status, row.version) == (12, "completed", 1)
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
    done = {"version": 1, "actions": ["safety-plan-reviewed"], "action_taken": action}
    ok(await client.post(url, json=done))
    body = ok(await amend(client, first, phq9_answers(13, item9=1)))
    assert body["alerts_raised"] == []
    [kept] = await alerts(client, chart.patient.id)
    assert (kept["status"], kept["action_taken"]) == ("resolved", action)
    assert len(await stored(factory, Notification, chart.patient.id)) == 1


async def test_an_alert_withdrawn_by_a_correction_cannot_be_resolved(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(12, item9=1))
    ok(await amend(client, first, phq9_answers(11)))
    [alert] = await alerts(client, chart.patient.id)
    url = patient_url(chart.patient.id, f"/safety-alerts/{alert['id']}/resolve")
    body = {
        "version": alert["version"],
        "actions": ["other"],
        "action_taken": "Called her anyway to check in.",
    }
    record = await factory.patient_record(chart.patient)
    refused = await client.post(url, json=body)
    assert (refused.status_code, detail(refused)["field"]) == (422, "status")
    assert_unchanged(record, await factory.patient_record(chart.patient))


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


async def test_a_response_cannot_be_entered_in_error_twice_or_amended_afterwards(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    wrong = await administer(client, chart.patient.id, phq9_answers(6))
    body = ok(await withdraw(client, wrong))
    record = await factory.patient_record(chart.patient)
    again = await withdraw(client, body)
    assert (again.status_code, detail(again)["field"]) == (422, "status")
    amended = await amend(client, body, phq9_answers(8))
    assert (amended.status_code, detail(amended)["field"]) == (422, "status")
    assert_unchanged(record, await factory.patient_record(chart.patient))


@pytest.mark.parametrize(
    ("change", "status", "field"), REFUSED_CORRECTIONS, ids=REFUSED_CORRECTION_IDS
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
    record = await factory.patient_record(chart.patient)
    response = await withdraw(client, wrong, **change)
    assert response.status_code == status, response.text
    assert field in named_fields(response)
    assert_unchanged(record, await factory.patient_record(chart.patient))
    [row] = await stored(factory, Response, chart.patient.id)
    assert (row.status, row.version) == ("completed", 1)
    assert [a["status"] for a in await alerts(client, chart.patient.id)] == ["active"]

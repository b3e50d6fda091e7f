"""Safety alerts: PHQ-9 item 9 above 0 or a moderate or high suicide-risk triage raises one at
once, tells the lead care manager, and stays until a team member records what was done."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import (
    administer,
    alerts,
    detail,
    get_json,
    named_fields,
    patient_url,
    stored,
    suicide_risk,
)
from tests.snapshots import assert_unchanged

from tandem.assessments.models import SafetyAlert
from tandem.careteams.models import CareTeamMember
from tandem.clock import FrozenClock
from tandem.people.models import User

ACTION = "Called the patient the same day; no plan or intent; safety plan reviewed with her."


DONE = ["safety-plan-reviewed", "same-day-clinician-contact"]


async def resolve(client: Any, alert: dict[str, Any], **body: Any) -> Any:
    """Close ``alert``: what was done is DONE unless ``body`` says (``actions=None``: nothing)."""
    url = patient_url(alert["patient_id"], f"/safety-alerts/{alert['id']}/resolve")
    sent = {"version": alert["version"], "actions": DONE, **body}
    return await client.post(url, json={k: v for k, v in sent.items() if v is not None})


async def notifications(client: Any) -> list[dict[str, Any]]:
    return list(await get_json(client, "/api/v1/notifications"))


@pytest.mark.parametrize("item9", [1, 2, 3])
async def test_phq9_item9_above_zero_raises_an_active_safety_alert(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
    item9: int,
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    body = await administer(client, chart.patient.id, phq9_answers(8, item9=item9))
    assert body["flags"] == ["phq9-item9"]
    [alert] = await alerts(client, chart.patient.id, active=True)
    assert body["alerts_raised"] == [alert["id"]]
    assert (alert["code"], alert["status"], alert["response_id"]) == (
        "phq9-item9",
        "active",
        body["id"],
    )
    assert alert["message"].startswith("PHQ-9 item 9 answered above 0")
    assert alert["raised_at"].startswith(clock.now().strftime("%Y-%m-%dT%H:%M:%S"))
    assert (alert["action_taken"], alert["resolved_at"]) == (None, None)
    created = [
        (e.action, e.record_type, e.record_id)
        for e in await factory.audit_events(after=before)
        if e.action == "C"
    ]
    assert created == [
        ("C", "QuestionnaireResponse", body["id"]),
        ("C", "SafetyAlert", alert["id"]),
    ]


async def test_phq9_item9_at_zero_raises_no_alert_however_high_the_total(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    body = await administer(client, chart.patient.id, phq9_answers(24))
    assert (body["band"], body["flags"], body["alerts_raised"]) == ("severe", [], [])
    assert await alerts(client, chart.patient.id) == []
    assert await notifications(client) == []


async def test_the_lead_care_manager_is_told_urgently_and_no_one_else(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    outsider: User,
    client_for: Any,
) -> None:
    pcp = await factory.user(role="primary_care_provider")
    await factory.member(chart.patient, pcp)
    await factory.patient(lead=outsider)
    body = await administer(await client_for(pcp), chart.patient.id, phq9_answers(14, item9=2))
    [note] = await notifications(await client_for(care_manager))
    assert (note["kind"], note["priority"], note["patient_id"]) == (
        "safety_alert",
        "urgent",
        str(chart.patient.id),
    )
    assert note["message"].startswith("Safety alert for Núñez, José: PHQ-9 item 9")
    assert note["link"] == f"/patients/{chart.patient.id}/safety"
    assert note["read_at"] is None
    assert body["alerts_raised"]
    assert await notifications(await client_for(pcp)) == []
    assert await notifications(await client_for(outsider)) == []


async def test_without_a_lead_every_staff_member_of_the_team_is_told(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    therapist = await factory.user(role="therapist")
    pcp = await factory.user(role="primary_care_provider")
    await factory.member(chart.patient, therapist, role="therapist")
    await factory.member(chart.patient, pcp)
    async with factory.system_session() as session:
        # The lead left without a hand-over (the API would not allow it; old data might).
        await session.execute(
            update(CareTeamMember)
            .where(CareTeamMember.id == chart.lead_membership.id)
            .values(status="inactive")
        )
        await session.commit()
    await administer(await client_for(therapist), chart.patient.id, phq9_answers(9, item9=1))
    for user in (therapist, pcp):
        [note] = await notifications(await client_for(user))
        assert note["priority"] == "urgent"


async def test_the_lead_marks_the_notification_read_and_others_cannot(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    pcp = await factory.user(role="primary_care_provider")
    await factory.member(chart.patient, pcp)
    lead = await client_for(care_manager)
    await administer(lead, chart.patient.id, phq9_answers(9, item9=1))
    [note] = await notifications(lead)
    url = f"/api/v1/notifications/{note['id']}/read"
    record = await factory.patient_record(chart.patient)
    assert (await (await client_for(pcp)).post(url)).status_code == 404
    assert_unchanged(record, await factory.patient_record(chart.patient))
    marked = await lead.post(url)
    assert marked.status_code == 200, marked.text
    assert marked.json()["read_at"] is not None
    [again] = await notifications(lead)
    assert again["read_at"] == marked.json()["read_at"]


@pytest.mark.parametrize(
    ("answers", "raised"),
    [
        (suicide_risk(q1=True, q4=True), True),
        (suicide_risk(q5=True), True),
        (suicide_risk(q6="behaviour-past-3-months"), True),
        (suicide_risk(q3=True), True),
        (suicide_risk(q6="behaviour-over-3-months"), True),
        (suicide_risk(q1=True, q2=True), False),
        (suicide_risk(), False),
    ],
    ids=[
        "high-intent",
        "high-plan",
        "high-behaviour",
        "moderate-method",
        "moderate-old",
        "low",
        "none",
    ],
)
async def test_a_moderate_or_high_suicide_risk_triage_raises_an_alert_and_low_does_not(
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    answers: dict[str, str],
    raised: bool,
) -> None:
    client = await client_for(care_manager)
    body = await administer(client, chart.patient.id, answers, instrument="suicide-risk")
    active = await alerts(client, chart.patient.id, active=True)
    assert [a["code"] for a in active] == (["cssrs-moderate-high"] if raised else [])
    assert body["alerts_raised"] == [a["id"] for a in active]
    notes = await notifications(client)
    assert [n["kind"] for n in notes] == (["safety_alert"] if raised else [])


# -- resolving --------------------------------------------------------------------------------


async def raise_one(client: Any, chart: PatientWithTeam) -> dict[str, Any]:
    await administer(client, chart.patient.id, phq9_answers(16, item9=1))
    [alert] = await alerts(client, chart.patient.id, active=True)
    return dict(alert)


async def test_resolving_records_what_was_done_and_the_alert_leaves_the_active_list(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    clock.advance(hours=2)
    before = await factory.last_audit_id()
    response = await resolve(client, alert, action_taken=f"  {ACTION}  ")
    assert response.status_code == 200, response.text
    resolved = response.json()
    assert (resolved["status"], resolved["action_taken"], resolved["version"]) == (
        "resolved",
        ACTION,
        2,
    )
    assert resolved["actions"] == DONE
    assert resolved["resolved_by"] == care_manager.full_name
    assert resolved["resolved_at"].startswith("2026-03-10T16:30")
    [event] = [e for e in await factory.audit_events(after=before) if e.action == "U"]
    assert (event.record_type, event.record_id) == ("SafetyAlert", alert["id"])
    assert event.detail is not None and '"status": "resolved"' in event.detail
    assert await alerts(client, chart.patient.id, active=True) == []
    [kept] = await alerts(client, chart.patient.id)
    assert (kept["id"], kept["status"], kept["action_taken"]) == (alert["id"], "resolved", ACTION)


async def test_a_new_alert_is_listed_before_a_resolved_one(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    first = await raise_one(client, chart)
    assert (await resolve(client, first, action_taken=ACTION)).status_code == 200
    clock.advance(days=1)
    await administer(client, chart.patient.id, suicide_risk(q3=True), instrument="suicide-risk")
    listed = await alerts(client, chart.patient.id)
    assert [(a["code"], a["status"]) for a in listed] == [
        ("cssrs-moderate-high", "active"),
        ("phq9-item9", "resolved"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"actions": None}, "actions"),
        ({"actions": []}, "actions"),
        ({"actions": ["phoned-her"]}, "actions"),
        ({"actions": "crisis-line-given"}, "actions"),
        ({"actions": ["other"]}, "action_taken"),
        ({"actions": ["crisis-line-given", "other"], "action_taken": "   "}, "action_taken"),
        ({"actions": ["other"], "action_taken": "x" * 4001}, "action_taken"),
    ],
    ids=[
        "no-actions",
        "empty-list",
        "unknown-action",
        "not-a-list",
        "other-without-words",
        "other-with-blank-words",
        "words-too-long",
    ],
)
async def test_closing_without_saying_what_was_done_is_422_naming_the_field(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    body: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    before = await factory.last_audit_id()
    record = await factory.patient_record(chart.patient)
    response = await resolve(client, alert, **body)
    assert response.status_code == 422, response.text
    assert field in named_fields(response)
    assert_unchanged(record, await factory.patient_record(chart.patient))
    [still] = await stored(factory, SafetyAlert, chart.patient.id)
    assert (still.status, still.actions, still.action_taken, still.version) == (
        "active",
        None,
        None,
        1,
    )
    assert [e for e in await factory.audit_events(after=before) if e.action != "R"] == []


@pytest.mark.parametrize(
    ("body", "actions", "words"),
    [
        ({"actions": ["crisis-line-given"]}, ["crisis-line-given"], None),
        (
            {"actions": ["other", "crisis-line-given", "other"], "action_taken": " Sat with her "},
            ["crisis-line-given", "other"],
            "Sat with her",
        ),
        (
            {"actions": ["emergency-services"], "action_taken": ""},
            ["emergency-services"],
            None,
        ),
    ],
    ids=["one-action-no-words", "each-once-in-list-order", "blank-words-kept-as-none"],
)
async def test_closing_records_each_action_once_in_the_lists_order_and_the_words_trimmed(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    body: dict[str, Any],
    actions: list[str],
    words: str | None,
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    before = await factory.last_audit_id()
    response = await resolve(client, alert, **body)
    assert response.status_code == 200, response.text
    assert (response.json()["actions"], response.json()["action_taken"]) == (actions, words)
    [kept] = await stored(factory, SafetyAlert, chart.patient.id)
    assert (kept.status, kept.actions, kept.action_taken) == ("resolved", actions, words)
    [event] = [e for e in await factory.audit_events(after=before) if e.action == "U"]
    assert event.detail is not None and all(f'"{a}"' in event.detail for a in actions)


async def test_an_alert_closed_before_actions_were_asked_keeps_its_words(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    async with factory.system_session() as session:
        await session.execute(
            update(SafetyAlert)
            .where(SafetyAlert.id == uuid.UUID(alert["id"]))
            .values(status="resolved", action_taken=ACTION, actions=None, version=2)
        )
        await session.commit()
    [shown] = await alerts(client, chart.patient.id)
    assert (shown["status"], shown["actions"], shown["action_taken"]) == ("resolved", [], ACTION)


async def test_resolving_a_stale_copy_is_409_and_changes_nothing(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    record = await factory.patient_record(chart.patient)
    response = await resolve(client, {**alert, "version": 7}, action_taken=ACTION)
    assert response.status_code == 409
    assert_unchanged(record, await factory.patient_record(chart.patient))
    assert (detail(response)["field"], detail(response)["current_version"]) == ("version", 1)
    assert [a["status"] for a in await alerts(client, chart.patient.id)] == ["active"]


async def test_an_alert_cannot_be_resolved_twice(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    first = await resolve(client, alert, action_taken=ACTION)
    assert first.status_code == 200
    record = await factory.patient_record(chart.patient)
    again = await resolve(client, first.json(), action_taken="Spoke with her again at length.")
    assert again.status_code == 422
    assert detail(again)["field"] == "status"
    stale = await resolve(client, alert, action_taken="Spoke with her again at length.")
    assert stale.status_code == 409
    [kept] = await stored(factory, SafetyAlert, chart.patient.id)
    assert (kept.action_taken, kept.version) == (ACTION, 2)
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_an_alert_of_another_patient_cannot_be_resolved_through_this_one(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    other = await factory.patient(lead=care_manager)
    client = await client_for(care_manager)
    theirs = await raise_one(client, other)
    url = patient_url(chart.patient.id, f"/safety-alerts/{theirs['id']}/resolve")
    records = [await factory.patient_record(p) for p in (chart.patient, other.patient)]
    response = await client.post(url, json={"version": 1, "action_taken": ACTION})
    assert response.status_code == 404
    [kept] = await stored(factory, SafetyAlert, other.patient.id)
    assert kept.status == "active"
    for record, patient in zip(records, (chart.patient, other.patient), strict=True):
        assert_unchanged(record, await factory.patient_record(patient))


async def test_a_response_shows_the_alerts_it_raised_even_once_resolved(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    assert (await resolve(client, alert, action_taken=ACTION)).status_code == 200
    url = patient_url(chart.patient.id, f"/responses/{alert['response_id']}")
    shown = (await get_json(client, url))["safety_alerts"]
    assert [(a["id"], a["status"], a["action_taken"]) for a in shown] == [
        (alert["id"], "resolved", ACTION)
    ]


async def test_a_notification_shows_whether_its_alert_is_still_open(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    browser_for: Any,
) -> None:
    client = await client_for(care_manager)
    alert = await raise_one(client, chart)
    [note] = await notifications(client)
    assert (note["safety_alert_id"], note["alert_status"]) == (alert["id"], "active")
    browser = await browser_for(care_manager)
    page = await browser.client.get("/notifications")
    assert "Alert still open" in page.text and "Urgent" in page.text
    assert (await resolve(client, alert, action_taken=ACTION)).status_code == 200
    # The same notification, read again: the alert's status as it is now, not a copy.
    [note] = await notifications(client)
    assert (note["safety_alert_id"], note["alert_status"]) == (alert["id"], "resolved")
    page = await browser.client.get("/notifications")
    assert "Alert closed" in page.text and "Alert still open" not in page.text
    assert "Urgent" not in page.text
    marked = await client.post(f"/api/v1/notifications/{note['id']}/read")
    assert (marked.json()["alert_status"], marked.json()["read_at"] is not None) == (
        "resolved",
        True,
    )


async def test_a_notification_of_a_patient_no_longer_cared_for_shows_nothing_of_the_alert(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await raise_one(client, chart)
    async with factory.system_session() as session:
        await session.execute(
            update(CareTeamMember)
            .where(CareTeamMember.patient_id == chart.patient.id)
            .values(status="inactive")
        )
        await session.commit()
    assert await notifications(client) == []

"""Needs: a positive social-needs domain creates a candidate need with its evidence; staff
confirm it with the patient or dismiss it with a reason; needs move through their lifecycle."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam
from tests.integration.assessment_support import (
    SOCIAL_NEEDS_NEGATIVE,
    administer,
    days_ago,
    detail,
    get_json,
    named_fields,
    needs,
    patient_url,
    stored,
)
from tests.snapshots import assert_unchanged

from tandem.assessments.models import Need
from tandem.clock import FrozenClock
from tandem.people.models import User

SCREEN_TITLE = "Social needs (AHC HRSN)"
# Interpersonal-safety answers by value (1 never ... 5 frequently).
FREQUENCY = {1: "LA6270-8", 2: "LA10066-1", 3: "LA10082-8", 4: "LA16644-9", 5: "LA6482-9"}


async def screen(
    client: httpx.AsyncClient, patient_id: Any, answers: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    return await administer(client, patient_id, answers, instrument="social-needs", **kwargs)


async def set_status(
    client: httpx.AsyncClient, need: dict[str, Any], status: str, reason: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"version": need["version"], "status": status}
    if reason is not None:
        body["reason"] = reason
    url = patient_url(need["patient_id"], f"/needs/{need['id']}/status")
    return await client.post(url, json=body)


async def moved(
    client: httpx.AsyncClient, need: dict[str, Any], status: str, reason: str | None = None
) -> dict[str, Any]:
    response = await set_status(client, need, status, reason)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def need_in(client: httpx.AsyncClient, patient_id: Any, domain: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        n for n in await needs(client, patient_id) if n["domain"] == domain
    )
    return found


async def staff_need(client: httpx.AsyncClient, patient_id: Any, **body: Any) -> httpx.Response:
    payload = {"domain": "clinical", "description": "Blood sugar poorly controlled", **body}
    return await client.post(patient_url(patient_id, "/needs"), json=payload)


# -- candidates from screens ------------------------------------------------------------------


async def test_a_positive_domain_creates_a_candidate_need_with_its_evidence(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    answered = days_ago(clock, 3)
    body = await screen(client, chart.patient.id, SOCIAL_NEEDS_POSITIVE, answered_on=answered)
    listed = {n["domain"]: n for n in await needs(client, chart.patient.id)}
    assert set(listed) == {"housing-instability", "food-insecurity"}
    assert sorted(body["needs_identified"]) == sorted(n["id"] for n in listed.values())
    housing = listed["housing-instability"]
    assert (housing["status"], housing["origin"], housing["identified_on"]) == (
        "identified",
        "screen",
        answered.isoformat(),
    )
    assert housing["description"] == f"Housing: screened positive on {SCREEN_TITLE}"
    assert housing["evidence"] == [
        {
            "response_id": body["id"],
            "instrument": "social-needs",
            "answered_on": answered.isoformat(),
            "items": ["living"],
        }
    ]
    assert listed["food-insecurity"]["evidence"][0]["items"] == ["food-worry", "food-last"]
    [event] = housing["history"]
    assert (event["from_status"], event["to_status"], event["by"]) == (
        None,
        "identified",
        care_manager.full_name,
    )
    created = [
        (e.record_type, e.record_id)
        for e in await factory.audit_events(after=before)
        if e.action == "C" and e.record_type == "Need"
    ]
    assert sorted(created) == sorted(("Need", n["id"]) for n in listed.values())


async def test_a_negative_screen_creates_no_need(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    body = await screen(client, chart.patient.id, SOCIAL_NEEDS_NEGATIVE)
    assert body["needs_identified"] == []
    assert await needs(client, chart.patient.id) == []


@pytest.mark.parametrize(
    ("values", "positive"),
    [((3, 3, 3, 2), True), ((5, 5, 1, 1), True), ((3, 3, 2, 2), False), ((1, 1, 1, 1), False)],
    ids=["11", "12", "10", "4"],
)
async def test_interpersonal_safety_is_positive_from_a_total_of_11(
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    values: tuple[int, int, int, int],
    positive: bool,
) -> None:
    client = await client_for(care_manager)
    items = ("safety-hurt", "safety-insult", "safety-threaten", "safety-scream")
    answers = SOCIAL_NEEDS_NEGATIVE | {i: FREQUENCY[v] for i, v in zip(items, values, strict=True)}
    await screen(client, chart.patient.id, answers)
    needs_found = await needs(client, chart.patient.id)
    assert [n["domain"] for n in needs_found] == (["intimate-partner-violence"] if positive else [])
    if positive:
        assert needs_found[0]["evidence"][0]["items"] == list(items)


async def test_a_second_positive_screen_adds_evidence_to_the_open_need_instead_of_a_duplicate(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    first = await screen(client, pid, SOCIAL_NEEDS_POSITIVE, answered_on=days_ago(clock, 30))
    food = await need_in(client, pid, "food-insecurity")
    await moved(client, food, "confirmed")
    before = await factory.last_audit_id()
    second = await screen(client, pid, SOCIAL_NEEDS_POSITIVE)
    assert second["needs_identified"] == []
    listed = await needs(client, pid)
    assert len(listed) == 2
    for need in listed:
        assert [e["response_id"] for e in need["evidence"]] == [first["id"], second["id"]]
    assert (await need_in(client, pid, "food-insecurity"))["status"] == "confirmed"
    changes = [
        (e.action, e.record_id)
        for e in await factory.audit_events(after=before)
        if e.record_type == "Need" and e.action != "R"
    ]
    assert sorted(changes) == sorted(("U", n["id"]) for n in listed)
    assert len(await stored(factory, Need, pid)) == 2


async def test_after_a_dismissal_a_new_positive_screen_raises_a_new_candidate(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await screen(client, pid, SOCIAL_NEEDS_POSITIVE, answered_on=days_ago(clock, 60))
    housing = await need_in(client, pid, "housing-instability")
    await moved(client, housing, "dismissed", "Moving in with her sister next week")
    await screen(client, pid, SOCIAL_NEEDS_POSITIVE)
    statuses = sorted(
        n["status"] for n in await needs(client, pid) if n["domain"] == housing["domain"]
    )
    assert statuses == ["dismissed", "identified"]


async def test_a_response_lists_the_needs_it_is_evidence_for(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    body = await screen(client, chart.patient.id, SOCIAL_NEEDS_POSITIVE)
    again = await get_json(client, patient_url(chart.patient.id, f"/responses/{body['id']}"))
    assert sorted(n["domain"] for n in again["linked_needs"]) == [
        "food-insecurity",
        "housing-instability",
    ]


# -- the lifecycle ----------------------------------------------------------------------------


async def test_a_need_is_confirmed_addressed_resolved_and_reopened_with_its_history(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await screen(client, chart.patient.id, SOCIAL_NEEDS_POSITIVE)
    need = await need_in(client, chart.patient.id, "food-insecurity")
    before = await factory.last_audit_id()
    need = await moved(client, need, "confirmed")
    need = await moved(client, need, "being_addressed", "Referred to the food bank")
    need = await moved(client, need, "resolved", "Food bank deliveries weekly")
    need = await moved(client, need, "confirmed", "Deliveries stopped in June")
    assert (need["status"], need["version"], need["status_reason"]) == (
        "confirmed",
        5,
        "Deliveries stopped in June",
    )
    steps = [(h["from_status"], h["to_status"]) for h in need["history"]]
    assert steps == [
        (None, "identified"),
        ("identified", "confirmed"),
        ("confirmed", "being_addressed"),
        ("being_addressed", "resolved"),
        ("resolved", "confirmed"),
    ]
    updates = [e for e in await factory.audit_events(after=before) if e.action == "U"]
    assert [(e.record_type, e.record_id) for e in updates] == [("Need", need["id"])] * 4


async def test_dismissing_a_candidate_needs_a_reason_and_it_can_be_reopened(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await screen(client, chart.patient.id, SOCIAL_NEEDS_POSITIVE)
    need = await need_in(client, chart.patient.id, "housing-instability")
    record = await factory.patient_record(chart.patient)
    for reason in (None, "", "  "):
        refused = await set_status(client, need, "dismissed", reason)
        assert refused.status_code == 422, refused.text
        assert named_fields(refused) == {"reason"}
    assert_unchanged(record, await factory.patient_record(chart.patient))
    dismissed = await moved(client, need, "dismissed", "Patient says the lease was renewed")
    assert (dismissed["status"], dismissed["status_reason"]) == (
        "dismissed",
        "Patient says the lease was renewed",
    )
    reopened = await moved(client, dismissed, "identified", "The landlord sold the building")
    assert reopened["status"] == "identified"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "resolved"),
        ([], "being_addressed"),
        ([], "identified"),
        (["confirmed"], "identified"),
        (["confirmed", "resolved"], "being_addressed"),
        (["dismissed"], "resolved"),
        (["entered-in-error"], "confirmed"),
        (["entered-in-error"], "identified"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else v,
)
async def test_a_step_the_lifecycle_does_not_allow_is_422_naming_status(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    path: list[str],
    refused: str,
) -> None:
    client = await client_for(care_manager)
    await screen(client, chart.patient.id, SOCIAL_NEEDS_POSITIVE)
    need = await need_in(client, chart.patient.id, "housing-instability")
    for status in path:
        need = await moved(client, need, status, "Reason given for the step")
    record = await factory.patient_record(chart.patient)
    response = await set_status(client, need, refused, "Reason given for the step")
    assert response.status_code == 422, response.text
    assert detail(response)["field"] == "status"
    assert_unchanged(record, await factory.patient_record(chart.patient))


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"version": 1, "status": "fixed"}, 422, "status"),
        ({"version": 1}, 422, "status"),
        ({"status": "confirmed"}, 422, "version"),
        ({"version": 2, "status": "confirmed"}, 409, "version"),
        ({"version": 1, "status": "confirmed", "reason": "x" * 501}, 422, "reason"),
    ],
    ids=["unknown-status", "no-status", "no-version", "stale", "long-reason"],
)
async def test_a_malformed_or_stale_status_change_is_refused(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    client = await client_for(care_manager)
    await screen(client, chart.patient.id, SOCIAL_NEEDS_POSITIVE)
    need = await need_in(client, chart.patient.id, "food-insecurity")
    url = patient_url(chart.patient.id, f"/needs/{need['id']}/status")
    record = await factory.patient_record(chart.patient)
    response = await client.post(url, json=body)
    assert response.status_code == status, response.text
    assert field in named_fields(response)
    assert_unchanged(record, await factory.patient_record(chart.patient))


# -- needs staff record -----------------------------------------------------------------------


async def test_staff_add_a_need_that_starts_confirmed_without_evidence(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    response = await staff_need(client, chart.patient.id, description="  Blood sugar high  ")
    assert response.status_code == 201, response.text
    need = response.json()
    assert (need["domain"], need["description"], need["status"], need["origin"]) == (
        "clinical",
        "Blood sugar high",
        "confirmed",
        "staff",
    )
    assert (need["evidence"], need["identified_on"]) == ([], clock.today().isoformat())
    assert [(h["from_status"], h["to_status"]) for h in need["history"]] == [(None, "confirmed")]
    [event] = await factory.audit_events(after=before)
    assert (event.action, event.record_type, event.record_id) == ("C", "Need", need["id"])


async def test_staff_may_record_an_unconfirmed_social_need(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    response = await staff_need(
        client,
        chart.patient.id,
        domain="social-connection",
        description="Lives alone since her husband died",
        status="identified",
    )
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["origin"]) == ("identified", "staff")
    [need] = await stored(factory, Need, chart.patient.id)
    assert (need.domain, need.description, need.status, need.origin) == (
        "social-connection",
        "Lives alone since her husband died",
        "identified",
        "staff",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "resolved"}, "status"),
        ({"status": "dismissed"}, "status"),
        ({"domain": "wealth"}, "domain"),
        ({"description": "ok"}, "description"),
        ({"evidence": []}, "evidence"),
    ],
)
async def test_a_staff_need_with_a_bad_field_is_422_naming_it_and_not_stored(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    change: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    record = await factory.patient_record(chart.patient)
    response = await staff_need(client, chart.patient.id, **change)
    assert response.status_code == 422, response.text
    assert field in named_fields(response)
    assert_unchanged(record, await factory.patient_record(chart.patient))

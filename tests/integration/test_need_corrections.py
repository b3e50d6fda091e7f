"""Candidate needs after corrections: an amended or withdrawn screen takes its evidence back
where the domain is no longer positive, updates it where it still is, and never raises again a
need the team has dismissed or confirmed."""

from __future__ import annotations

from typing import Any

from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam
from tests.integration.assessment_support import (
    YES,
    administer,
    amend,
    days_ago,
    needs,
    ok,
    patient_url,
    stored,
    withdraw,
)

from tandem.assessments.models import Need
from tandem.clock import FrozenClock
from tandem.people.models import User


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

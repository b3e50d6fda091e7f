"""The safety plan's JSON API: a part of the care plan, versioned with it (If-Match, 412, a
snapshot per change, the comparison of two versions), always listing the crisis line, and started
in one step for a patient who has no care plan yet."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from tests.factories import Factory, PatientWithTeam
from tests.integration.assessment_support import detail, named_fields, stored
from tests.integration.care_plan_support import (
    GOAL,
    SAFETY_PLAN,
    based_on,
    changed,
    new_plan,
    plan_url,
    safety_url,
    start_safety_plan,
)
from tests.snapshots import assert_unchanged

from tandem.careplans.models import SafetyPlanEntry
from tandem.clock import FrozenClock
from tandem.people.models import User

LIFELINE = {
    "code": "us-988",
    "name": "988 Suicide & Crisis Lifeline",
    "phone": "988",
    "how": "Call or text 988, at any hour of any day",
}


def words(section: list[dict[str, Any]]) -> list[str]:
    return [entry.get("text") or entry["name"] for entry in section]


async def test_a_patient_without_a_care_plan_gets_one_at_version_1_holding_the_safety_plan(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    response = await client.put(
        safety_url(chart.patient.id), json=SAFETY_PLAN, headers={"If-None-Match": "*"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    safety = response.json()
    assert safety["plan_version"] == 1
    assert words(safety["warning_signs"]) == ["I stop answering my phone", "I can't sleep"]
    assert safety["people_to_ask"] == [
        {
            "id": safety["people_to_ask"][0]["id"],
            "name": "My sister Ana",
            "phone": "+1 555 010 4411",
        }
    ]
    assert safety["crisis_lines"] == [LIFELINE]
    assert safety["updated_by"] == care_manager.full_name
    plan = (await client.get(plan_url(chart.patient.id))).json()
    assert (plan["version"], plan["goals"]) == (1, [])
    assert plan["safety_plan"] == safety
    [version] = (await client.get(plan_url(chart.patient.id, "/versions"))).json()
    assert version["version"] == 1
    kept = (await client.get(plan_url(chart.patient.id, "/versions/1"))).json()["plan"]
    assert kept["safety_plan"]["sections"]["reasons_for_living"] == safety["reasons_for_living"]
    assert kept["safety_plan"]["crisis_lines"] == [LIFELINE]
    # One creation: the plan, made with its safety plan (the sections it was made with named).
    [created] = [e for e in await factory.audit_events(after=before) if e.action == "C"]
    assert (created.record_type, created.record_id) == ("CarePlan", plan["id"])
    assert created.detail is not None and "reasons_for_living" in created.detail
    # What the change answered is what reading it back answers.
    assert (await client.get(safety_url(chart.patient.id))).json() == safety


async def test_a_plan_without_a_safety_plan_gets_one_as_its_next_version(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    plan = await new_plan(client, chart.patient.id)
    plan = await changed(client, "POST", chart.patient.id, "/goals", plan["version"], GOAL)
    assert (await client.get(safety_url(chart.patient.id))).status_code == 404
    response = await client.put(
        safety_url(chart.patient.id), json=SAFETY_PLAN, headers=based_on(plan["version"])
    )
    assert response.status_code == 200, response.text
    assert (response.json()["plan_version"], response.headers["ETag"]) == (3, '"3"')
    diff = (await client.get(plan_url(chart.patient.id, "/versions/2/diff/3"))).json()
    assert diff["goals"] == {"added": [], "removed": [], "changed": []}
    added = {
        (e["section"], e.get("text") or e["name"]) for e in diff["safety_plan_entries"]["added"]
    }
    assert ("warning_signs", "I can't sleep") in added and len(added) == 8
    assert diff["safety_plan"]["crisis_lines"] == {"before": None, "after": [LIFELINE]}


async def test_without_a_safety_plan_the_patient_has_none_to_read(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    response = await client.get(safety_url(chart.patient.id))
    assert response.status_code == 404
    assert "safety plan" in response.text


@pytest.mark.parametrize("with_plan", [False, True], ids=["no-plan-yet", "plan"])
async def test_a_change_that_names_no_version_is_428_and_changes_nothing(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any, with_plan: bool
) -> None:
    client = await client_for(care_manager)
    if with_plan:
        await new_plan(client, chart.patient.id)
    record = await factory.patient_record(chart.patient)
    response = await client.put(safety_url(chart.patient.id), json=SAFETY_PLAN)
    assert response.status_code == 428
    assert detail(response)["field"] == "If-Match"
    assert "If-None-Match: *" in detail(response)["message"]
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_starting_a_plan_the_patient_already_has_is_412_naming_its_version(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await start_safety_plan(client, chart.patient.id)
    record = await factory.patient_record(chart.patient)
    again = await client.put(
        safety_url(chart.patient.id), json=SAFETY_PLAN, headers={"If-None-Match": "*"}
    )
    assert again.status_code == 412
    assert (detail(again)["current_version"], detail(again)["changed_by"]) == (
        1,
        care_manager.full_name,
    )
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_change_based_on_an_old_version_is_412_and_changes_nothing(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await start_safety_plan(client, chart.patient.id)
    second = await client.patch(
        safety_url(chart.patient.id),
        json={"warning_signs": [{"text": "I give my things away"}]},
        headers=based_on(first["plan_version"]),
    )
    assert second.status_code == 200, second.text
    record = await factory.patient_record(chart.patient)
    stale = await client.patch(
        safety_url(chart.patient.id),
        json={"reasons_for_living": [{"text": "My cat"}]},
        headers=based_on(first["plan_version"]),
    )
    assert stale.status_code == 412
    assert (detail(stale)["field"], detail(stale)["current_version"]) == ("If-Match", 2)
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_put_keeps_entries_named_by_id_adds_new_ones_and_ends_the_rest(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await start_safety_plan(client, chart.patient.id)
    phone, sleep = first["warning_signs"]
    body = {
        **SAFETY_PLAN,
        "warning_signs": [
            {"id": sleep["id"], "text": "I can't sleep for two nights running"},
            {"text": "I stop eating"},
        ],
    }
    response = await client.put(safety_url(chart.patient.id), json=body, headers=based_on(1))
    assert response.status_code == 200, response.text
    now = response.json()
    assert now["plan_version"] == 2
    assert now["warning_signs"][0]["id"] == sleep["id"]
    assert words(now["warning_signs"]) == ["I can't sleep for two nights running", "I stop eating"]
    # An entry sent without its id that says just what it said is the same entry.
    assert now["people_to_ask"] == first["people_to_ask"]
    # Taken off the plan, not deleted: the row is ended, and version 1 still shows it.
    rows = {row.id: row for row in await stored(factory, SafetyPlanEntry, chart.patient.id)}
    assert rows[uuid.UUID(phone["id"])].status == "ended"
    assert rows[uuid.UUID(phone["id"])].text == "I stop answering my phone"
    diff = (await client.get(plan_url(chart.patient.id, "/versions/1/diff/2"))).json()
    entries = diff["safety_plan_entries"]
    assert [(e["section"], e["text"]) for e in entries["removed"]] == [
        ("warning_signs", "I stop answering my phone")
    ]
    assert [(e["section"], e["text"]) for e in entries["added"]] == [
        ("warning_signs", "I stop eating")
    ]
    assert entries["changed"] == [
        {
            "id": sleep["id"],
            "name": "I can't sleep for two nights running",
            "fields": {
                "text": {"before": "I can't sleep", "after": "I can't sleep for two nights running"}
            },
        }
    ]


async def test_patch_changes_only_the_sections_it_names(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await start_safety_plan(client, chart.patient.id)
    response = await client.patch(
        safety_url(chart.patient.id),
        json={"reasons_for_living": [{"text": "Seeing my grandson grow up"}]},
        headers=based_on(1),
    )
    assert response.status_code == 200, response.text
    now = response.json()
    assert words(now["reasons_for_living"]) == ["Seeing my grandson grow up"]
    for section in ("warning_signs", "coping_strategies", "people_to_ask", "professionals"):
        assert now[section] == first[section], section


async def test_a_put_that_leaves_a_section_out_empties_it_but_never_the_crisis_line(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await start_safety_plan(client, chart.patient.id)
    response = await client.put(
        safety_url(chart.patient.id),
        json={"warning_signs": [{"text": "I stop answering my phone"}]},
        headers=based_on(1),
    )
    assert response.status_code == 200, response.text
    now = response.json()
    assert (now["professionals"], now["people_to_ask"]) == ([], [])
    assert now["crisis_lines"] == [LIFELINE]
    refused = await client.patch(
        safety_url(chart.patient.id), json={"crisis_lines": []}, headers=based_on(2)
    )
    assert refused.status_code == 422
    assert "crisis_lines" in named_fields(refused)


async def test_a_goal_changed_later_keeps_the_safety_plan_in_the_next_snapshot(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await start_safety_plan(client, chart.patient.id)
    await changed(client, "POST", chart.patient.id, "/goals", 1, GOAL)
    diff = (await client.get(plan_url(chart.patient.id, "/versions/1/diff/2"))).json()
    assert diff["safety_plan"] == {}
    assert diff["safety_plan_entries"] == {"added": [], "removed": [], "changed": []}
    assert len(diff["goals"]["added"]) == 1


async def test_the_day_it_was_reviewed_with_the_patient_is_kept_with_who_recorded_it(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    await start_safety_plan(client, chart.patient.id)
    today = clock.today().isoformat()
    response = await client.patch(
        safety_url(chart.patient.id), json={"reviewed_on": today}, headers=based_on(1)
    )
    assert response.status_code == 200, response.text
    assert (response.json()["reviewed_on"], response.json()["reviewed_by"]) == (
        today,
        care_manager.full_name,
    )
    diff = (await client.get(plan_url(chart.patient.id, "/versions/1/diff/2"))).json()
    assert diff["safety_plan"]["reviewed_on"] == {"before": None, "after": today}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"warning_signs": [{"text": "   "}]}, "warning_signs.0.text"),
        ({"people_to_ask": [{"name": "Ana", "phone": "call me"}]}, "people_to_ask.0.phone"),
        ({"people_to_ask": [{"phone": "+1 555 010 4411"}]}, "people_to_ask.0.name"),
        ({"warning_signs": [{"name": "Ana"}]}, "warning_signs.0.text"),
        ({"warning_signs": [{"text": "x" * 501}]}, "warning_signs.0.text"),
        ({"warning_signs": [{"text": f"sign {n}"} for n in range(21)]}, "warning_signs"),
        ({"hobbies": [{"text": "knitting"}]}, "hobbies"),
        ({"warning_signs": [{"text": "a\x00b"}]}, "warning_signs"),
        ({"reviewed_on": "1899-12-31"}, "reviewed_on"),
        ({"reviewed_on": "tomorrow"}, "reviewed_on"),
        ({"warning_signs": "I stop eating"}, "warning_signs"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    body: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    await start_safety_plan(client, chart.patient.id)
    record = await factory.patient_record(chart.patient)
    response = await client.patch(safety_url(chart.patient.id), json=body, headers=based_on(1))
    assert response.status_code == 422, response.text
    assert field in named_fields(response)
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_review_day_in_the_future_or_before_birth_is_422_naming_it(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    await start_safety_plan(client, chart.patient.id)
    record = await factory.patient_record(chart.patient)
    for day in (clock.today() + timedelta(days=1), chart.patient.birth_date - timedelta(days=1)):
        response = await client.patch(
            safety_url(chart.patient.id), json={"reviewed_on": day.isoformat()}, headers=based_on(1)
        )
        assert response.status_code == 422, response.text
        assert detail(response)["field"] == "reviewed_on"
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_an_entry_id_from_elsewhere_or_named_twice_is_422_naming_it(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await start_safety_plan(client, chart.patient.id)
    sister = first["people_to_ask"][0]["id"]
    sleep = first["warning_signs"][1]["id"]
    record = await factory.patient_record(chart.patient)
    for body, field in (
        # An entry of another section is not this section's to keep.
        ({"warning_signs": [{"id": sister, "text": "My sister Ana"}]}, "warning_signs.0.id"),
        (
            {"warning_signs": [{"id": sleep, "text": "a"}, {"id": sleep, "text": "b"}]},
            "warning_signs.1.id",
        ),
    ):
        response = await client.patch(safety_url(chart.patient.id), json=body, headers=based_on(1))
        assert response.status_code == 422, response.text
        assert detail(response)["field"] == field
    assert_unchanged(record, await factory.patient_record(chart.patient))


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"If-None-Match": "abc"}, "If-None-Match"),
        ({"If-None-Match": "*", "If-Match": '"1"'}, "If-None-Match"),
        ({"If-Match": "latest"}, "If-Match"),
    ],
)
async def test_a_malformed_precondition_is_422_naming_the_header(
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    headers: dict[str, str],
    field: str,
) -> None:
    client = await client_for(care_manager)
    response = await client.put(safety_url(chart.patient.id), json=SAFETY_PLAN, headers=headers)
    assert response.status_code == 422, response.text
    assert detail(response)["field"] == field


async def test_a_peer_specialist_reads_the_safety_plan_but_does_not_change_it(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    await start_safety_plan(await client_for(care_manager), chart.patient.id)
    peer = await factory.user(role="peer_specialist")
    await factory.member(chart.patient, peer, role="peer_specialist")
    client = await client_for(peer)
    assert (await client.get(safety_url(chart.patient.id))).status_code == 200
    refused = await client.patch(
        safety_url(chart.patient.id), json={"warning_signs": []}, headers=based_on(1)
    )
    assert refused.status_code == 403

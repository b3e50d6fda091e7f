"""The shared care plan's JSON API: a plan with goals and activities, every change based on the
version it was read at (If-Match), each version kept as it was and any two compared."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from tests.factories import Factory, PatientWithTeam
from tests.integration.care_plan_support import (
    GOAL,
    activity,
    based_on,
    changed,
    need_of,
    new_plan,
    plan_url,
    send,
)

from tandem.careplans.models import CareActivity, CarePlanVersion
from tandem.people.models import User


async def test_a_plan_is_created_at_version_one_and_read_back_with_its_etag(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    created = await new_plan(client, chart.patient.id, next_review_on="2027-01-15")
    assert (created["version"], created["status"], created["goals"]) == (1, "active", [])
    response = await client.get(plan_url(chart.patient.id))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json() == created
    assert response.json()["updated_by"] == care_manager.full_name


async def test_a_second_plan_for_the_same_patient_is_refused_409(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await new_plan(client, chart.patient.id)
    again = await client.post(plan_url(chart.patient.id), json={})
    assert again.status_code == 409
    assert again.json()["detail"]["field"] == "patient_id"


async def test_a_patient_without_a_plan_answers_404(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    assert (await client.get(plan_url(chart.patient.id))).status_code == 404


async def test_goals_and_activities_each_move_the_plan_on_one_version(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    need = await need_of(client, pid)
    plan = await changed(
        client, "POST", pid, "/goals", 1, {**GOAL, "addresses": [need], "reason": "Agreed"}
    )
    assert plan["version"] == 2
    [goal] = plan["goals"]
    assert (goal["description"], goal["status"], goal["achievement"]) == (
        GOAL["description"],
        "active",
        "in-progress",
    )
    assert goal["addresses"] == [need]
    plan = await changed(
        client, "POST", pid, f"/goals/{goal['id']}/activities", 2, activity(care_manager.id)
    )
    [act] = plan["goals"][0]["activities"]
    assert act["responsible"] == {
        "kind": "team_member",
        "user_id": str(care_manager.id),
        "organization_id": None,
        "related_person_id": None,
        "name": care_manager.full_name,
        "on_team": True,
    }
    assert (plan["version"], act["status"]) == (3, "not-started")
    plan = await changed(
        client, "PATCH", pid, f"/activities/{act['id']}", 3, {"status": "scheduled"}
    )
    plan = await changed(
        client, "PATCH", pid, f"/goals/{goal['id']}", 4, {"achievement": "improving"}
    )
    assert plan["version"] == 5
    assert plan["goals"][0]["achievement"] == "improving"
    assert plan["goals"][0]["activities"][0]["status"] == "scheduled"
    # What a change answers is what reading the plan back answers.
    assert (await client.get(plan_url(pid))).json() == plan


async def test_every_version_is_kept_as_it_was_with_who_when_and_why(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid, reason="First meeting")
    plan = await changed(client, "POST", pid, "/goals", 1, {**GOAL, "reason": "Her words"})
    goal_id = plan["goals"][0]["id"]
    await changed(
        client, "PATCH", pid, f"/goals/{goal_id}", 2, {"target": "Seven hours", "reason": "Better"}
    )
    listed = (await client.get(plan_url(pid, "/versions"))).json()
    assert [(v["version"], v["reason"], v["changed_by"]) for v in listed] == [
        (1, "First meeting", care_manager.full_name),
        (2, "Her words", care_manager.full_name),
        (3, "Better", care_manager.full_name),
    ]
    first = (await client.get(plan_url(pid, "/versions/1"))).json()
    assert first["plan"]["goals"] == []
    second = (await client.get(plan_url(pid, "/versions/2"))).json()
    assert second["plan"]["goals"][0]["target"] == "Six hours most nights"
    third = (await client.get(plan_url(pid, "/versions/3"))).json()
    assert third["plan"]["goals"][0]["target"] == "Seven hours"
    assert (await client.get(plan_url(pid, "/versions/9"))).status_code == 404
    stored = (await factory.patient_record(chart.patient))[CarePlanVersion.__tablename__]
    assert sorted(dict(row)["version"] for row in stored) == [1, 2, 3]


async def test_two_versions_compare_goal_and_activity_field_by_field(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, GOAL)
    goal_id = plan["goals"][0]["id"]
    plan = await changed(
        client, "POST", pid, f"/goals/{goal_id}/activities", 2, activity(care_manager.id)
    )
    act_id = plan["goals"][0]["activities"][0]["id"]
    await changed(client, "PATCH", pid, f"/goals/{goal_id}", 3, {"status": "on-hold"})
    await changed(
        client, "POST", pid, f"/activities/{act_id}/entered-in-error", 4, {"reason": "Duplicate"}
    )
    diff = (await client.get(plan_url(pid, "/versions/2/diff/5"))).json()
    assert (diff["from_version"], diff["to_version"]) == (2, 5)
    assert diff["goals"]["added"] == [] and diff["goals"]["removed"] == []
    assert diff["goals"]["changed"] == [
        {
            "id": goal_id,
            "name": GOAL["description"],
            "fields": {"status": {"before": "active", "after": "on-hold"}},
        }
    ]
    assert diff["activities"] == {"added": [], "removed": [], "changed": []}
    added = (await client.get(plan_url(pid, "/versions/2/diff/3"))).json()["activities"]
    assert [a["id"] for a in added["added"]] == [act_id]
    gone = (await client.get(plan_url(pid, "/versions/4/diff/5"))).json()["activities"]
    assert [a["id"] for a in gone["removed"]] == [act_id]
    assert (await client.get(plan_url(pid, "/versions/2/diff/7"))).status_code == 404


async def test_a_change_based_on_an_old_version_is_refused_412_naming_the_current_one(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    await changed(client, "POST", pid, "/goals", 1, GOAL)
    async with factory.unchanged(chart.patient):
        stale = await send(client, "POST", pid, "/goals", 1, GOAL)
    assert stale.status_code == 412
    detail = stale.json()["detail"]
    assert (detail["code"], detail["field"], detail["current_version"]) == (
        "precondition_failed",
        "If-Match",
        2,
    )
    assert detail["changed_by"] == care_manager.full_name


async def test_a_change_that_names_no_version_is_refused_428(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    async with factory.unchanged(chart.patient):
        missing = await send(client, "POST", pid, "/goals", None, GOAL)
        garbled = await client.post(
            plan_url(pid, "/goals"), json=GOAL, headers={"If-Match": "yesterday"}
        )
    assert missing.status_code == 428
    assert missing.json()["detail"]["field"] == "If-Match"
    assert garbled.status_code == 422
    weak = await client.post(plan_url(pid, "/goals"), json=GOAL, headers={"If-Match": 'W/"1"'})
    assert weak.status_code == 201


async def test_a_goal_cannot_address_another_patients_need(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    other = await factory.patient(lead=care_manager, family_name="Other")
    theirs = await need_of(client, other.patient.id)
    pid = chart.patient.id
    await new_plan(client, pid)
    async with factory.unchanged(chart.patient, other.patient):
        refused = await send(client, "POST", pid, "/goals", 1, {**GOAL, "addresses": [theirs]})
    assert refused.status_code == 422
    assert refused.json()["detail"]["field"] == "addresses"


async def test_an_activitys_owner_must_be_on_the_team_or_the_patients_own(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, GOAL)
    tail = f"/goals/{plan['goals'][0]['id']}/activities"
    stranger = await factory.user(role="therapist")
    other = await factory.patient(lead=care_manager, family_name="Other")
    their_sister = await factory.related_person(other.patient)
    bad = [
        (activity(stranger.id), "responsible"),
        (
            {
                **activity(care_manager.id),
                "responsible": {
                    "kind": "related_person",
                    "related_person_id": str(their_sister.id),
                },
            },
            "responsible",
        ),
        (
            {**activity(care_manager.id), "responsible": {"kind": "team_member"}},
            "responsible.user_id",
        ),
        (
            {
                **activity(care_manager.id),
                "responsible": {"kind": "patient", "user_id": str(care_manager.id)},
            },
            "responsible.user_id",
        ),
    ]
    async with factory.unchanged(chart.patient):
        for body, field in bad:
            refused = await send(client, "POST", pid, tail, 2, body)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"]["field"] == field
    sister = await factory.related_person(chart.patient)
    org = await factory.organisation(name="Harbour Housing")
    for responsible, name in (
        ({"kind": "patient"}, "The patient"),
        ({"kind": "related_person", "related_person_id": str(sister.id)}, sister.name),
        ({"kind": "organisation", "organization_id": str(org.id)}, "Harbour Housing"),
    ):
        version = plan["version"]
        plan = await changed(
            client,
            "POST",
            pid,
            tail,
            version,
            {**activity(care_manager.id), "responsible": responsible},
        )
        assert plan["goals"][0]["activities"][-1]["responsible"]["name"] == name


async def test_entered_in_error_takes_a_reason_and_leaves_the_plan_without_deleting(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, GOAL)
    goal_id = plan["goals"][0]["id"]
    plan = await changed(
        client, "POST", pid, f"/goals/{goal_id}/activities", 2, activity(care_manager.id)
    )
    no_reason = await send(client, "POST", pid, f"/goals/{goal_id}/entered-in-error", 3, {})
    assert no_reason.status_code == 422
    plan = await changed(
        client, "POST", pid, f"/goals/{goal_id}/entered-in-error", 3, {"reason": "Wrong patient"}
    )
    assert plan["goals"] == []
    again = await send(client, "PATCH", pid, f"/goals/{goal_id}", 4, {"target": "x"})
    assert again.status_code == 422
    record = await factory.patient_record(chart.patient)
    assert [(dict(g)["status"], dict(g)["status_reason"]) for g in record["goal"]] == [
        ("entered-in-error", "Wrong patient")
    ]
    assert [dict(a)["status"] for a in record["care_activity"]] == ["entered-in-error"]


async def test_a_user_without_a_care_relationship_gets_404_and_changes_nothing(
    chart: PatientWithTeam, care_manager: User, outsider: User, client_for: Any, factory: Factory
) -> None:
    pid = chart.patient.id
    plan = await new_plan(await client_for(care_manager), pid)
    client = await client_for(outsider)
    async with factory.unchanged(chart.patient):
        assert (await client.get(plan_url(pid))).status_code == 404
        assert (await client.get(plan_url(pid, "/versions"))).status_code == 404
        refused = await client.post(plan_url(pid, "/goals"), json=GOAL, headers=based_on(1))
        assert refused.status_code == 404
    assert plan["version"] == 1


async def test_a_community_partner_on_the_team_has_no_plan_access_in_this_slice(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    pid = chart.patient.id
    await new_plan(await client_for(care_manager), pid)
    partner = await factory.user(role="community_partner")
    await factory.member(chart.patient, partner, role="community_partner")
    client = await client_for(partner)
    assert (await client.get(plan_url(pid))).status_code == 403
    assert (await client.get(plan_url(pid, "/versions/1"))).status_code == 403


async def test_a_peer_specialist_reads_the_plan_but_does_not_change_it(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    pid = chart.patient.id
    await new_plan(await client_for(care_manager), pid)
    peer = await factory.user(role="peer_specialist")
    await factory.member(chart.patient, peer, role="peer_specialist")
    client = await client_for(peer)
    assert (await client.get(plan_url(pid))).status_code == 200
    refused = await client.post(plan_url(pid, "/goals"), json=GOAL, headers=based_on(1))
    assert refused.status_code == 403


async def test_every_read_and_change_is_audited(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    mark = await factory.last_audit_id()
    plan = await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, GOAL)
    await client.get(plan_url(pid))
    await client.get(plan_url(pid, "/versions/1/diff/2"))
    events = await factory.audit_events(patient_id=pid, after=mark)
    kinds = [(e.action, e.record_type) for e in events if e.outcome == 0]
    assert ("C", "CarePlan") in kinds and ("C", "Goal") in kinds
    assert ("R", "CarePlan") in kinds and ("R", "CarePlanVersion") in kinds
    goal_event = next(e for e in events if e.record_type == "Goal")
    assert str(goal_event.record_id) == plan["goals"][0]["id"]


async def test_the_database_itself_refuses_an_activity_with_two_responsible_parties(
    chart: PatientWithTeam, care_manager: User, factory: Factory
) -> None:
    plan = await factory.care_plan(chart.patient, care_manager)
    org = await factory.organisation()
    async with factory.system_session() as session:
        activity_id = plan.goals[0].activities[0].id
        stored = await session.get(CareActivity, activity_id)
        assert stored is not None
        stored.responsible_organization_id = org.id  # a team member and an organisation
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_changing_what_a_goal_addresses_ends_the_old_link_and_keeps_it(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    housing, food = await need_of(client, pid), await need_of(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, {**GOAL, "addresses": [housing]})
    goal_id = plan["goals"][0]["id"]
    plan = await changed(client, "PATCH", pid, f"/goals/{goal_id}", 2, {"addresses": [food]})
    assert plan["goals"][0]["addresses"] == [food]
    links = [dict(row) for row in (await factory.patient_record(chart.patient))["goal_need"]]
    assert sorted((str(row["need_id"]), row["status"]) for row in links) == sorted(
        [(housing, "ended"), (food, "active")]
    )
    diff = (await client.get(plan_url(pid, "/versions/2/diff/3"))).json()
    assert diff["goals"]["changed"] == [
        {
            "id": goal_id,
            "name": GOAL["description"],
            "fields": {"addresses": {"before": [housing], "after": [food]}},
        }
    ]


async def test_handing_an_activity_to_another_party_shows_their_name(
    chart: PatientWithTeam, care_manager: User, client_for: Any, factory: Factory
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await new_plan(client, pid)
    plan = await changed(client, "POST", pid, "/goals", 1, GOAL)
    plan = await changed(
        client,
        "POST",
        pid,
        f"/goals/{plan['goals'][0]['id']}/activities",
        2,
        activity(care_manager.id),
    )
    act_id = plan["goals"][0]["activities"][0]["id"]
    org = await factory.organisation(name="Harbour Housing")
    body = {"responsible": {"kind": "organisation", "organization_id": str(org.id)}}
    plan = await changed(client, "PATCH", pid, f"/activities/{act_id}", 3, body)
    responsible = plan["goals"][0]["activities"][0]["responsible"]
    assert (responsible["kind"], responsible["name"], responsible["user_id"]) == (
        "organisation",
        "Harbour Housing",
        None,
    )
    assert (await client.get(plan_url(pid))).json() == plan

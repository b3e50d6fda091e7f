"""Patients, care teams, related persons, identifiers and enrolments through the JSON API."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.snapshots import PatientRecord, assert_unchanged, rows_of

from tandem.clock import FrozenClock
from tandem.people.models import User

NEW_PATIENT = {
    "given_name": "Amara",
    "family_name": "Okafor",
    "birth_date": "1991-08-02",
    "gender": "female",
    "phone": "+1 555 010 7788",
    "email": "Amara.Okafor@Example.org",
    "preferred_language": "Igbo",
    "interpreter_needed": True,
}


def detail(response: httpx.Response) -> dict[str, Any]:
    body = response.json()["detail"]
    assert isinstance(body, dict), body
    return body


async def team(client: httpx.AsyncClient, patient_id: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/patients/{patient_id}/care-team")
    assert response.status_code == 200, response.text
    return list(response.json())


def active_leads(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in members if m["role"] == "lead_care_manager" and m["status"] == "active"]


# -- registering and editing patients ---------------------------------------------------------


async def test_a_care_manager_who_registers_a_patient_becomes_the_lead(
    factory: Factory, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    response = await client.post("/api/v1/patients", json=NEW_PATIENT)
    assert response.status_code == 201, response.text
    patient = response.json()
    assert re.fullmatch(r"T\d{10}", patient["mrn"])
    assert patient["display_name"] == "Okafor, Amara"
    assert patient["email"] == "amara.okafor@example.org"
    assert patient["age"] == 34
    assert patient["lead_care_manager"] == care_manager.full_name
    [lead] = active_leads(await team(client, patient["id"]))
    assert lead["user_id"] == str(care_manager.id)
    record = await factory.patient_record(uuid.UUID(patient["id"]))
    [stored] = rows_of(record, "patient")
    assert (
        stored["given_name"],
        stored["family_name"],
        stored["birth_date"],
        stored["email"],
        stored["preferred_language"],
        stored["interpreter_needed"],
        stored["status"],
    ) == ("Amara", "Okafor", date(1991, 8, 2), "amara.okafor@example.org", "Igbo", True, "active")
    [member] = rows_of(record, "care_team_member")
    assert (member["user_id"], member["role"], member["status"]) == (
        care_manager.id,
        "lead_care_manager",
        "active",
    )
    created = [
        (e.action, e.record_type)
        for e in await factory.audit_events(after=before)
        if e.action == "C"
    ]
    assert created == [("C", "Patient"), ("C", "CareTeamMember")]


async def test_a_therapist_who_registers_a_patient_joins_as_therapist_without_a_lead(
    factory: Factory, client_for: Any
) -> None:
    client = await client_for(await factory.user(role="therapist"))
    response = await client.post("/api/v1/patients", json=NEW_PATIENT)
    assert response.status_code == 201
    assert response.json()["lead_care_manager"] is None
    members = await team(client, response.json()["id"])
    assert [m["role"] for m in members] == ["therapist"]
    record = await factory.patient_record(uuid.UUID(response.json()["id"]))
    assert [m["role"] for m in rows_of(record, "care_team_member")] == ["therapist"]
    assert [p["family_name"] for p in rows_of(record, "patient")] == ["Okafor"]


async def test_an_administrator_cannot_register_patients(
    factory: Factory, admin: User, client_for: Any
) -> None:
    client = await client_for(admin)
    async with factory.unchanged():
        assert (await client.post("/api/v1/patients", json=NEW_PATIENT)).status_code == 403


async def test_same_name_and_birth_date_warns_of_a_duplicate_until_confirmed(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    same = {
        **NEW_PATIENT,
        "given_name": "JOSÉ",
        "family_name": "núñez",
        "birth_date": chart.patient.birth_date.isoformat(),
    }
    async with factory.unchanged():
        warned = await client.post("/api/v1/patients", json=same)
        assert warned.status_code == 409
    body = detail(warned)
    assert body["code"] == "possible_duplicate"
    assert body["field"] == "confirm_not_duplicate"
    assert body["visible_matches"] == [str(chart.patient.id)]
    assert "hidden_matches" not in body

    confirmed = await client.post("/api/v1/patients", json={**same, "confirm_not_duplicate": True})
    assert confirmed.status_code == 201
    assert confirmed.json()["id"] != str(chart.patient.id)
    [stored] = rows_of(await factory.patient_record(uuid.UUID(confirmed.json()["id"])), "patient")
    assert (stored["given_name"], stored["family_name"], stored["birth_date"]) == (
        "JOSÉ",
        "núñez",
        chart.patient.birth_date,
    )


async def test_a_duplicate_on_another_team_is_registered_without_a_word_about_it(
    factory: Factory, chart: PatientWithTeam, outsider: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    same = {
        **NEW_PATIENT,
        "given_name": "José",
        "family_name": "Núñez",
        "birth_date": chart.patient.birth_date.isoformat(),
    }
    created = await client.post("/api/v1/patients", json=same)
    # Answered exactly as a registration with no match would be: no count, no hint.
    assert created.status_code == 201, created.text
    assert "duplicate" not in created.text.lower()
    assert str(chart.patient.id) not in created.text
    assert chart.patient.mrn not in created.text
    [stored] = rows_of(await factory.patient_record(uuid.UUID(created.json()["id"])), "patient")
    assert (stored["given_name"], stored["family_name"]) == ("José", "Núñez")


async def test_an_edit_based_on_an_old_version_is_refused_with_409(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}"
    first = await client.patch(url, json={"version": 1, "preferred_name": "Pepe"})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2
    assert first.json()["display_name"] == "Núñez, José (Pepe)"
    [stored] = rows_of(await factory.patient_record(chart.patient), "patient")
    assert (stored["preferred_name"], stored["version"]) == ("Pepe", 2)

    record = await factory.patient_record(chart.patient)
    stale = await client.patch(url, json={"version": 1, "preferred_name": "Joe"})
    assert stale.status_code == 409
    assert_unchanged(record, await factory.patient_record(chart.patient))
    assert detail(stale)["field"] == "version"
    assert detail(stale)["current_version"] == 2
    assert (await client.get(url)).json()["preferred_name"] == "Pepe"


async def test_an_edit_renames_the_patient_for_search(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}"
    response = await client.patch(url, json={"version": 1, "family_name": "Ibáñez"})
    assert response.status_code == 200
    [stored] = rows_of(await factory.patient_record(chart.patient), "patient")
    assert (stored["family_name"], stored["version"]) == ("Ibáñez", 2)
    found = (await client.get("/api/v1/patients", params={"q": "ibanez"})).json()
    assert [p["id"] for p in found["items"]] == [str(chart.patient.id)]


@pytest.mark.parametrize("field", ["given_name", "family_name", "gender", "birth_date"])
async def test_an_edit_cannot_blank_a_required_field(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any, field: str
) -> None:
    client = await client_for(care_manager)
    record = await factory.patient_record(chart.patient)
    response = await client.patch(
        f"/api/v1/patients/{chart.patient.id}", json={"version": 1, field: None}
    )
    assert response.status_code == 422
    assert detail(response)["field"] == field
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_the_lead_marks_a_registration_entered_in_error_and_it_disappears(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    pcp = await factory.user(role="primary_care_provider")
    await factory.member(chart.patient, pcp)
    url = f"/api/v1/patients/{chart.patient.id}/entered-in-error"
    body = {"version": 1, "reason": "Registered twice by mistake"}
    record = await factory.patient_record(chart.patient)
    assert (await (await client_for(pcp)).post(url, json=body)).status_code == 403
    assert_unchanged(record, await factory.patient_record(chart.patient))

    client = await client_for(care_manager)
    assert (await client.post(url, json=body)).status_code == 204
    [patient] = rows_of(await factory.patient_record(chart.patient), "patient")
    assert (patient["status"], patient["version"]) == ("entered-in-error", 2)
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 404
    assert (await client.get("/api/v1/patients")).json()["total"] == 0


# -- care teams -------------------------------------------------------------------------------


async def test_a_patient_cannot_get_a_second_lead(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    other = await factory.user(role="care_manager")
    client = await client_for(care_manager)
    record = await factory.patient_record(chart.patient)
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/care-team",
        json={"role": "lead_care_manager", "user_id": str(other.id)},
    )
    assert response.status_code == 409
    assert_unchanged(record, await factory.patient_record(chart.patient))
    assert detail(response)["field"] == "role"
    assert len(active_leads(await team(client, chart.patient.id))) == 1


async def test_a_member_cannot_be_promoted_to_a_second_lead(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    other = await factory.user(role="care_manager")
    member = await factory.member(chart.patient, other, role="social_worker")
    client = await client_for(care_manager)
    record = await factory.patient_record(chart.patient)
    response = await client.patch(
        f"/api/v1/patients/{chart.patient.id}/care-team/{member.id}",
        json={"version": member.version, "role": "lead_care_manager"},
    )
    assert response.status_code == 409
    assert_unchanged(record, await factory.patient_record(chart.patient))
    assert len(active_leads(await team(client, chart.patient.id))) == 1


async def test_make_lead_hands_over_in_one_step(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    successor = await factory.user(role="care_manager", full_name="Sam Successor")
    await factory.member(chart.patient, successor, role="social_worker")
    client = await client_for(care_manager)
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/care-team/lead",
        json={"user_id": str(successor.id), "reason": "Caseload rebalancing"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["user_id"] == str(successor.id)

    successor_client = await client_for(successor)
    members = await team(successor_client, chart.patient.id)
    [lead] = active_leads(members)
    assert lead["user_id"] == str(successor.id)
    previous = [m for m in members if m["user_id"] == str(care_manager.id)]
    assert [m["status"] for m in previous] == ["inactive"]
    assert "Caseload rebalancing" in previous[0]["end_reason"]
    # One person, one role: the successor's earlier membership ended too.
    mine = [m for m in members if m["user_id"] == str(successor.id) and m["status"] == "active"]
    assert [m["role"] for m in mine] == ["lead_care_manager"]
    header = (await successor_client.get(f"/api/v1/patients/{chart.patient.id}")).json()
    assert header["lead_care_manager"] == "Sam Successor"


@pytest.mark.parametrize("role", ["therapist", "administrator"])
async def test_the_new_lead_must_be_an_active_care_manager(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any, role: str
) -> None:
    other = await factory.user(role=role)
    client = await client_for(care_manager)
    record = await factory.patient_record(chart.patient)
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/care-team/lead",
        json={"user_id": str(other.id), "reason": "Caseload rebalancing"},
    )
    assert response.status_code == 422
    assert detail(response)["field"] == "user_id"
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_ending_the_lead_is_refused(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    membership = chart.lead_membership
    record = await factory.patient_record(chart.patient)
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/care-team/{membership.id}/end",
        json={"version": membership.version, "reason": "Leaving"},
    )
    assert response.status_code == 422
    assert detail(response)["field"] == "role"
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_ending_a_member_keeps_them_in_the_history(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    therapist = await factory.user(role="therapist")
    member = await factory.member(chart.patient, therapist, role="therapist")
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}/care-team/{member.id}/end"
    response = await client.post(url, json={"version": 1, "reason": "Treatment completed"})
    assert response.status_code == 200, response.text
    ended = response.json()
    assert (ended["status"], ended["end_date"], ended["end_reason"]) == (
        "inactive",
        clock.today().isoformat(),
        "Treatment completed",
    )
    record = await factory.patient_record(chart.patient)
    again = await client.post(url, json={"version": ended["version"], "reason": "Again"})
    assert again.status_code == 422
    assert_unchanged(record, await factory.patient_record(chart.patient))
    assert detail(again)["field"] == "status"
    history = {m["id"]: m["status"] for m in await team(client, chart.patient.id)}
    assert history[str(member.id)] == "inactive"


async def test_a_membership_added_by_mistake_is_marked_entered_in_error(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    therapist = await factory.user(role="therapist")
    member = await factory.member(chart.patient, therapist, role="therapist")
    client = await client_for(care_manager)
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/care-team/{member.id}/end",
        json={"version": 1, "reason": "Wrong therapist", "entered_in_error": True},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "entered-in-error"
    [stored] = [
        m
        for m in rows_of(await factory.patient_record(chart.patient), "care_team_member")
        if m["id"] == member.id
    ]
    assert (stored["status"], stored["end_reason"]) == ("entered-in-error", "Wrong therapist")
    assert (
        await (await client_for(therapist)).get(f"/api/v1/patients/{chart.patient.id}")
    ).status_code == 404


async def test_adding_members_checks_who_and_when(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}/care-team"
    therapist = await factory.user(role="therapist")
    added = await client.post(url, json={"role": "therapist", "user_id": str(therapist.id)})
    assert added.status_code == 201, added.text
    assert added.json()["name"] == therapist.full_name
    [stored] = [
        m
        for m in rows_of(await factory.patient_record(chart.patient), "care_team_member")
        if m["user_id"] == therapist.id
    ]
    assert (stored["role"], stored["status"], stored["start_date"]) == (
        "therapist",
        "active",
        clock.today(),
    )

    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    pcp = await factory.user(role="primary_care_provider")
    inactive = await factory.user(role="therapist", active=False)
    async with factory.unchanged(chart.patient):
        twice = await client.post(
            url, json={"role": "peer_specialist", "user_id": str(therapist.id)}
        )
        assert (twice.status_code, detail(twice)["field"]) == (409, "user_id")
        future = await client.post(
            url,
            json={"role": "primary_care_provider", "user_id": str(pcp.id), "start_date": tomorrow},
        )
        assert (future.status_code, detail(future)["field"]) == (422, "start_date")
        nobody = await client.post(
            url, json={"role": "therapist", "user_id": "00000000-0000-4000-8000-000000000000"}
        )
        assert (nobody.status_code, detail(nobody)["field"]) == (422, "user_id")
        gone = await client.post(url, json={"role": "therapist", "user_id": str(inactive.id)})
        assert (gone.status_code, detail(gone)["field"]) == (422, "user_id")


async def test_a_family_caregiver_joins_through_a_related_person(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    person = await factory.related_person(chart.patient, name="Lucía Núñez")
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}/care-team"
    async with factory.unchanged(chart.patient):
        wrong_role = await client.post(
            url, json={"role": "therapist", "related_person_id": str(person.id)}
        )
        assert (wrong_role.status_code, detail(wrong_role)["field"]) == (422, "role")
    joined = await client.post(
        url, json={"role": "family_caregiver", "related_person_id": str(person.id)}
    )
    assert joined.status_code == 201, joined.text
    assert joined.json()["name"] == "Lucía Núñez"
    [caregiver] = [
        m
        for m in rows_of(await factory.patient_record(chart.patient), "care_team_member")
        if m["related_person_id"] == person.id
    ]
    assert (caregiver["role"], caregiver["user_id"], caregiver["status"]) == (
        "family_caregiver",
        None,
        "active",
    )
    other_patient = await factory.patient()
    stranger = await factory.related_person(other_patient.patient)
    async with factory.unchanged(chart.patient, other_patient.patient):
        foreign = await client.post(
            url, json={"role": "family_caregiver", "related_person_id": str(stranger.id)}
        )
        assert (foreign.status_code, detail(foreign)["field"]) == (422, "related_person_id")


# -- related persons ----------------------------------------------------------------------------


async def test_related_persons_are_added_updated_and_ended(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}/related-persons"
    added = await client.post(
        url,
        json={
            "name": "Lucía Núñez",
            "relationship": "parent",
            "phone": "(555) 010-4444",
            "is_emergency_contact": True,
        },
    )
    assert added.status_code == 201, added.text
    person = added.json()
    assert (person["status"], person["start_date"]) == ("active", clock.today().isoformat())

    updated = await client.patch(
        f"{url}/{person['id']}", json={"version": 1, "relationship": "guardian"}
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["relationship"], updated.json()["version"]) == ("guardian", 2)
    [stored] = rows_of(await factory.patient_record(chart.patient), "related_person")
    assert (stored["name"], stored["relationship"], stored["phone"], stored["version"]) == (
        "Lucía Núñez",
        "guardian",
        "(555) 010-4444",
        2,
    )

    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    async with factory.unchanged(chart.patient):
        stale = await client.patch(f"{url}/{person['id']}", json={"version": 1, "notes": "x"})
        assert (stale.status_code, detail(stale)["field"]) == (409, "version")
        blank = await client.patch(f"{url}/{person['id']}", json={"version": 2, "name": None})
        assert (blank.status_code, detail(blank)["field"]) == (422, "name")
        future = await client.post(
            f"{url}/{person['id']}/end",
            json={"version": 2, "reason": "Moved", "end_date": tomorrow},
        )
        assert (future.status_code, detail(future)["field"]) == (422, "end_date")

    ended = await client.post(f"{url}/{person['id']}/end", json={"version": 2, "reason": "Moved"})
    assert ended.status_code == 200, ended.text
    assert (ended.json()["status"], ended.json()["end_date"]) == (
        "inactive",
        clock.today().isoformat(),
    )
    [stored] = rows_of(await factory.patient_record(chart.patient), "related_person")
    assert (stored["status"], stored["end_date"], stored["version"]) == (
        "inactive",
        clock.today(),
        3,
    )
    async with factory.unchanged(chart.patient):
        after = await client.patch(f"{url}/{person['id']}", json={"version": 3, "notes": "x"})
        assert (after.status_code, detail(after)["field"]) == (422, "status")
    listed = (await client.get(url)).json()
    assert [p["status"] for p in listed] == ["inactive"]


async def test_a_related_person_added_by_mistake_is_entered_in_error(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    person = await factory.related_person(chart.patient)
    client = await client_for(care_manager)
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/related-persons/{person.id}/end",
        json={"version": 1, "reason": "Wrong patient", "entered_in_error": True},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "entered-in-error"
    [stored] = rows_of(await factory.patient_record(chart.patient), "related_person")
    assert (stored["id"], stored["status"]) == (person.id, "entered-in-error")


async def test_a_related_person_of_another_patient_is_404(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    mine = await factory.patient(lead=care_manager)
    other_person = await factory.related_person(mine.patient)
    client = await client_for(care_manager)
    records = [await factory.patient_record(p) for p in (chart.patient, mine.patient)]
    response = await client.patch(
        f"/api/v1/patients/{chart.patient.id}/related-persons/{other_person.id}",
        json={"version": 1, "notes": "crossing patients"},
    )
    assert response.status_code == 404
    assert [await factory.patient_record(p) for p in (chart.patient, mine.patient)] == records


# -- identifiers ---------------------------------------------------------------------------------


def identifiers(record: PatientRecord) -> list[tuple[str, str, str]]:
    return [(i["system"], i["value"], i["status"]) for i in rows_of(record, "patient_identifier")]


async def test_an_identifier_belongs_to_one_patient_until_entered_in_error(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    other = await factory.patient(lead=care_manager)
    body = {"system": "medicaid", "value": "MCD-7788-01", "assigner": "State Medicaid"}
    first = await client.post(f"/api/v1/patients/{chart.patient.id}/identifiers", json=body)
    assert first.status_code == 201, first.text
    assert identifiers(await factory.patient_record(chart.patient)) == [
        ("medicaid", "MCD-7788-01", "active")
    ]
    async with factory.unchanged(chart.patient, other.patient):
        taken = await client.post(f"/api/v1/patients/{other.patient.id}/identifiers", json=body)
        assert (taken.status_code, detail(taken)["field"]) == (409, "value")
    other_system = await client.post(
        f"/api/v1/patients/{other.patient.id}/identifiers", json={**body, "system": "insurance"}
    )
    assert other_system.status_code == 201
    assert identifiers(await factory.patient_record(other.patient)) == [
        ("insurance", "MCD-7788-01", "active")
    ]

    identifier = first.json()
    mistaken = await client.post(
        f"/api/v1/patients/{chart.patient.id}/identifiers/{identifier['id']}/entered-in-error",
        json={"version": identifier["version"], "reason": "Typed into the wrong chart"},
    )
    assert mistaken.status_code == 200, mistaken.text
    assert mistaken.json()["status"] == "entered-in-error"
    header = (await client.get(f"/api/v1/patients/{chart.patient.id}")).json()
    assert header["identifiers"] == []
    assert identifiers(await factory.patient_record(chart.patient)) == [
        ("medicaid", "MCD-7788-01", "entered-in-error")
    ]
    reused = await client.post(f"/api/v1/patients/{other.patient.id}/identifiers", json=body)
    assert reused.status_code == 201
    assert sorted(identifiers(await factory.patient_record(other.patient))) == [
        ("insurance", "MCD-7788-01", "active"),
        ("medicaid", "MCD-7788-01", "active"),
    ]


# -- enrolments ---------------------------------------------------------------------------------


async def test_an_enrolment_moves_through_its_phases_and_discharge_closes_it(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}/enrolments"
    start = (clock.today() - timedelta(days=90)).isoformat()
    programme = "Collaborative care - depression and anxiety"
    enrolled = await client.post(url, json={"programme": programme, "start_date": start})
    assert enrolled.status_code == 201, enrolled.text
    enrolment = enrolled.json()
    assert (enrolment["phase"], enrolment["status"]) == ("active", "active")
    header = (await client.get(f"/api/v1/patients/{chart.patient.id}")).json()
    assert header["enrolment"]["programme"] == programme
    [stored] = rows_of(await factory.patient_record(chart.patient), "enrolment")
    assert (stored["programme"], stored["phase"], stored["start_date"]) == (
        programme,
        "active",
        clock.today() - timedelta(days=90),
    )

    async with factory.unchanged(chart.patient):
        twice = await client.post(url, json={"programme": programme, "start_date": start})
        assert (twice.status_code, detail(twice)["field"]) == (409, "programme")

    relapse = await client.patch(
        f"{url}/{enrolment['id']}", json={"version": 1, "phase": "relapse_prevention"}
    )
    assert relapse.status_code == 200, relapse.text
    assert (relapse.json()["phase"], relapse.json()["version"]) == ("relapse_prevention", 2)

    async with factory.unchanged(chart.patient):
        early_end = await client.patch(
            f"{url}/{enrolment['id']}", json={"version": 2, "end_date": clock.today().isoformat()}
        )
        assert (early_end.status_code, detail(early_end)["field"]) == (422, "phase")

    discharged = await client.patch(
        f"{url}/{enrolment['id']}", json={"version": 2, "phase": "discharged"}
    )
    assert discharged.status_code == 200, discharged.text
    closed = discharged.json()
    assert (closed["phase"], closed["status"], closed["end_date"]) == (
        "discharged",
        "inactive",
        clock.today().isoformat(),
    )
    [stored] = rows_of(await factory.patient_record(chart.patient), "enrolment")
    assert (stored["phase"], stored["status"], stored["end_date"], stored["version"]) == (
        "discharged",
        "inactive",
        clock.today(),
        3,
    )
    async with factory.unchanged(chart.patient):
        reopened = await client.patch(
            f"{url}/{enrolment['id']}", json={"version": 3, "phase": "active"}
        )
        assert (reopened.status_code, detail(reopened)["field"]) == (422, "status")
    header = (await client.get(f"/api/v1/patients/{chart.patient.id}")).json()
    assert header["enrolment"] is None
    again = await client.post(url, json={"programme": programme, "start_date": start})
    assert again.status_code == 201
    enrolments = rows_of(await factory.patient_record(chart.patient), "enrolment")
    assert sorted((e["phase"], e["status"]) for e in enrolments) == [
        ("active", "active"),
        ("discharged", "inactive"),
    ]


async def test_a_discharge_date_before_the_start_is_refused(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}/enrolments"
    start = clock.today() - timedelta(days=10)
    enrolment = (
        await client.post(url, json={"programme": "Perinatal", "start_date": start.isoformat()})
    ).json()
    record = await factory.patient_record(chart.patient)
    response = await client.patch(
        f"{url}/{enrolment['id']}",
        json={
            "version": 1,
            "phase": "discharged",
            "end_date": (start - timedelta(days=1)).isoformat(),
        },
    )
    assert (response.status_code, detail(response)["field"]) == (422, "end_date")
    assert_unchanged(record, await factory.patient_record(chart.patient))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"programme": "Perinatal", "start_date": "2999-01-01"}, "start_date"),
        ({"programme": "Perinatal", "start_date": "2020-01-01", "phase": "discharged"}, "phase"),
        (
            {
                "programme": "Perinatal",
                "start_date": "2020-01-01",
                "organization_id": "00000000-0000-4000-8000-000000000000",
            },
            "organization_id",
        ),
    ],
    ids=["future-start", "starts-discharged", "unknown-organisation"],
)
async def test_a_new_enrolment_is_checked(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    body: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    record = await factory.patient_record(chart.patient)
    response = await client.post(f"/api/v1/patients/{chart.patient.id}/enrolments", json=body)
    assert (response.status_code, detail(response)["field"]) == (422, field)
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_an_enrolment_made_by_mistake_is_entered_in_error(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    enrolment = await factory.enrolment(chart.patient)
    client = await client_for(care_manager)
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/enrolments/{enrolment.id}/entered-in-error",
        json={"version": 1, "reason": "Wrong programme"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "entered-in-error"
    [stored] = rows_of(await factory.patient_record(chart.patient), "enrolment")
    assert (stored["id"], stored["status"]) == (enrolment.id, "entered-in-error")
    header = (await client.get(f"/api/v1/patients/{chart.patient.id}")).json()
    assert header["enrolment"] is None


# -- the caseload ----------------------------------------------------------------------------------


@pytest.fixture
async def caseload(factory: Factory, care_manager: User) -> dict[str, PatientWithTeam]:
    people = {
        "jose": await factory.patient(
            lead=care_manager, given_name="José", family_name="Núñez", birth_date=date(1980, 5, 17)
        ),
        "zoe": await factory.patient(
            lead=care_manager, given_name="Zoë", family_name="Adams", birth_date=date(1975, 1, 2)
        ),
        "li": await factory.patient(
            lead=care_manager, given_name="Li", family_name="Wei", birth_date=date(2001, 12, 24)
        ),
    }
    await factory.identifier(people["li"].patient, system="medicaid", value="MCD-55-9001")
    await factory.patient(given_name="José", family_name="Núñez", birth_date=date(1980, 5, 17))
    return people


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nunez", ["jose"]),
        ("NÚÑEZ", ["jose"]),
        ("jose", ["jose"]),
        ("adams zoe", ["zoe"]),
        ("1975-01-02", ["zoe"]),
        ("1/2/1975", ["zoe"]),
        ("12/24/2001", ["li"]),
        ("MCD-55-9001", ["li"]),
        ("MCD-55", []),
        ("", ["zoe", "jose", "li"]),
    ],
)
async def test_the_caseload_is_searched_by_name_birth_date_and_identifier(
    caseload: dict[str, PatientWithTeam],
    care_manager: User,
    client_for: Any,
    query: str,
    expected: list[str],
) -> None:
    client = await client_for(care_manager)
    page = (await client.get("/api/v1/patients", params={"q": query})).json()
    ids = {str(p.patient.id): key for key, p in caseload.items()}
    assert [ids.get(item["id"], "someone else") for item in page["items"]] == expected
    assert page["total"] == len(expected)


async def test_a_name_search_in_given_then_family_order_finds_the_patient(
    caseload: dict[str, PatientWithTeam], care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    page = (await client.get("/api/v1/patients", params={"q": "Zoe Adams"})).json()
    assert [p["id"] for p in page["items"]] == [str(caseload["zoe"].patient.id)]


async def test_the_caseload_is_searched_by_mrn_in_any_case(
    caseload: dict[str, PatientWithTeam], care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    mrn = caseload["li"].patient.mrn
    for query in (mrn, mrn.lower()):
        page = (await client.get("/api/v1/patients", params={"q": query})).json()
        assert [p["mrn"] for p in page["items"]] == [mrn]


async def test_caseload_rows_show_age_role_and_programme(
    factory: Factory, caseload: dict[str, PatientWithTeam], care_manager: User, client_for: Any
) -> None:
    await factory.enrolment(caseload["li"].patient, phase="relapse_prevention")
    client = await client_for(care_manager)
    [row] = (await client.get("/api/v1/patients", params={"q": "wei"})).json()["items"]
    assert row["display_name"] == "Wei, Li"
    assert row["age"] == 24
    assert row["my_role"] == "lead_care_manager"
    assert row["phase"] == "relapse_prevention"


async def test_the_caseload_pages_with_totals(
    factory: Factory, care_manager: User, client_for: Any
) -> None:
    for n in range(23):
        await factory.patient(lead=care_manager, family_name=f"Pager{n:02d}")
    client = await client_for(care_manager)
    pages = [
        (await client.get("/api/v1/patients", params={"page": n, "page_size": 10})).json()
        for n in (1, 2, 3, 4)
    ]
    assert [p["total"] for p in pages] == [23, 23, 23, 23]
    assert [len(p["items"]) for p in pages] == [10, 10, 3, 0]
    names = [item["display_name"] for p in pages for item in p["items"]]
    assert names == sorted(names)
    assert len(set(names)) == 23


async def test_a_patient_with_an_open_safety_alert_heads_the_caseload_until_it_is_resolved(
    factory: Factory, caseload: dict[str, PatientWithTeam], care_manager: User, client_for: Any
) -> None:
    li = caseload["li"].patient
    response = await factory.response(li, care_manager, answers=phq9_answers(12, item9=1))
    client = await client_for(care_manager)
    rows = (await client.get("/api/v1/patients")).json()["items"]
    assert [(r["display_name"], r["safety_alert"]) for r in rows] == [
        ("Wei, Li", True),
        ("Adams, Zoë", False),
        ("Núñez, José", False),
    ]
    alert = (await client.get(f"/api/v1/patients/{li.id}/safety-alerts")).json()[0]
    resolved = await client.post(
        f"/api/v1/patients/{li.id}/safety-alerts/{alert['id']}/resolve",
        json={
            "version": alert["version"],
            "actions": ["safety-plan-created"],
            "action_taken": "Called the patient; safety plan made.",
        },
    )
    assert resolved.status_code == 200, resolved.text
    assert response.alerts_raised == [uuid.UUID(alert["id"])]
    [stored] = rows_of(await factory.patient_record(li), "safety_alert")
    assert (stored["status"], stored["action_taken"], stored["resolved_by"]) == (
        "resolved",
        "Called the patient; safety plan made.",
        care_manager.id,
    )
    rows = (await client.get("/api/v1/patients")).json()["items"]
    assert [r["display_name"] for r in rows] == ["Adams, Zoë", "Núñez, José", "Wei, Li"]
    assert not any(r["safety_alert"] for r in rows)


async def test_the_chart_header_names_the_managing_organisation_read_with_the_decision(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = (await client.get(f"/api/v1/patients/{chart.patient.id}")).json()
    assert before["managing_organization"] is None
    clinic = await factory.organisation(name="Northgate Community Clinic")
    await factory.managed_by(chart.patient, clinic)
    header = (await client.get(f"/api/v1/patients/{chart.patient.id}")).json()
    assert header["managing_organization"] == "Northgate Community Clinic"

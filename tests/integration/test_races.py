"""Every uniqueness rule holds when ten requests race for it: exactly one wins, the others are
answered 409 naming the field, none 500, and the database keeps exactly one active row.

The requests run in parallel through the app's own connection pool against a committed
database of the test's own (the per-test rolled-back transaction would serialise them). On
PostgreSQL they truly race, and the partial unique indexes decide; on SQLite the writes
serialise and the services' own checks answer first.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from sqlalchemy import select
from tests.factories import Factory, PatientWithTeam, api_client, seal_and_verify
from tests.snapshots import PatientRecord, assert_unchanged

from tandem.app import create_app
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.people.models import Organization, PatientIdentifier, User
from tandem.runtime import Runtime

PARALLEL = 10


@dataclass
class Committed:
    app: FastAPI
    factory: Factory
    clients: list[httpx.AsyncClient]

    async def clients_of(self, user: User) -> list[httpx.AsyncClient]:
        """One client per racing request, each with a token of its own (a shared token's
        last-used stamp would make the requests queue behind one row)."""
        made = [api_client(self.app, await self.factory.token(user)) for _ in range(PARALLEL)]
        self.clients.extend(made)
        # Warmed up together: the pool holds a connection for each and every token has been
        # used, so that the racing requests start level.
        warm = await asyncio.gather(*(client.get("/api/v1/patients") for client in made))
        assert {r.status_code for r in warm} == {200}
        return made


@pytest.fixture
async def committed(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[Committed]:
    settings = settings_for(backend.fresh_database())
    runtime = Runtime.build(settings, clock=clock)
    scene = Committed(
        app=create_app(settings, runtime=runtime, check_migrations=False),
        factory=Factory(runtime.sessionmaker, clock),
        clients=[],
    )
    try:
        yield scene
        # Whatever raced, every event is sealed once, in one unbroken line.
        report = await seal_and_verify(runtime)
        assert report.intact and report.unsealed == 0, (report.broken, report.problems)
    finally:
        for client in scene.clients:
            await client.aclose()
        await runtime.engine.dispose()


async def race(
    clients: list[httpx.AsyncClient], url: str, bodies: list[dict[str, Any]]
) -> list[httpx.Response]:
    return list(
        await asyncio.gather(
            *(client.post(url, json=body) for client, body in zip(clients, bodies, strict=True))
        )
    )


def assert_one_wins(responses: list[httpx.Response], *, field: str, won: int = 201) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [won] + [409] * (PARALLEL - 1), [r.text for r in responses]
    refusals = [r.json()["detail"] for r in responses if r.status_code == 409]
    assert {(d["code"], d["field"]) for d in refusals} == {("conflict", field)}, refusals


def others(record: PatientRecord, table: str) -> PatientRecord:
    return {name: rows for name, rows in record.items() if name != table}


def only_added(before: PatientRecord, after: PatientRecord, table: str) -> list[dict[str, Any]]:
    """The rows of ``table`` that are new in ``after``; the losers' writes were rolled back,
    so every other table, and every row of ``table`` that was there, is as it was."""
    assert_unchanged(others(before, table), others(after, table))
    assert [row for row in before[table] if row not in after[table]] == []
    return [dict(row) for row in after[table] if row not in before[table]]


async def lead_and_team(committed: Committed) -> tuple[PatientWithTeam, list[httpx.AsyncClient]]:
    lead = await committed.factory.user(role="care_manager")
    chart = await committed.factory.patient(lead=lead)
    return chart, await committed.clients_of(lead)


# -- a patient's records ----------------------------------------------------------------------


async def one_wins(
    committed: Committed,
    chart: PatientWithTeam,
    clients: list[httpx.AsyncClient],
    path: str,
    body: dict[str, Any],
    *,
    field: str,
    model: type[Any],
) -> None:
    """``body`` sent to the patient's ``path`` ten times at once: one 201, nine 409 naming
    ``field``, and one active ``model`` row with the body's values: the patient's record gains
    that row and nothing else."""
    url = f"/api/v1/patients/{chart.patient.id}/{path}"
    before = await committed.factory.patient_record(chart.patient)
    assert_one_wins(await race(clients, url, [jsonable_encoder(body)] * PARALLEL), field=field)
    after = await committed.factory.patient_record(chart.patient)
    [added] = only_added(before, after, model.__tablename__)
    assert {name: added[name] for name in body} == body
    assert (added["patient_id"], added["status"]) == (chart.patient.id, "active")


async def test_the_same_identifier_added_ten_times_at_once_is_recorded_once(
    committed: Committed,
) -> None:
    chart, clients = await lead_and_team(committed)
    body = {"system": "medicaid", "value": "MCD-RACE-1"}
    await one_wins(
        committed, chart, clients, "identifiers", body, field="value", model=PatientIdentifier
    )


async def test_the_same_user_added_ten_times_at_once_joins_the_team_once(
    committed: Committed,
) -> None:
    chart, clients = await lead_and_team(committed)
    pcp = await committed.factory.user(role="primary_care_provider")
    body = {"role": "primary_care_provider", "user_id": pcp.id}
    await one_wins(
        committed, chart, clients, "care-team", body, field="user_id", model=CareTeamMember
    )


async def test_the_same_caregiver_added_ten_times_at_once_joins_the_team_once(
    committed: Committed,
) -> None:
    chart, clients = await lead_and_team(committed)
    sister = await committed.factory.related_person(chart.patient, relationship="caregiver")
    body = {"role": "family_caregiver", "related_person_id": sister.id}
    await one_wins(
        committed,
        chart,
        clients,
        "care-team",
        body,
        field="related_person_id",
        model=CareTeamMember,
    )


async def test_ten_enrolments_in_one_programme_at_once_open_one(committed: Committed) -> None:
    chart, clients = await lead_and_team(committed)
    body = {
        "programme": "Collaborative care — depression and anxiety",
        "start_date": committed.factory.clock.today(),
    }
    await one_wins(
        committed, chart, clients, "enrolments", body, field="programme", model=Enrolment
    )


# -- the lead care manager --------------------------------------------------------------------


async def leads(committed: Committed, patient_id: uuid.UUID) -> tuple[list[uuid.UUID], int]:
    """The active leads' user ids, and how many lead memberships have ended."""
    async with committed.factory.system_session() as session:
        rows = (
            await session.execute(
                select(CareTeamMember.user_id, CareTeamMember.status).where(
                    CareTeamMember.patient_id == patient_id,
                    CareTeamMember.role == "lead_care_manager",
                )
            )
        ).all()
    active = [user_id for user_id, status in rows if status == "active"]
    return active, sum(1 for _, status in rows if status != "active")


async def hand_over_at_once(
    committed: Committed, patient_id: uuid.UUID, clients: list[httpx.AsyncClient]
) -> tuple[list[httpx.Response], list[User]]:
    candidates = [await committed.factory.user(role="care_manager") for _ in range(PARALLEL)]
    bodies = [{"user_id": str(c.id), "reason": "Caseload rebalanced"} for c in candidates]
    responses = await race(clients, f"/api/v1/patients/{patient_id}/care-team/lead", bodies)
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    # A loser either read the lead a winner had just ended (version) or met the new one (role).
    refusals = [r.json()["detail"] for r in responses if r.status_code == 409]
    assert {d["field"] for d in refusals} <= {"version", "role"}, refusals
    return responses, candidates


async def test_ten_hand_overs_of_the_lead_at_once_leave_exactly_one_lead(
    committed: Committed,
) -> None:
    chart = await committed.factory.patient()
    # The lead who hands over leaves the team; the team's physician stays to hand over again.
    pcp = await committed.factory.user(role="primary_care_provider")
    await committed.factory.member(chart.patient, pcp)
    clients = await committed.clients_of(pcp)
    before = await committed.factory.patient_record(chart.patient)
    responses, candidates = await hand_over_at_once(committed, chart.patient.id, clients)
    winners = [c.id for c, r in zip(candidates, responses, strict=True) if r.status_code == 201]
    after = await committed.factory.patient_record(chart.patient)
    # Hand-overs touch the care team only.
    assert_unchanged(others(before, "care_team_member"), others(after, "care_team_member"))
    active, ended = await leads(committed, chart.patient.id)
    assert len(active) == 1 and active[0] in winners
    # Each hand-over that went through ended the lead it read: none was lost or doubled.
    assert ended == len(winners)


async def test_ten_first_leads_at_once_for_a_patient_without_one_leave_exactly_one(
    committed: Committed,
) -> None:
    # A therapist who registers a patient joins as therapist: the patient has no lead yet.
    therapist = await committed.factory.user(role="therapist")
    clients = await committed.clients_of(therapist)
    registered = await clients[0].post(
        "/api/v1/patients",
        json={
            "given_name": "Noor",
            "family_name": "Haddad",
            "birth_date": "1975-01-30",
            "gender": "female",
        },
    )
    assert registered.status_code == 201, registered.text
    patient_id = uuid.UUID(registered.json()["id"])
    before = await committed.factory.patient_record(patient_id)
    responses, candidates = await hand_over_at_once(committed, patient_id, clients)
    winners = [c.id for c, r in zip(candidates, responses, strict=True) if r.status_code == 201]
    after = await committed.factory.patient_record(patient_id)
    assert_unchanged(others(before, "care_team_member"), others(after, "care_team_member"))
    active, ended = await leads(committed, patient_id)
    assert len(active) == 1 and active[0] in winners
    assert ended == len(winners) - 1


# -- administration ---------------------------------------------------------------------------


async def test_ten_organisations_created_at_once_with_one_name_make_one(
    committed: Committed,
) -> None:
    clients = await committed.clients_of(await committed.factory.user(role="administrator"))
    body = {"name": "Lakeside Family Health", "kind": "primary_care"}
    responses = await race(clients, "/api/v1/organizations", [body] * PARALLEL)
    assert_one_wins(responses, field="name")
    async with committed.factory.system_session() as session:
        made = (await session.execute(select(Organization.name, Organization.kind))).all()
    assert [tuple(row) for row in made] == [(body["name"], body["kind"])]


async def test_ten_users_created_at_once_with_one_username_make_one(
    committed: Committed,
) -> None:
    clients = await committed.clients_of(await committed.factory.user(role="administrator"))
    body = {
        "username": "cm.rivera",
        "full_name": "Dana Rivera",
        "role": "care_manager",
        "password": "a long temporary passphrase",
    }
    responses = await race(clients, "/api/v1/users", [body] * PARALLEL)
    assert_one_wins(responses, field="username")
    async with committed.factory.system_session() as session:
        [user] = (await session.execute(select(User).where(User.username == "cm.rivera"))).scalars()
    assert (user.full_name, user.role, user.active, user.must_change_password) == (
        "Dana Rivera",
        "care_manager",
        True,
        True,
    )


async def test_a_renamed_organisation_racing_for_a_taken_name_is_refused(
    committed: Committed,
) -> None:
    # Ten organisations renamed to the same new name at once: one takes it.
    clients = await committed.clients_of(await committed.factory.user(role="administrator"))
    organisations = [await committed.factory.organisation() for _ in range(PARALLEL)]
    responses = await asyncio.gather(
        *(
            client.patch(f"/api/v1/organizations/{org.id}", json={"name": "Harbour Clinic"})
            for client, org in zip(clients, organisations, strict=True)
        )
    )
    assert_one_wins(list(responses), field="name", won=200)
    # The winner is renamed; the nine that lost keep the names they had.
    async with committed.factory.system_session() as session:
        names = dict((await session.execute(select(Organization.id, Organization.name))).all())
    expected = {
        org.id: "Harbour Clinic" if response.status_code == 200 else org.name
        for org, response in zip(organisations, responses, strict=True)
    }
    assert names == expected


# -- the care plan ----------------------------------------------------------------------------


async def test_ten_care_plans_created_at_once_for_one_patient_open_one(
    committed: Committed,
) -> None:
    chart, clients = await lead_and_team(committed)
    url = f"/api/v1/patients/{chart.patient.id}/care-plan"
    assert_one_wins(await race(clients, url, [{}] * PARALLEL), field="patient_id")
    record = await committed.factory.patient_record(chart.patient)
    assert [dict(row)["status"] for row in record["care_plan"]] == ["active"]
    assert [dict(row)["version"] for row in record["care_plan_version"]] == [1]


async def test_ten_changes_based_on_one_plan_version_let_exactly_one_win(
    committed: Committed,
) -> None:
    chart, clients = await lead_and_team(committed)
    url = f"/api/v1/patients/{chart.patient.id}/care-plan"
    assert (await clients[0].post(url, json={})).status_code == 201
    before = await committed.factory.patient_record(chart.patient)
    goals = [{"description": f"Goal {n}", "reason": f"Change {n}"} for n in range(PARALLEL)]
    responses = await asyncio.gather(
        *(
            client.post(f"{url}/goals", json=goal, headers={"If-Match": '"1"'})
            for client, goal in zip(clients, goals, strict=True)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [412] * (PARALLEL - 1), [r.text for r in responses]
    [winner] = [r.json() for r in responses if r.status_code == 201]
    refusals = [r.json()["detail"] for r in responses if r.status_code == 412]
    assert {(d["field"], d["current_version"]) for d in refusals} == {("If-Match", 2)}
    after = await committed.factory.patient_record(chart.patient)
    # The plan moved on once, with one goal and one version row; nothing else changed.
    assert [dict(row)["version"] for row in after["care_plan"]] == [2]
    assert [dict(row)["description"] for row in after["goal"]] == [
        winner["goals"][0]["description"]
    ]
    assert sorted(dict(row)["version"] for row in after["care_plan_version"]) == [1, 2]
    untouched = {"care_plan", "goal", "care_plan_version"}
    assert_unchanged(
        {k: v for k, v in before.items() if k not in untouched},
        {k: v for k, v in after.items() if k not in untouched},
    )


async def test_ten_safety_plans_started_at_once_for_a_patient_without_a_plan_make_one(
    committed: Committed,
) -> None:
    """With If-None-Match: *, each would start the care plan: one does, nine are told it has
    one now (412), and the patient has one plan at version 1 with one safety plan."""
    chart, clients = await lead_and_team(committed)
    url = f"/api/v1/patients/{chart.patient.id}/care-plan/safety-plan"
    responses = await asyncio.gather(
        *(
            client.put(
                url,
                json={"warning_signs": [{"text": f"Sign {n}"}]},
                headers={"If-None-Match": "*"},
            )
            for n, client in enumerate(clients)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * (PARALLEL - 1), [r.text for r in responses]
    [winner] = [r.json() for r in responses if r.status_code == 200]
    record = await committed.factory.patient_record(chart.patient)
    assert [dict(row)["version"] for row in record["care_plan"]] == [1]
    assert [dict(row)["version"] for row in record["care_plan_version"]] == [1]
    assert len(record["safety_plan"]) == 1
    assert [dict(row)["text"] for row in record["safety_plan_entry"]] == [
        winner["warning_signs"][0]["text"]
    ]


async def test_ten_safety_plans_made_at_once_on_one_plan_version_let_exactly_one_win(
    committed: Committed,
) -> None:
    chart, clients = await lead_and_team(committed)
    plan_url = f"/api/v1/patients/{chart.patient.id}/care-plan"
    assert (await clients[0].post(plan_url, json={})).status_code == 201
    responses = await asyncio.gather(
        *(
            client.patch(
                f"{plan_url}/safety-plan",
                json={"reasons_for_living": [{"text": f"Reason {n}"}]},
                headers={"If-Match": '"1"'},
            )
            for n, client in enumerate(clients)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * (PARALLEL - 1), [r.text for r in responses]
    record = await committed.factory.patient_record(chart.patient)
    assert [dict(row)["version"] for row in record["care_plan"]] == [2]
    assert len(record["safety_plan"]) == 1 and len(record["safety_plan_entry"]) == 1

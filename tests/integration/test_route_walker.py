"""The route walker: every route of the app, for every role, on the patient's team, outside it
and with emergency access, answers what the permission table says — and leaves the trace it
should.

For each call (each inside a savepoint, so every call meets the same patient):

* success where the table grants the route's capability: the page or change works (a form is
  accepted, not sent back), and an audit event records the very record the route served;
* 403 where the user is on the team but their role lacks the capability, 404 where there is no
  care relationship at all: nothing in the database changed, the hidden patient is not named,
  and the refusal is on record naming the capability;
* a route declared as the caller's own never reaches a patient through a proof, and one
  declared as reaching a patient really does.

Routes come from the application itself and each must be declared in walker_spec.py, so a
route added later fails here until someone decides who may use it.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.factories import Factory
from tests.integration.walker_scene import (
    EMERGENCY,
    ON_TEAM,
    OUTSIDE,
    SUBJECTS,
    Route,
    Scene,
    Subject,
    Watch,
    app_routes,
    build_scene,
    call,
    fill,
    snapshot,
    walk,
)
from tests.integration.walker_spec import ROUTES, OnPatient, Own

from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.app import create_app
from tandem.capabilities import Capability
from tandem.config import Settings
from tandem.deps import SessionDep
from tandem.web.deps import PageCtx


def _collection_app() -> FastAPI:
    # Only the route table is read: the engine is created lazily and never connects.
    url = "sqlite+aiosqlite:///never-opened-by-the-route-walker.sqlite3"
    return create_app(Settings(environment="test", database_url=url), check_migrations=False)


ALL_ROUTES = app_routes(_collection_app())


async def _close(scene: Scene) -> None:
    for client in scene.closers:
        await client.aclose()


def test_every_route_of_the_app_is_declared_with_who_may_use_it() -> None:
    found = {r.key for r in ALL_ROUTES}
    assert sorted(found - set(ROUTES)) == [], "declare these in walker_spec.ROUTES"
    assert sorted(set(ROUTES) - found) == [], "these are declared but the app has no such route"


def test_every_patient_route_names_the_patient_or_a_record_of_theirs() -> None:
    for route in ALL_ROUTES:
        if isinstance(ROUTES[route.key], OnPatient):
            assert {"patient_id", "notification_id"} & set(route.params), route.key


def test_the_walk_covers_every_role_on_the_team_outside_it_and_in_an_emergency() -> None:
    bases = {(s.role, s.basis) for s in SUBJECTS}
    for role in {s.role for s in SUBJECTS}:
        assert {(role, ON_TEAM), (role, OUTSIDE), (role, EMERGENCY)} <= bases
    assert {s.role for s in SUBJECTS} == {
        "care_manager",
        "primary_care_provider",
        "psychiatric_consultant",
        "therapist",
        "social_worker",
        "peer_specialist",
        "community_partner",
        "administrator",
        "privacy_officer",
    }
    assert [s.name for s in SUBJECTS if s.lead] == ["care_manager (lead care manager)"]
    names = [s.name for s in SUBJECTS]
    assert len(set(names)) == len(names), "two subjects would share a test id"


@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.name for s in SUBJECTS])
async def test_every_route_answers_as_the_permission_table_says(
    subject: Subject, factory: Factory, app: FastAPI, connection: AsyncConnection
) -> None:
    scene = await build_scene(factory, app, subject)
    problems: list[str] = []
    try:
        with Watch() as watch:
            for route in ALL_ROUTES:
                rule = ROUTES[route.key]
                if isinstance(rule, Own) and not rule.walk:
                    continue
                problems += await walk(route, rule, subject, scene, connection, watch)
    finally:
        await _close(scene)
    assert problems == [], f"{subject.name}:\n" + "\n".join(problems)


async def test_a_team_member_cannot_reach_another_patients_records_through_their_own_patient(
    factory: Factory, app: FastAPI, connection: AsyncConnection
) -> None:
    """The lead of patient B asks for patient A's records under B's address: 404, no change."""
    scene = await build_scene(factory, app, Subject("care_manager", OUTSIDE))
    own = await factory.patient(lead=scene.me, given_name="Bea", family_name="Other")
    problems = []
    try:
        for route in ALL_ROUTES:
            children = [p for p in route.params if p not in {"patient_id", "instrument_code"}]
            if "patient_id" not in route.params or not children:
                continue
            ids = {**scene.ids, "patient_id": own.patient.id}
            savepoint = await connection.begin_nested()
            try:
                before = await snapshot(connection)
                response = await call(route, scene, fill(route, ids))
                if response.status_code != 404:
                    problems.append(f"{route.key}: {response.status_code}")
                if changed := before.differences(await snapshot(connection)):
                    problems.append(f"{route.key}: changed the database: {'; '.join(changed)}")
            finally:
                await savepoint.rollback()
    finally:
        await _close(scene)
    assert problems == []


# -- self-test: the walker catches a route that asks for too little --------------------------

probe = APIRouter(include_in_schema=False)


@probe.get("/patients/{patient_id}/walker-probe/{member_id}")
async def probe_page(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID, member_id: uuid.UUID
) -> HTMLResponse:
    # Asks only for contact details but is declared to need the measurements.
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_contact)
    audit_patient(session, ctx, access, "WalkerProbe", member_id)
    return HTMLResponse("<h1>probe</h1>")


async def test_a_route_added_later_is_found_and_one_asking_too_little_is_caught(
    app: FastAPI, factory: Factory, connection: AsyncConnection
) -> None:
    app.include_router(probe)
    found = [r for r in app_routes(app) if "walker-probe" in r.path]
    assert [r.key for r in found] == ["GET /patients/{patient_id}/walker-probe/{member_id}"]
    assert found[0].key not in ROUTES  # the declaration test would fail for it
    partner = Subject("community_partner", ON_TEAM)
    scene = await build_scene(factory, app, partner)
    try:
        with Watch() as watch:
            declared = OnPatient(Capability.read_measurements)
            problems = await walk(found[0], declared, partner, scene, connection, watch)
            honest = await walk(
                found[0], OnPatient(Capability.read_contact), partner, scene, connection, watch
            )
    finally:
        await _close(scene)
    assert problems and "200 where 403 was due" in problems[0]
    assert honest == []


def test_the_walker_fails_for_a_path_parameter_it_cannot_fill() -> None:
    route = Route("GET", "/patients/{patient_id}/goals/{goal_id}")
    with pytest.raises(KeyError, match="goal_id"):
        fill(route, {"patient_id": uuid.uuid4()})

"""The audit log: every read and write of patient data, append-only and tamper-evident."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from tests.factories import Factory, PatientWithTeam, api_client

from tandem.access.capabilities import Capability
from tandem.access.context import AccessContext
from tandem.access.scope import mark_system
from tandem.access.service import require_patient
from tandem.app import create_app
from tandem.audit import log as audit
from tandem.audit.service import count_events, verify_chain
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.db import create_engine
from tandem.deps import Ctx, SessionDep
from tandem.errors import Conflict
from tandem.people import service as people
from tandem.people.models import Patient, User
from tandem.runtime import Runtime

TANDEM = Path(sys.executable).with_name("tandem")


async def test_a_chart_read_records_who_what_why_and_from_where(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    response = await client.get(f"/api/v1/patients/{chart.patient.id}")
    assert response.status_code == 200
    [event] = await factory.audit_events(after=before)
    assert event.user_id == care_manager.id
    assert event.username == care_manager.username
    assert event.role == "care_manager"
    assert event.action == "R"
    assert event.patient_id == chart.patient.id
    assert event.record_type == "Patient"
    assert event.record_id == str(chart.patient.id)
    assert event.purpose == "TREAT"
    assert event.outcome == 0
    assert event.source_address == "127.0.0.1"


async def test_a_change_records_an_update_naming_the_fields_changed(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    response = await client.patch(
        f"/api/v1/patients/{chart.patient.id}",
        json={"version": chart.patient.version, "preferred_language": "Spanish"},
    )
    assert response.status_code == 200, response.text
    events = await factory.audit_events(after=before)
    update = next(e for e in events if e.action == "U")
    assert update.record_type == "Patient"
    assert update.patient_id == chart.patient.id
    assert update.detail is not None and "preferred_language" in update.detail


async def test_adding_a_related_person_records_a_create(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    response = await client.post(
        f"/api/v1/patients/{chart.patient.id}/related-persons",
        json={"name": "Ana Núñez", "relationship": "sibling"},
    )
    assert response.status_code == 201, response.text
    [event] = await factory.audit_events(after=before)
    assert (event.action, event.record_type, event.record_id) == (
        "C",
        "RelatedPerson",
        response.json()["id"],
    )


async def test_the_caseload_query_is_audited_with_the_patients_it_listed(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    assert (await client.get("/api/v1/patients")).status_code == 200
    [event] = await factory.audit_events(after=before)
    assert (event.action, event.record_type) == ("E", "Caseload")
    assert event.detail is not None and str(chart.patient.id) in event.detail


async def test_a_request_that_fails_after_reading_leaves_no_event_and_no_change(
    app: FastAPI, factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    router = APIRouter()

    @router.post("/audit-probe/{patient_id}")
    async def read_change_then_fail(session: SessionDep, ctx: Ctx, patient_id: uuid.UUID) -> None:
        header = await people.chart_header(session, ctx, patient_id)  # audited read
        access = await require_patient(
            session, ctx, header.id, capability=Capability.edit_demographics
        )
        access.patient.preferred_language = "Klingon"
        await session.flush()
        raise Conflict("Something else went wrong.", field="version")

    api = next(r.app for r in app.routes if getattr(r, "path", "") == "/api/v1")
    api.include_router(router)
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    response = await client.post(f"/api/v1/audit-probe/{chart.patient.id}")
    assert response.status_code == 409
    assert await factory.audit_events(after=before) == []
    patient = await factory.reload(Patient, chart.patient.id)
    assert patient.preferred_language == "English"


async def test_events_queued_in_a_rolled_back_transaction_are_dropped(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, care_manager: User
) -> None:
    ctx = AccessContext(
        user_id=care_manager.id,
        username=care_manager.username,
        role=care_manager.role,
        organization_id=None,
        clock=factory.clock,
    )
    before = await factory.last_audit_id()
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        audit.record(session, ctx, action="R", record_type="Patient")
        await session.rollback()
        await session.commit()
    assert await factory.audit_events(after=before) == []


async def test_a_failed_break_the_glass_attempt_is_audited(
    factory: Factory, chart: PatientWithTeam, outsider: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    before = await factory.last_audit_id()
    response = await client.post(
        "/api/v1/break-glass",
        json={
            "mrn": "T0000000000",
            "birth_date": "1980-05-17",
            "reason": "Patient brought to ED unconscious",
        },
    )
    assert response.status_code == 404
    events = await factory.audit_events(after=before)
    assert [(e.record_type, e.outcome, e.purpose) for e in events] == [("BreakGlass", 4, "BTG")]


async def test_the_chain_verifies_after_many_requests_of_every_kind(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    for round_ in range(8):
        assert (await client.get(f"/api/v1/patients/{pid}")).status_code == 200
        assert (await client.get("/api/v1/patients", params={"q": "nunez"})).status_code == 200
        added = await client.post(
            f"/api/v1/patients/{pid}/identifiers",
            json={"system": "insurance", "value": f"INS-{round_}"},
        )
        assert added.status_code == 201, added.text
        assert (await client.get(f"/api/v1/patients/{pid}/care-team")).status_code == 200
        # A refused request in between must not disturb the chain.
        assert (await client.get(f"/api/v1/patients/{factory.clock.now():%Y}")).status_code == 422
    async with sessionmaker() as session:
        mark_system(session, "tandem audit verify")
        verified, broken = await verify_chain(session)
        assert broken is None
        assert verified == await count_events(session)
        assert verified >= 32


async def _try(connection: AsyncConnection, sql: str) -> None:
    async with connection.begin_nested():
        await connection.execute(text(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET username = 'mallory'",
        "DELETE FROM audit_event",
    ],
    ids=["update", "delete"],
)
async def test_the_database_refuses_to_change_or_delete_audit_events(
    connection: AsyncConnection,
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    sql: str,
) -> None:
    client = await client_for(care_manager)
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 200
    count = len(await factory.audit_events())
    with pytest.raises(DBAPIError, match="append-only"):
        await _try(connection, sql)
    events = await factory.audit_events()
    assert len(events) == count
    assert "mallory" not in {e.username for e in events}


# -- tampering with a committed database, verified by the command line ----------------------


async def _produce_events(
    url: str, settings_for: Callable[..., Settings], clock: FrozenClock
) -> None:
    settings = settings_for(url)
    runtime = Runtime.build(settings, clock=clock)
    try:
        app = create_app(settings, runtime=runtime, check_migrations=False)
        factory = Factory(runtime.sessionmaker, clock)
        lead = await factory.user(role="care_manager")
        chart = await factory.patient(lead=lead)
        async with api_client(app, await factory.token(lead)) as client:
            for _ in range(3):
                response = await client.get(f"/api/v1/patients/{chart.patient.id}")
                assert response.status_code == 200
            assert (await client.get("/api/v1/patients")).status_code == 200
        assert len(await factory.audit_events()) == 4
    finally:
        await runtime.engine.dispose()


TAMPERING = {
    "sqlite": {
        "change": [
            "DROP TRIGGER audit_event_no_update",
            "UPDATE audit_event SET username = 'mallory' WHERE id = 2",
        ],
        "remove": [
            "DROP TRIGGER audit_event_no_delete",
            "DELETE FROM audit_event WHERE id = 2",
        ],
    },
    "postgresql": {
        "change": [
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
            "UPDATE audit_event SET username = 'mallory' WHERE id = 2",
        ],
        "remove": [
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
            "DELETE FROM audit_event WHERE id = 2",
        ],
    },
}


async def _tamper(url: str, statements: list[str]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _audit_verify(url: str) -> tuple[int, str]:
    env = {**os.environ, "TANDEM_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    process = await asyncio.create_subprocess_exec(
        str(TANDEM),
        "audit",
        "verify",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, (stdout + stderr).decode()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tampering", "named"), [("change", "event 2"), ("remove", "event 3")], ids=["change", "remove"]
)
async def test_audit_verify_names_the_tampered_event(
    backend: Any,
    settings_for: Callable[..., Settings],
    clock: FrozenClock,
    tampering: str,
    named: str,
) -> None:
    url = backend.fresh_database()
    await _produce_events(url, settings_for, clock)

    code, output = await _audit_verify(url)
    assert code == 0, output
    assert "intact: 4 events verified" in output

    await _tamper(url, TAMPERING[backend.name][tampering])
    code, output = await _audit_verify(url)
    assert code == 1, output
    assert f"Audit chain broken at {named}" in output

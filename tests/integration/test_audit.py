"""The audit log: every read and write of patient data, append-only and tamper-evident."""

from __future__ import annotations

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
from tests.factories import Factory, PatientWithTeam, api_client, seal_and_verify
from tests.integration.audit_support import tandem_audit
from tests.snapshots import assert_unchanged

from tandem.access.context import AccessContext
from tandem.access.service import require_patient
from tandem.app import create_app
from tandem.audit import log as audit
from tandem.audit.chain import CHAINED_FIELDS, LEGACY_KEY_ID, keyed_link, link_hash
from tandem.capabilities import Capability
from tandem.careteams.service import patients as care_team
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.db import create_engine
from tandem.deps import Ctx, SessionDep
from tandem.errors import Conflict
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
        header = await care_team.chart_header(session, ctx, patient_id)  # audited read
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
    record = await factory.patient_record(chart.patient)
    response = await client.post(f"/api/v1/audit-probe/{chart.patient.id}")
    assert response.status_code == 409
    assert await factory.audit_events(after=before) == []
    assert_unchanged(record, await factory.patient_record(chart.patient))
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
    runtime: Runtime,
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
    report = await seal_and_verify(runtime)
    assert report.intact, (report.broken, report.problems)
    assert report.unsealed == 0
    assert report.verified == len(await factory.audit_events())
    assert report.verified >= 32


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
    url: str, settings: Settings, clock: FrozenClock, *, before: int = 0
) -> None:
    """Four more audited requests, sealed, with a signed checkpoint of the new head."""
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
        assert len(await factory.audit_events()) == before + 4
        checkpoint = await runtime.sealer().checkpoint()
        assert checkpoint is not None and checkpoint.seq == before + 4
    finally:
        await runtime.engine.dispose()


DISABLE = {
    "sqlite": ["DROP TRIGGER audit_event_seal_only", "DROP TRIGGER audit_event_no_delete"],
    "postgresql": ["ALTER TABLE audit_event DISABLE TRIGGER USER"],
}
# What a database administrator without the audit key can do, and where verify must say so.
TAMPERING = {
    "an edited row": (["UPDATE audit_event SET username = 'mallory' WHERE seq = 2"], "position 2"),
    "a deleted tail": (["DELETE FROM audit_event WHERE seq >= 3"], "events 3 to 4 were removed"),
}


async def _tamper(url: str, backend: str, statements: list[str]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in [*DISABLE[backend], *statements]:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _rehash_from(url: str, backend: str, seq: int, *, legacy: bool) -> None:
    """Rewrite position ``seq`` and re-link every event after it, as an administrator without
    the audit key could: with a guessed key, or with the old unkeyed SHA-256 links."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in DISABLE[backend]:
                await connection.execute(text(statement))
            columns = ", ".join((*CHAINED_FIELDS, "seq", "key_id", "prev_hash", "hash"))
            rows = [
                dict(r._mapping)
                for r in await connection.execute(
                    text(f"SELECT {columns} FROM audit_event WHERE seq >= :s ORDER BY seq"),
                    {"s": seq},
                )
            ]
            prev = rows[0]["prev_hash"]
            for index, row in enumerate(rows):
                if index == 0:
                    row["username"] = "mallory"
                row["key_id"] = LEGACY_KEY_ID if legacy else row["key_id"]
                row["prev_hash"] = prev
                row["hash"] = link_hash(prev, row) if legacy else keyed_link(b"g" * 32, prev, row)
                prev = row["hash"]
                await connection.execute(
                    text(
                        "UPDATE audit_event SET username = :username, key_id = :key_id, "
                        "prev_hash = :prev_hash, hash = :hash WHERE id = :id"
                    ),
                    row,
                )
    finally:
        await engine.dispose()


async def _audit_verify(settings: Settings, url: str) -> tuple[int, str]:
    return await tandem_audit(settings, url, "verify")


@pytest.mark.slow
@pytest.mark.parametrize("tampering", [*TAMPERING, "a re-hashed stretch", "unkeyed links"])
async def test_audit_verify_fails_each_tampering_and_says_where(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock, tampering: str
) -> None:
    url = backend.fresh_database()
    settings = settings_for(url)
    await _produce_events(url, settings, clock)
    code, output = await _audit_verify(settings, url)
    assert code == 0, output
    assert "intact: 4 events verified" in output and "1 signed checkpoints" in output

    if tampering in TAMPERING:
        statements, named = TAMPERING[tampering]
        await _tamper(url, backend.name, statements)
    else:
        await _rehash_from(url, backend.name, 2, legacy=tampering == "unkeyed links")
        named = "position 2"
    code, output = await _audit_verify(settings, url)
    assert code == 1, output
    assert named in output, output


@pytest.mark.slow
async def test_audit_verify_reports_a_checkpoint_missing_from_the_sequence(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock
) -> None:
    url = backend.fresh_database()
    settings = settings_for(url)
    await _produce_events(url, settings, clock)
    await _produce_events(url, settings, clock, before=4)  # a second checkpoint, at 8
    log = settings.checkpoint_dir / "checkpoints.jsonl"
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    log.write_text(lines[1] + "\n")
    code, output = await _audit_verify(settings, url)
    assert code == 1, output
    assert "checkpoint 1 is missing" in output

"""Sealing the audit chain behind the requests: requests insert without a lock, the sealer gives
every committed event exactly one place in a keyed chain, and nothing it does twice or leaves
half-done breaks the line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.factories import Factory, PatientWithTeam, api_client, seal_and_verify

from tandem.app import create_app
from tandem.audit.checkpoints import CheckpointLog
from tandem.audit.keys import new_sealing_key
from tandem.audit.models import AuditEvent
from tandem.audit.seal import seal_batch
from tandem.audit.verify import verify
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.people.models import User
from tandem.runtime import Runtime


async def sealed_positions(factory: Factory) -> list[tuple[int, int | None]]:
    """(id, seq) of every event, in id order."""
    async with factory.system_session() as session:
        rows = await session.execute(select(AuditEvent.id, AuditEvent.seq).order_by(AuditEvent.id))
        return [(int(i), s) for i, s in rows.all()]


async def test_a_request_leaves_its_events_unsealed_and_the_sealer_seals_them_in_order(
    runtime: Runtime, factory: Factory, chart: PatientWithTeam, client_for: Any
) -> None:
    client = await client_for(chart.lead)
    for _ in range(3):
        assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 200
    before = await sealed_positions(factory)
    assert before and all(seq is None for _, seq in before)
    done = await runtime.sealer().seal()
    assert done.count == len(before)
    assert len(done.lag_seconds) == done.count
    after = await sealed_positions(factory)
    assert [seq for _, seq in after] == list(range(1, len(after) + 1))


async def test_a_second_pass_seals_only_what_came_since(
    runtime: Runtime, factory: Factory, chart: PatientWithTeam, client_for: Any
) -> None:
    client = await client_for(chart.lead)
    await client.get(f"/api/v1/patients/{chart.patient.id}")
    sealer = runtime.sealer()
    first = await sealer.seal()
    assert (await sealer.seal()).count == 0
    await client.get(f"/api/v1/patients/{chart.patient.id}")
    second = await sealer.seal()
    assert second.count == 1 and second.head_seq == first.head_seq + 1
    assert (await seal_and_verify(runtime)).intact


async def test_a_sealer_stopped_mid_batch_loses_nothing_and_seals_nothing_twice(
    runtime: Runtime, factory: Factory, chart: PatientWithTeam, client_for: Any
) -> None:
    client = await client_for(chart.lead)
    for _ in range(5):
        await client.get(f"/api/v1/patients/{chart.patient.id}")
    async with runtime.sessionmaker() as session:
        half_done = await seal_batch(session, runtime.audit_keys, now=factory.clock.now())
        assert half_done.count > 0
        await session.rollback()  # the process died before its commit
    assert all(seq is None for _, seq in await sealed_positions(factory))
    report = await seal_and_verify(runtime)
    assert report.intact and report.unsealed == 0
    assert report.verified == len(await sealed_positions(factory))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET seq = seq + 100 WHERE seq IS NOT NULL",
        "UPDATE audit_event SET username = 'mallory', seq = 999, hash = 'x', key_id = 'k'"
        " WHERE seq IS NULL",
        "DELETE FROM audit_event WHERE seq IS NULL",
    ],
    ids=["reseal a sealed event", "change an event while sealing it", "delete an unsealed one"],
)
async def test_the_database_lets_only_a_first_seal_through(
    runtime: Runtime,
    connection: AsyncConnection,
    factory: Factory,
    chart: PatientWithTeam,
    client_for: Any,
    sql: str,
) -> None:
    client = await client_for(chart.lead)
    await client.get(f"/api/v1/patients/{chart.patient.id}")
    await runtime.sealer().seal()
    await client.get(f"/api/v1/patients/{chart.patient.id}")  # one sealed, one waiting
    with pytest.raises(DBAPIError, match="append-only"):
        async with connection.begin_nested():
            await connection.execute(text(sql))


async def test_a_refused_access_is_on_record_once_and_sealed_like_any_event(
    runtime: Runtime,
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
    client_for: Any,
) -> None:
    client = await client_for(outsider)
    before = await factory.last_audit_id()
    answer = await client.get(f"/api/v1/patients/{chart.patient.id}/responses")
    assert answer.status_code == 404
    events = await factory.audit_events(after=before)
    assert [(e.record_type, e.outcome, e.patient_id) for e in events] == [
        ("AccessRefused", 4, chart.patient.id)
    ]
    assert (await seal_and_verify(runtime)).intact


async def test_a_hidden_and_a_missing_patient_answer_alike_and_both_are_on_record(
    factory: Factory, chart: PatientWithTeam, outsider: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    before = await factory.last_audit_id()
    hidden = await client.get(f"/api/v1/patients/{chart.patient.id}")
    missing = await client.get("/api/v1/patients/00000000-0000-4000-8000-000000000000")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    refused = [e for e in await factory.audit_events(after=before) if e.outcome == 4]
    assert [e.record_id for e in refused] == [
        str(chart.patient.id),
        "00000000-0000-4000-8000-000000000000",
    ]


async def test_a_chart_page_leaves_one_read_event_naming_everything_it_read(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    before = await factory.last_audit_id()
    page = await browser.client.get(f"/patients/{chart.patient.id}/care-team")
    assert page.status_code == 200
    reads = [
        e
        for e in await factory.audit_events(patient_id=chart.patient.id, after=before)
        if e.action == "R"
    ]
    assert len(reads) == 1
    read = json.loads(reads[0].detail or "{}")["read"]
    assert {"Patient", "CareTeam"} <= {record_type for record_type, _ in read}


async def test_a_rotated_sealing_key_takes_over_and_both_stretches_verify(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock
) -> None:
    url = backend.fresh_database()
    first = settings_for(url)
    rotated = settings_for(
        url,
        audit_key=new_sealing_key(),
        audit_previous_keys=first.audit_key,
        audit_checkpoint_dir=first.checkpoint_dir,
    )
    for settings in (first, rotated):
        runtime = Runtime.build(settings, clock=clock)
        try:
            factory = Factory(runtime.sessionmaker, clock)
            lead = await factory.user(role="care_manager")
            chart = await factory.patient(lead=lead)
            app = create_app(settings, runtime=runtime, check_migrations=False)
            async with api_client(app, await factory.token(lead)) as client:
                await client.get(f"/api/v1/patients/{chart.patient.id}")
            await runtime.sealer().checkpoint()
            report = await seal_and_verify(runtime)
            assert report.intact, (report.broken, report.problems)
        finally:
            await runtime.engine.dispose()
    # The second key took over from a position on; old checkpoints still verify.
    assert report.checkpoints == 2
    async with Factory(
        Runtime.build(rotated, clock=clock).sessionmaker, clock
    ).system_session() as session:
        keys = {k: v for k, v in Runtime.build(rotated).audit_keys.secrets.items() if k != "k-test"}
        without_the_old_key = await verify(session, keys, CheckpointLog(first.checkpoint_dir))
    assert without_the_old_key.broken is not None
    assert without_the_old_key.broken.position == 1


# -- real concurrency (PostgreSQL races; SQLite serialises) ---------------------------------


@pytest.fixture
async def committed(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[tuple[Runtime, Factory, PatientWithTeam]]:
    runtime = Runtime.build(settings_for(backend.fresh_database()), clock=clock)
    factory = Factory(runtime.sessionmaker, clock)
    try:
        yield runtime, factory, await factory.patient()
    finally:
        await runtime.engine.dispose()


async def test_sixteen_clients_and_two_sealers_never_fork_or_skip_the_chain(
    committed: tuple[Runtime, Factory, PatientWithTeam],
) -> None:
    runtime, factory, chart = committed
    app = create_app(runtime.settings, runtime=runtime, check_migrations=False)
    clients = [api_client(app, await factory.token(chart.lead)) for _ in range(16)]
    stop = asyncio.Event()

    async def keep_sealing() -> int:
        sealed = 0
        while not stop.is_set():
            sealed += (await runtime.sealer().seal()).count
            await asyncio.sleep(0)
        return sealed

    async def requests(client: httpx.AsyncClient) -> None:
        for _ in range(10):
            answer = await client.get(f"/api/v1/patients/{chart.patient.id}")
            assert answer.status_code == 200

    try:
        sealers = [asyncio.create_task(keep_sealing()) for _ in range(2)]
        await asyncio.gather(*(requests(c) for c in clients))
        stop.set()
        sealed_by_both = sum(await asyncio.gather(*sealers))
    finally:
        for client in clients:
            await client.aclose()
    report = await seal_and_verify(runtime)
    assert report.intact and report.unsealed == 0, (report.broken, report.problems)
    async with factory.system_session() as session:
        events = await session.scalar(select(func.count()).select_from(AuditEvent))
        distinct = await session.scalar(select(func.count(func.distinct(AuditEvent.seq))))
    # Every committed event sealed exactly once: as many positions as events, none shared.
    assert events == distinct == report.verified
    assert sealed_by_both <= report.verified

"""The audit table by month (PostgreSQL), each chain position taken once (both), and retention:
whole months past the retention period go, and verify tells that apart from a deletion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from tests.factories import Factory, seal_and_verify
from tests.integration.audit_support import tandem_audit

from tandem.access.scope import mark_system
from tandem.audit import retention
from tandem.audit.checkpoints import CheckpointLog
from tandem.audit.partitions import Month, Partitioner, create, create_statement, existing
from tandem.config import Settings
from tandem.db import create_engine
from tandem.runtime import Runtime

INSERT = text(
    "INSERT INTO audit_event (recorded_at, username, role, action, record_type, outcome, purpose)"
    " VALUES (:at, 'ana.cm', 'care_manager', 'R', 'Patient', 0, 'TREAT')"
)


def postgresql_only(backend: Any) -> None:
    if backend.name != "postgresql":
        pytest.skip("monthly partitions are PostgreSQL's")


async def add_events(connection: AsyncConnection, *moments: datetime) -> None:
    for at in moments:
        await connection.execute(INSERT, {"at": at})


async def partition_of(connection: AsyncConnection, at: datetime) -> str:
    found = await connection.scalar(
        text("SELECT tableoid::regclass::text FROM audit_event WHERE recorded_at = :at"),
        {"at": at},
    )
    return str(found)


async def test_the_audit_table_is_partitioned_by_month_with_a_default_for_any_other(
    backend: Any, connection: AsyncConnection
) -> None:
    postgresql_only(backend)
    strategy = await connection.scalar(
        text(
            "SELECT partstrat::text FROM pg_partitioned_table "
            "WHERE partrelid = CAST('audit_event' AS regclass)"
        )
    )
    assert strategy == "r"
    now = datetime.now(UTC)
    distant = datetime(1999, 1, 5, tzinfo=UTC)
    await add_events(connection, now, distant)
    assert await partition_of(connection, now) == Month.of(now).table
    # No month is made for it: the event is kept all the same.
    assert await partition_of(connection, distant) == "audit_event_default"


async def test_the_sealer_makes_the_coming_months_ahead_and_asks_once(
    backend: Any, runtime: Runtime, factory: Factory
) -> None:
    postgresql_only(backend)
    partitioner = Partitioner()
    async with runtime.sessionmaker() as session:
        made = await partitioner.ensure_ahead(session, datetime(2031, 7, 20, tzinfo=UTC))
        assert made == [Month(2031, 7), Month(2031, 8), Month(2031, 9)]
        assert {Month(2031, 7), Month(2031, 9)} <= set(await existing(session))
        assert await partitioner.ensure_ahead(session, datetime(2031, 7, 21, tzinfo=UTC)) == []


async def test_a_month_whose_events_already_sit_in_the_default_is_left_there(
    backend: Any, runtime: Runtime, connection: AsyncConnection
) -> None:
    postgresql_only(backend)
    at = datetime(2001, 6, 3, tzinfo=UTC)
    await add_events(connection, at)
    async with runtime.sessionmaker() as session:
        assert await create(session, Month(2001, 6)) is False
        assert await create(session, Month(2001, 7)) is True
        await session.commit()
    async with runtime.sessionmaker() as session:
        assert Month(2001, 7) in await existing(session)
    assert await partition_of(connection, at) == "audit_event_default"


async def test_a_place_in_the_chain_is_taken_once_whatever_month_the_events_lie_in(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    await add_events(connection, datetime(2026, 3, 1, tzinfo=UTC))
    await runtime.sealer().seal()
    await add_events(connection, datetime(2025, 1, 1, tzinfo=UTC))
    taken = await connection.scalar(text("SELECT max(seq) FROM audit_event"))
    with pytest.raises(IntegrityError, match="audit_chain_position"):
        async with connection.begin_nested():
            await connection.execute(
                text(
                    "UPDATE audit_event SET seq = :seq, hash = 'x', prev_hash = 'y', key_id = 'k'"
                    " WHERE seq IS NULL"
                ),
                {"seq": taken},
            )


async def test_an_event_cannot_arrive_sealed(connection: AsyncConnection) -> None:
    with pytest.raises(DBAPIError, match="arrive unsealed"):
        async with connection.begin_nested():
            await connection.execute(
                text(
                    "INSERT INTO audit_event (recorded_at, username, role, action, record_type, "
                    "outcome, purpose, seq, hash) VALUES (:at, 'x', 'x', 'R', 'Patient', 0, "
                    "'TREAT', 1, 'x')"
                ),
                {"at": datetime(2026, 3, 1, tzinfo=UTC)},
            )


OLD = [datetime(2019, 11, 3, tzinfo=UTC), datetime(2019, 11, 20, tzinfo=UTC)]
# The clock stands at 2026-03-10: six years back is 2020-03-10, so February 2020 (ending on
# 1 March) has expired and March 2020 (ending on 1 April) has not.
EDGE_EXPIRED = datetime(2020, 2, 29, 23, 59, tzinfo=UTC)
EDGE_KEPT = datetime(2020, 3, 1, tzinfo=UTC)


async def remove_expired(
    runtime: Runtime, session: AsyncSession, log: retention.RetentionLog
) -> tuple[list[retention.ExpiredMonth], retention.Boundary | None]:
    """What `tandem audit retention --apply` does, at the test's clock, six years back."""
    return await retention.remove_expired(
        session, log=log, key=runtime.audit_keys.require_signing(), now=runtime.clock.now(), years=6
    )


async def old_and_new_events(runtime: Runtime, connection: AsyncConnection) -> None:
    async with runtime.sessionmaker() as session:
        for month in (Month(2019, 11), Month(2020, 2), Month(2020, 3)):
            assert await create(session, month)
        await session.commit()
    await add_events(connection, *OLD, EDGE_EXPIRED, EDGE_KEPT)
    await runtime.sealer().checkpoint()
    await add_events(connection, datetime(2026, 3, 9, tzinfo=UTC))
    await runtime.sealer().checkpoint()


async def test_retention_removes_only_the_months_past_the_period_and_verify_still_holds(
    backend: Any, runtime: Runtime, connection: AsyncConnection
) -> None:
    postgresql_only(backend)
    await old_and_new_events(runtime, connection)
    log = retention.RetentionLog(CheckpointLog(runtime.settings.checkpoint_dir))
    async with runtime.sessionmaker() as session:
        mark_system(session, "tandem audit retention")
        listed = await retention.expired_months(session, now=runtime.clock.now(), years=6)
        assert [m.month for m in listed] == [Month(2019, 11), Month(2020, 2)]
        assert [m.events for m in listed] == [2, 1]
        _, boundary = await remove_expired(runtime, session, log)
        await session.commit()
    assert boundary is not None and boundary.through == 3
    assert boundary.months == ("audit_event_y2019m11", "audit_event_y2020m02")
    remaining = await connection.scalar(
        text("SELECT count(*) FROM audit_event WHERE recorded_at < :at"), {"at": EDGE_KEPT}
    )
    assert remaining == 0
    assert await partition_of(connection, EDGE_KEPT) == "audit_event_y2020m03"
    report = await seal_and_verify(runtime)
    assert report.intact, (report.broken, report.problems)
    assert report.removed_through == 3 and report.first == 4
    # A second run finds nothing more to remove.
    async with runtime.sessionmaker() as session:
        mark_system(session, "tandem audit retention")
        assert await retention.expired_months(session, now=runtime.clock.now(), years=6) == []


async def test_a_month_dropped_without_a_signed_boundary_fails_verify(
    backend: Any, runtime: Runtime, connection: AsyncConnection
) -> None:
    postgresql_only(backend)
    await old_and_new_events(runtime, connection)
    await connection.execute(text("ALTER TABLE audit_event DETACH PARTITION audit_event_y2019m11"))
    await connection.execute(text("DROP TABLE audit_event_y2019m11"))
    report = await seal_and_verify(runtime)
    assert report.broken is not None and report.broken.position == 3
    assert "position 1 is missing" in report.broken.problem


async def test_a_forged_retention_boundary_is_reported(
    backend: Any, runtime: Runtime, connection: AsyncConnection
) -> None:
    postgresql_only(backend)
    await old_and_new_events(runtime, connection)
    log = retention.RetentionLog(CheckpointLog(runtime.settings.checkpoint_dir))
    async with runtime.sessionmaker() as session:
        mark_system(session, "tandem audit retention")
        await remove_expired(runtime, session, log)
    path = runtime.settings.checkpoint_dir / retention.LOG_NAME
    assert '"through": 3' in path.read_text()
    path.write_text(path.read_text().replace('"through": 3', '"through": 4'))
    report = await seal_and_verify(runtime)
    assert not report.intact
    assert any("retention boundary 1: its signature does not verify" in p for p in report.problems)


async def test_retention_refuses_months_with_events_not_yet_sealed(
    backend: Any, runtime: Runtime, connection: AsyncConnection
) -> None:
    postgresql_only(backend)
    async with runtime.sessionmaker() as session:
        await create(session, Month(2019, 11))
        await session.commit()
    await add_events(connection, *OLD)
    log = retention.RetentionLog(CheckpointLog(runtime.settings.checkpoint_dir))
    async with runtime.sessionmaker() as session:
        mark_system(session, "tandem audit retention")
        with pytest.raises(retention.NotSealedYet, match="2 events"):
            await remove_expired(runtime, session, log)
    assert log.read() == []


async def _old_month_committed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(create_statement(Month(2019, 11))))
            await add_events(connection, *OLD)
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_tandem_audit_retention_lists_then_removes_and_verify_says_so(
    backend: Any, settings_for: Callable[..., Settings]
) -> None:
    url = backend.fresh_database()
    settings = settings_for(url)
    code, output = await tandem_audit(settings, url, "retention")
    if backend.name != "postgresql":
        assert code == 0 and "keeps the audit trail in one table" in output, output
        return
    assert code == 0 and "Nothing older than 6 years" in output, output
    await _old_month_committed(url)
    code, output = await tandem_audit(settings, url, "retention")
    assert code == 0, output
    assert "Would remove audit_event_y2019m11: 2 events" in output, output
    assert "--apply" in output
    code, output = await tandem_audit(settings, url, "retention", "--apply")
    assert code == 0, output
    assert "Removed audit_event_y2019m11: 2 events, up to chain position 2" in output, output
    assert "Retention boundary 1 signed: events up to position 2" in output, output
    code, output = await tandem_audit(settings, url, "verify")
    assert code == 0, output
    assert "Events up to position 2 were removed by retention" in output, output

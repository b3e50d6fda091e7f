"""``python -m bench.audit_search``: the privacy officer's search of the audit trail, on
PostgreSQL, over a trail of ``--events`` synthetic events spread over 180 days.

For each search the privacy officer makes (30 days newest first, refused only, refused first,
emergency access, one user, one patient, a page deep in the results, the refused-attempts
summary) it times the service as a request calls it, and runs the very statements the
repository sent through EXPLAIN (ANALYZE, BUFFERS) to show which index served them. The export
of 30 days is timed end to end (rows per second). It writes bench/.work/audit_search.json and
its section of bench/RESULTS.md (between the audit-search markers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
from rich.console import Console
from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.schema import CreateIndex

from bench import backends, machine
from bench.audit import raw_transactions
from bench.report import write_section
from bench.server import SEED, tandem
from tandem.access.context import AccessContext
from tandem.audit.models import AuditEvent
from tandem.audit.partitions import Month, create_statement
from tandem.clock import Clock
from tandem.db import create_engine, create_sessionmaker
from tandem.privacy import service
from tandem.privacy.search import AuditSearch, SummaryQuery

HERE = Path(__file__).parent
RESULTS = HERE / "RESULTS.md"
START, END = "<!-- audit-search:start -->", "<!-- audit-search:end -->"
console = Console()
PROBER = "bench.prober"

# 2 % refused, 0.2 % emergency access, 400 users, the synthetic patients; one prober who tried
# 300 record ids in the last two days.
FILL = """
WITH patients AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM patient)
INSERT INTO audit_event (recorded_at, username, role, action, patient_id, record_type,
                         record_id, outcome, purpose, source_address)
SELECT now() - (g * (180 * 86400.0 / $1)) * interval '1 second',
       'user' || (g % 400),
       (ARRAY['care_manager','therapist','primary_care_provider','peer_specialist'])[1 + g % 4],
       (ARRAY['R','R','R','U','C','E'])[1 + g % 6],
       p.ids[1 + g % p.n],
       CASE WHEN g % 50 = 0 THEN 'AccessRefused' ELSE 'Patient' END,
       p.ids[1 + g % p.n]::text,
       CASE WHEN g % 50 = 0 THEN 4 ELSE 0 END,
       CASE WHEN g % 500 = 7 THEN 'BTG' WHEN g % 20 = 3 THEN 'HOPERAT' ELSE 'TREAT' END,
       '10.0.' || (g % 250) || '.1'
FROM generate_series(1, $1) AS g, patients AS p
"""
PROBES = """
INSERT INTO audit_event (recorded_at, username, role, action, record_type, record_id, outcome,
                         purpose)
SELECT now() - g * interval '10 minutes', $1, 'peer_specialist', 'E', 'AccessRefused',
       gen_random_uuid()::text, 4, 'TREAT'
FROM generate_series(1, 300) AS g
"""


def options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_search", description=__doc__)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=20, help="timed calls per search")
    parser.add_argument("--seconds", type=float, default=5.0, help="per insert-rate run")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs on audit_event the engine sends, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "audit_event" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def officer(clock: Clock) -> AccessContext:
    return AccessContext(
        user_id=uuid.uuid4(),
        username="bench.officer",
        role="privacy_officer",
        organization_id=None,
        clock=clock,
        purpose="HOPERAT",
    )


Search = Callable[[AsyncSession, AccessContext], Awaitable[Any]]


def searches(clock: Clock, mrn: str, deep_cursor: str) -> dict[str, Search]:
    since = (clock.today() - timedelta(days=29)).isoformat()

    def trail(**values: Any) -> Search:
        query = AuditSearch.model_validate({"from": since, **values})
        return lambda s, ctx: service.search_audit_trail(s, ctx, query, page_size=25)

    return {
        "30 days, newest first": trail(),
        "30 days, refused only": trail(outcome="refused"),
        "30 days, refused first": trail(refused_first=True),
        "30 days, emergency access (BTG)": trail(purpose="BTG"),
        "30 days, one user": trail(user="user17"),
        # The worst case of the user filter: no period, and nobody of that name on the trail.
        "all time, a user with no events": lambda s, ctx: service.search_audit_trail(
            s, ctx, AuditSearch(user="nobody.at.all"), page_size=25
        ),
        "30 days, one patient (MRN)": trail(patient=mrn),
        "30 days, page 41 (keyset cursor)": trail(cursor=deep_cursor),
        "refused-attempts summary, 30 days": lambda s, ctx: service.refused_attempts_summary(
            s, ctx, SummaryQuery()
        ),
    }


INDEX = re.compile(
    r"(?:Index|Index Only) Scan(?: Backward)? using (\w+)|Bitmap Index Scan on (\w+)"
)


async def explain(engine: AsyncEngine, statement: str, parameters: Any) -> dict[str, Any]:
    async with engine.connect() as connection:
        plan = (
            await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        ).scalars()
        lines = [str(line) for line in plan]
    executed = next(
        (
            float(m.group(1))
            for line in lines
            if (m := re.search(r"Execution Time: ([\d.]+)", line))
        ),
        None,
    )
    return {
        "indexes": sorted(
            {m.group(1) or m.group(2) for line in lines for m in INDEX.finditer(line)}
        ),
        "seq_scan": any("Seq Scan on audit_event" in line for line in lines),
        "execution_ms": executed,
        "plan": lines,
    }


async def measure(url: str, runs: int) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    clock = Clock()
    ctx = officer(clock)
    try:
        async with engine.connect() as connection:
            total = await connection.scalar(text("SELECT count(*) FROM audit_event"))
            mrn = await connection.scalar(text("SELECT mrn FROM patient ORDER BY mrn LIMIT 1"))
        deep = await _cursor_after_pages(sessions, ctx, pages=40)
        results: dict[str, Any] = {"events": int(total or 0), "searches": {}}
        for name, run in searches(clock, str(mrn), deep).items():
            timings = []
            for _ in range(runs):
                async with sessions() as session:
                    started = time.perf_counter()
                    found = await run(session, ctx)
                    timings.append((time.perf_counter() - started) * 1000)
                    await session.rollback()  # the search's own audit event is not kept
            with statements(engine) as seen:
                async with sessions() as session:
                    await run(session, ctx)
                    await session.rollback()
            plans = [await explain(engine, sql, params) for sql, params in seen]
            rows = len(getattr(found, "items", None) or getattr(found, "users", []))
            results["searches"][name] = {
                "p50_ms": round(statistics.median(timings), 2),
                "rows": rows,
                "plans": plans,
            }
            console.print(
                f"{name}: {statistics.median(timings):.1f} ms, {rows} rows, "
                + "; ".join(
                    f"{p['indexes'] or 'no index'} {p['execution_ms']} ms"
                    + (" SEQ SCAN" if p["seq_scan"] else "")
                    for p in plans
                )
            )
        results["export"] = await _timed_export(engine, sessions, ctx, clock)
        export = {k: v for k, v in results["export"].items() if k != "batch_plan"}
        console.print(f"export: {export}")
        return results
    finally:
        await engine.dispose()


async def _cursor_after_pages(
    sessions: async_sessionmaker[AsyncSession], ctx: AccessContext, *, pages: int
) -> str:
    since = (ctx.clock.today() - timedelta(days=29)).isoformat()
    cursor: str | None = None
    for _ in range(pages):
        query = AuditSearch.model_validate({"from": since, "cursor": cursor})
        async with sessions() as session:
            page = await service.search_audit_trail(session, ctx, query, page_size=25)
            await session.rollback()
        cursor = page.next_cursor
    assert cursor is not None
    return cursor


async def _timed_export(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    ctx: AccessContext,
    clock: Clock,
) -> dict[str, Any]:
    since = (clock.today() - timedelta(days=29)).isoformat()
    query = AuditSearch.model_validate({"from": since})
    with statements(engine) as seen:
        async with sessions() as session:
            started = time.perf_counter()
            chunks = await service.export_audit_trail(session, ctx, query, reader=sessions)
            await session.rollback()
            size = lines = 0
            async for chunk in chunks:
                size += len(chunk.encode())
                lines += chunk.count("\r\n")
            seconds = time.perf_counter() - started
    # A batch from the middle of the export, with its cursor, as the repository sent it.
    middle = await explain(engine, *seen[len(seen) // 2])
    return {
        "rows": lines - 1,
        "batches": len(seen),
        "seconds": round(seconds, 2),
        "rows_per_second": round((lines - 1) / seconds),
        "mib": round(size / 2**20, 1),
        "batch_plan": middle,
    }


async def fill(dsn: str, events: int) -> float:
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        # The months the trail spans, as the sealer would have made them in their time.
        month, now = Month.of(datetime.now(UTC) - timedelta(days=181)), Month.of(datetime.now(UTC))
        while month <= now:
            await connection.execute(create_statement(month))
            month = month.next()
        await connection.execute(FILL, events)
        await connection.execute(PROBES, PROBER)
        await connection.execute("ANALYZE audit_event")
        return time.perf_counter() - started
    finally:
        await connection.close()


SEARCH_INDEXES = ("ix_audit_event_recorded", "ix_audit_event_refused", "ix_audit_event_btg")


async def _partitions(connection: Any) -> list[str]:
    rows = await connection.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'audit_event'::regclass ORDER BY c.relname"
    )
    return [str(row[0]) for row in rows]


async def _build(connection: Any, name: str, columns_and_where: str) -> float:
    """As migration 0008 builds an index of the monthly partitions: on the parent alone, then
    CONCURRENTLY on each month, each attached to the parent's."""
    started = time.perf_counter()
    await connection.execute(f"CREATE INDEX {name} ON ONLY audit_event {columns_and_where}")
    for partition in await _partitions(connection):
        local = f"{partition}_{name.removeprefix('ix_audit_event_')}_idx"
        await connection.execute(
            f"CREATE INDEX CONCURRENTLY {local} ON {partition} {columns_and_where}"
        )
        await connection.execute(f"ALTER INDEX {name} ATTACH PARTITION {local}")
    return time.perf_counter() - started


async def index_costs(dsn: str, seconds: float) -> dict[str, Any]:
    """What the search's indexes cost: their size over every monthly partition, the time to
    build each (CONCURRENTLY month by month, as migration 0008 does), and audit inserts per
    second from 16 connections with and without them (every request inserts its events)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    ddl: dict[str, str] = {
        str(index.name): str(CreateIndex(index).compile(dialect=dialect)).split(
            " ON audit_event ", 1
        )[1]
        for index in cast(Table, AuditEvent.__table__).indexes
        if index.name in SEARCH_INDEXES
    }
    connection = await asyncpg.connect(dsn)
    try:
        sizes = {
            row["name"]: round(float(row["bytes"]) / 2**20, 1)
            for row in await connection.fetch(
                "SELECT p.relname AS name, sum(pg_relation_size(i.inhrelid)) AS bytes "
                "FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
                "WHERE p.relname = ANY($1::text[]) GROUP BY p.relname",
                list(SEARCH_INDEXES),
            )
        }
        table = await connection.fetchval(
            "SELECT sum(pg_relation_size(inhrelid)) FROM pg_inherits "
            "WHERE inhparent = 'audit_event'::regclass"
        )
        months = len(await _partitions(connection))
        with_indexes = await raw_transactions(dsn, locked=False, connections=16, seconds=seconds)
        for name in SEARCH_INDEXES:
            await connection.execute(f"DROP INDEX {name}")
        without = await raw_transactions(dsn, locked=False, connections=16, seconds=seconds)
        build = {}
        for name in SEARCH_INDEXES:
            build[name] = round(await _build(connection, name, ddl[name]), 2)
        events = await connection.fetchval("SELECT count(*) FROM audit_event")
    finally:
        await connection.close()
    return {
        "table_mib": round(float(table) / 2**20, 1),
        "partitions": months,
        "index_mib": sizes,
        "build_seconds": build,
        "events_at_build": events,
        "inserts_per_second": {"with": round(with_indexes), "without": round(without)},
    }


def main(argv: list[str] | None = None) -> int:
    args = options(sys.argv[1:] if argv is None else argv)
    started = datetime.now(UTC)
    backends.WORK.mkdir(exist_ok=True)
    backend = backends.fresh("postgresql", args.events)
    try:
        tandem(backend, "db", "upgrade")
        tandem(backend, "synth", "--patients", str(args.patients), "--seed", str(SEED))
        dsn = backend.url.replace("postgresql+asyncpg://", "postgresql://")
        filled = asyncio.run(fill(dsn, args.events))
        console.print(f"{args.events:,} events written in {filled:.1f} s")
        result = {
            "started_at": started.isoformat(timespec="seconds"),
            "machine": machine.describe(backends.sqlite_version(), backends.postgresql_version()),
            "fill_seconds": round(filled, 1),
            **asyncio.run(measure(backend.url, args.runs)),
        }
        result["costs"] = asyncio.run(index_costs(dsn, args.seconds))
        console.print(f"costs: {result['costs']}")
    finally:
        if not args.keep:
            backends.drop(backend)
    (backends.WORK / "audit_search.json").write_text(json.dumps(result, indent=2))
    write_section(RESULTS, START, END, section(result))
    console.print(f"Wrote the audit-search section of {RESULTS}")
    return 0


def section(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        START,
        "## The privacy officer's search of the audit trail",
        "",
        f"`python -m bench.audit_search`, {result['started_at']} (UTC), PostgreSQL "
        f"{m.get('postgresql')}, {m['cores']} cores. {result['events']:,} audit events over "
        "180 days (2 % refused, 0.2 % emergency access, 400 users) and one user who tried 300 "
        "record ids in two days. The service timed as a request calls it (median of the runs), "
        "then the statements it sent through `EXPLAIN (ANALYZE, BUFFERS)`.",
        "",
        "| Search | p50 (ms) | Rows | Index used | Statement execution (ms) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, found in result["searches"].items():
        indexes = "; ".join(", ".join(p["indexes"]) or "none" for p in found["plans"])
        executed = " + ".join(f"{p['execution_ms']:.2f}" for p in found["plans"])
        lines.append(
            f"| {name} | {found['p50_ms']:.1f} | {found['rows']} | {indexes} | {executed} |"
        )
    export = result["export"]
    lines += [
        "",
        f"Export of 30 days: {export['rows']:,} rows ({export['mib']} MiB of CSV) in "
        f"{export['batches']} batches, {export['seconds']} s ({export['rows_per_second']:,} "
        f"rows/s); a batch from the middle used {', '.join(export['batch_plan']['indexes'])} "
        f"({export['batch_plan']['execution_ms']:.2f} ms).",
    ]
    costs = result["costs"]
    sizes = ", ".join(f"{n} {costs['index_mib'].get(n)} MiB" for n in SEARCH_INDEXES)
    lines += [
        "",
        f"What the three indexes cost: {sizes} (the table {costs['table_mib']} MiB in "
        f"{costs.get('partitions', '?')} partitions); built CONCURRENTLY month by month on "
        f"{costs['events_at_build']:,} events in "
        f"{', '.join(f'{s} s' for s in costs['build_seconds'].values())}. Audit-only inserts "
        f"from 16 connections: {costs['inserts_per_second']['with']:,}/s with them, "
        f"{costs['inserts_per_second']['without']:,}/s without.",
        END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

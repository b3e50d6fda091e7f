"""``python -m bench.audit``: the audit trail under load, on PostgreSQL.

* audit-only transactions per second from 16 connections, as raw SQL: the old way (a global
  advisory lock, the chain tail read, the insert, held through COMMIT) against today's plain
  insert;
* the chart header and PHQ-9 submissions from 16 concurrent clients through ``tandem serve``
  (and, with ``--before``, through an older build's ``tandem`` for comparison);
* the seal lag (commit to seal) under that load;
* ``verify`` over a chain of ``--verify-events`` sealed events.

It writes its section of bench/RESULTS.md (between the audit markers) and
bench/.work/audit.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from rich.console import Console

from bench import backends, machine
from bench.report import write_section
from bench.server import SEED, TANDEM, Server, issue_token, tandem, typical_care_manager
from tandem.audit.chain import CHAINED_FIELDS, GENESIS, keyed_link
from tandem.audit.checkpoints import CheckpointLog
from tandem.audit.keys import parse_sealing_key
from tandem.audit.partitions import Month, create_statement
from tandem.audit.verify import verify
from tandem.db import create_engine, create_sessionmaker

HERE = Path(__file__).parent
RESULTS = HERE / "RESULTS.md"
START, END = "<!-- audit:start -->", "<!-- audit:end -->"
console = Console()
OLD_LOCK = 7_261_844  # the advisory lock every request took before sealing moved behind them
PHQ9 = {str(i): "LA6569-3" for i in range(1, 10)}


def _dsn(backend: backends.Backend) -> str:
    return backend.url.replace("postgresql+asyncpg://", "postgresql://")


# -- raw SQL ---------------------------------------------------------------------------------

INSERT = (
    "INSERT INTO audit_event (recorded_at, username, role, action, record_type, outcome, "
    "purpose) VALUES (now(), 'bench', 'care_manager', 'R', 'Patient', 0, 'TREAT')"
)


async def raw_transactions(dsn: str, *, locked: bool, connections: int, seconds: float) -> float:
    """Audit-only transactions per second from ``connections`` connections."""
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    done = 0
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        nonlocal done
        async with pool.acquire() as connection:
            while time.perf_counter() < deadline:
                async with connection.transaction():
                    if locked:
                        await connection.execute("SELECT pg_advisory_xact_lock($1)", OLD_LOCK)
                        await connection.fetchrow(
                            "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"
                        )
                    await connection.execute(INSERT)
                done += 1

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return done / elapsed


# -- through the app -------------------------------------------------------------------------


@dataclass
class Load:
    name: str
    latencies_ms: list[float]
    seconds: float
    failures: int
    cpu_busy: float = 0.0
    lock_samples: list[tuple[int, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        samples = self.lock_samples or [(0, 0)]
        return {
            "cpu_busy_pct": round(self.cpu_busy * 100),
            "samples": len(self.lock_samples),
            "advisory_wait_pct": round(100 * sum(1 for a, _ in samples if a) / len(samples)),
            "advisory_waiting_mean": round(statistics.mean(a for a, _ in samples), 1),
            "any_lock_wait_pct": round(100 * sum(1 for _, b in samples if b) / len(samples)),
            "name": self.name,
            "requests": len(ordered),
            "p50_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
            "throughput_rps": round(len(ordered) / self.seconds, 1),
            "failures": self.failures,
        }


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


LOCK_SAMPLE = (
    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'), "
    "count(*) FILTER (WHERE wait_event_type = 'Lock') "
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


async def _sample_locks(dsn: str, stop: asyncio.Event) -> list[tuple[int, int]]:
    """Every 20 ms: how many backends wait on an advisory lock, and on any lock."""
    connection = await asyncpg.connect(dsn)
    samples: list[tuple[int, int]] = []
    try:
        while not stop.is_set():
            row = await connection.fetchrow(LOCK_SAMPLE)
            samples.append((int(row[0]), int(row[1])))
            await asyncio.sleep(0.02)
    finally:
        await connection.close()
    return samples


async def _hammer(
    base_url: str,
    headers: dict[str, str],
    calls: list[tuple[str, str, Any]],
    clients: int,
    dsn: str | None = None,
) -> Load:
    latencies: list[float] = []
    failures = 0
    queue = list(calls)

    async def one_client() -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
            while queue:
                method, url, body = queue.pop()
                started = time.perf_counter()
                answer = await client.request(method, url, json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                if answer.status_code >= 300:
                    failures += 1

    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_locks(dsn, stop)) if dsn else None
    busy0, total0 = _cpu_ticks()
    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    load = Load("", latencies, time.perf_counter() - started, failures)
    busy1, total1 = _cpu_ticks()
    load.cpu_busy = (busy1 - busy0) / max(1, total1 - total0)
    if sampler is not None:
        stop.set()
        load.lock_samples = await sampler
    return load


async def seal_lag(dsn: str, since: datetime) -> dict[str, float]:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag), count(*) FROM ("
            "SELECT extract(epoch FROM sealed_at - recorded_at) AS lag FROM audit_event "
            "WHERE recorded_at >= $1 AND sealed_at IS NOT NULL) t",
            since,
        )
        unsealed = await connection.fetchval(
            "SELECT count(*) FROM audit_event WHERE recorded_at >= $1 AND seq IS NULL", since
        )
    finally:
        await connection.close()
    return {
        "p50_s": round(float(row[0] or 0), 3),
        "p99_s": round(float(row[1] or 0), 3),
        "max_s": round(float(row[2] or 0), 3),
        "sealed": int(row[3] or 0),
        "unsealed_after_run": int(unsealed or 0),
    }


def app_loads(
    backend: backends.Backend,
    command: list[str],
    clients: int,
    requests: int,
    *,
    sealer_worker: bool = False,
) -> dict[str, Any]:
    """Chart header and PHQ-9 submissions from ``clients`` clients, and the seal lag (the
    sealer inside the server, or in a `tandem worker` of its own)."""
    username, _ = typical_care_manager(backend)
    token = issue_token(backend, username, command)
    headers = {"Authorization": f"Bearer {token}"}
    with Server(backend, command=command, workers=2, sealer_worker=sealer_worker) as server:
        caseload = httpx.get(
            f"{server.base_url}/api/v1/patients",
            params={"page_size": 200},
            headers=headers,
            timeout=60,
        ).json()["items"]
        ids = [p["id"] for p in caseload]
        header = [("GET", f"/api/v1/patients/{ids[i % len(ids)]}", None) for i in range(requests)]
        post = [
            (
                "POST",
                f"/api/v1/patients/{ids[i % len(ids)]}/responses",
                {"instrument": "phq-9", "answers": PHQ9},
            )
            for i in range(requests)
        ]
        asyncio.run(_hammer(server.base_url, headers, header[: clients * 4], clients))
        since = datetime.now(UTC)
        dsn = _dsn(backend)
        header_load = asyncio.run(_hammer(server.base_url, headers, header, clients, dsn))
        header_load.name = "chart header"
        post_load = asyncio.run(_hammer(server.base_url, headers, post, clients, dsn))
        post_load.name = "PHQ-9 submitted"
        time.sleep(3)  # one more sealing pass or two
        lag = asyncio.run(seal_lag(_dsn(backend), since)) if command == TANDEM else None
    return {"loads": [header_load.as_dict(), post_load.as_dict()], "seal_lag": lag}


# -- verify over a long chain ----------------------------------------------------------------


# Ten months of events at 10 million: one every 2.6 s, in the monthly partitions they belong to.
CHAIN_STARTS = datetime(2026, 1, 1, tzinfo=UTC)
CHAIN_SPACING = timedelta(seconds=2.6)


async def build_chain(dsn: str, events: int, key: str) -> None:
    """``events`` sealed events, linked as the sealer links them, copied into their months, with
    their chain positions."""
    key_id, secret = parse_sealing_key(key)
    connection = await asyncpg.connect(dsn)
    user = uuid.uuid4()
    prev = GENESIS
    columns = [*CHAINED_FIELDS, "seq", "key_id", "prev_hash", "hash", "sealed_at"]
    last = Month.of(CHAIN_STARTS + CHAIN_SPACING * events)
    month = Month.of(CHAIN_STARTS)
    try:
        while month <= last:
            await connection.execute(create_statement(month))
            month = month.next()
        await connection.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
        batch: list[tuple[Any, ...]] = []
        positions: list[tuple[int, int]] = []
        for n in range(1, events + 1):
            fields = {
                "id": n,
                "recorded_at": CHAIN_STARTS + CHAIN_SPACING * n,
                "user_id": user,
                "username": "bench",
                "role": "care_manager",
                "action": "R",
                "patient_id": uuid.UUID(int=n % 100_000 + 1),
                "record_type": "Patient",
                "record_id": None,
                "outcome": 0,
                "purpose": "TREAT",
                "source_address": "127.0.0.1",
                "detail": None,
                "seq": n,
                "key_id": key_id,
            }
            link = keyed_link(secret, prev, fields)
            batch.append((*[fields[c] for c in columns[:-3]], prev, link, fields["recorded_at"]))
            positions.append((n, n))
            prev = link
            if len(batch) == 50_000 or n == events:
                await connection.copy_records_to_table(
                    "audit_event", records=batch, columns=columns
                )
                await connection.copy_records_to_table(
                    "audit_chain_position", records=positions, columns=["seq", "event_id"]
                )
                batch.clear()
                positions.clear()
        await connection.execute("ALTER TABLE audit_event ENABLE TRIGGER USER")
        await connection.execute("ANALYZE audit_event")
    finally:
        await connection.close()


async def timed_verify(url: str, key: str, checkpoints: Path) -> dict[str, Any]:
    key_id, secret = parse_sealing_key(key)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine, system="bench verify")() as session:
            report = await verify(session, {key_id: secret}, CheckpointLog(checkpoints))
    finally:
        await engine.dispose()
    return {
        "verified": report.verified,
        "intact": report.intact,
        "seconds": round(report.seconds, 1),
        "events_per_second": round(report.per_second),
    }


# -- the run ---------------------------------------------------------------------------------


def options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1600, help="per app scenario")
    parser.add_argument("--seconds", type=float, default=8.0, help="per raw SQL run")
    parser.add_argument("--verify-events", type=int, default=10_000_000)
    parser.add_argument(
        "--before", type=Path, help="an older build's tandem command, measured the same way"
    )
    return parser.parse_args(argv)


def prepared(name: str, command: list[str], patients: int) -> backends.Backend:
    backend = backends.fresh("postgresql", patients)
    tandem(backend, "db", "upgrade", command=command)
    tandem(backend, "synth", "--patients", str(patients), "--seed", str(SEED), command=command)
    console.print(f"{name}: {patients:,} patients ready")
    return backend


def main(argv: list[str] | None = None) -> int:
    args = options(sys.argv[1:] if argv is None else argv)
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine.describe(backends.sqlite_version(), backends.postgresql_version()),
        "patients": args.patients,
        "clients": args.clients,
    }
    backends.WORK.mkdir(exist_ok=True)
    backend = prepared("this build", TANDEM, args.patients)
    try:
        dsn = _dsn(backend)
        result["raw"] = {
            "locked": round(
                asyncio.run(
                    raw_transactions(dsn, locked=True, connections=16, seconds=args.seconds)
                )
            ),
            "plain": round(
                asyncio.run(
                    raw_transactions(dsn, locked=False, connections=16, seconds=args.seconds)
                )
            ),
        }
        console.print(f"raw audit-only transactions/s: {result['raw']}")
        result["after"] = app_loads(backend, TANDEM, args.clients, args.requests)
        console.print(f"this build: {result['after']}")
        result["after_worker"] = app_loads(
            backend, TANDEM, args.clients, args.requests, sealer_worker=True
        )
        console.print(f"this build, sealing in tandem worker: {result['after_worker']}")
    finally:
        backends.drop(backend)
    if args.before:
        old = [str(args.before)]
        backend = prepared("the older build", old, args.patients)
        try:
            result["before"] = app_loads(backend, old, args.clients, args.requests)
            console.print(f"older build: {result['before']}")
        finally:
            backends.drop(backend)
    if not args.verify_events and (backends.WORK / "audit.json").exists():
        # Loads only: keep the last long-chain verify figure.
        kept = json.loads((backends.WORK / "audit.json").read_text()).get("verify")
        if kept:
            result["verify"] = kept
    if args.verify_events:
        backend = backends.fresh("postgresql", args.verify_events)
        try:
            tandem(backend, "db", "upgrade")
            key = "k-bench:" + base64.b64encode(b"b" * 32).decode()
            console.print(f"building a chain of {args.verify_events:,} sealed events")
            asyncio.run(build_chain(_dsn(backend), args.verify_events, key))
            result["verify"] = asyncio.run(
                timed_verify(backend.url, key, backend.data_dir / "checkpoints")
            )
            console.print(f"verify: {result['verify']}")
        finally:
            backends.drop(backend)
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (backends.WORK / "audit.json").write_text(json.dumps(result, indent=2))
    write_section(RESULTS, START, END, section(result))
    console.print(f"Wrote the audit section of {RESULTS}")
    return 0


def section(result: dict[str, Any]) -> str:
    m = result["machine"]
    raw = result["raw"]
    lines = [
        START,
        "## The audit trail under load (PostgreSQL)",
        "",
        f"`python -m bench.audit`, {result['started_at']} to {result['finished_at']} (UTC), on "
        f"{m['cpu']} with {m['cores']} cores, PostgreSQL {m['postgresql']}; "
        f"{result['patients']:,} synthetic patients; {result['clients']} concurrent clients.",
        "",
        "| Audit-only transactions, 16 connections, raw SQL | Per second |",
        "| --- | --- |",
        f"| The old way: global advisory lock, tail read, insert, held through COMMIT "
        f"| {raw['locked']:,} |",
        f"| Today: a plain insert (the sealer chains behind) | {raw['plain']:,} |",
        "",
        "Each app scenario below ran through `tandem serve --workers 2` on the same machine as its"
        " 16 clients. *Advisory lock waits* is the share of 20 ms samples of `pg_stat_activity`"
        " in which at least one backend was waiting on an advisory lock (the old global audit"
        " lock), with the mean number waiting; *CPU busy* is the whole machine's.",
        "",
        "| Build | Scenario | Requests | p50 ms | p99 ms | Requests/s | Failed | Advisory lock "
        "waits | Backends waiting (mean) | CPU busy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    names = {
        "before": "older build",
        "after": "this build",
        "after_worker": "this build, sealer in `tandem worker`",
    }
    for build, build_name in names.items():
        for load in result.get(build, {}).get("loads", []):
            lines.append(
                f"| {build_name} | {load['name']} | "
                f"{load['requests']} | {load['p50_ms']} | {load['p99_ms']} | "
                f"{load['throughput_rps']} | {load['failures']} | "
                f"{load.get('advisory_wait_pct', '—')} % | "
                f"{load.get('advisory_waiting_mean', '—')} "
                f"| {load.get('cpu_busy_pct', '—')} % |"
            )
    for build, where in (("after", "the server's own sealer"), ("after_worker", "`tandem worker`")):
        lag = result.get(build, {}).get("seal_lag")
        if lag:
            lines += [
                "",
                f"Seal lag under that load, {where} every second (commit to seal): p50 "
                f"{lag['p50_s']} s, p99 {lag['p99_s']} s, at most {lag['max_s']} s over "
                f"{lag['sealed']:,} events; {lag['unsealed_after_run']} still waiting 3 s after.",
            ]
    if "verify" in result:
        v = result["verify"]
        lines += [
            "",
            f"`verify` over a chain of {v['verified']:,} sealed events: {v['seconds']} s, "
            f"{v['events_per_second']:,} events/s ({'intact' if v['intact'] else 'BROKEN'}).",
        ]
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

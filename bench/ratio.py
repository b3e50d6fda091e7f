"""Each HTTP scenario against a raw-SQL replay of the very statements its requests run.

A capture server (``bench.capture_server``, on the same database, never timed) answers each
call of a scenario once and records what it ran; the plain ``tandem serve`` is then timed with
the replay of that call's statements (``bench.replay``) right after it, request by request, so
that the machine's noise falls on both alike. Then throughput: ``clients`` concurrent clients
against the app on one server process and on more (PostgreSQL), and the replay on ``clients``
connections, in rounds that alternate which goes first (the rounds' median rate is reported).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx

from bench.capture import (
    BEGIN,
    CAPTURE_DIR_ENV,
    CAPTURE_HEADER,
    COMMIT,
    PING,
    Recording,
    Step,
    capture_path,
    load,
)
from bench.replay import (
    PostgresReplay,
    SqliteReplay,
    fresh,
    pg_connections,
    sqlite_connection,
    sqlite_path,
)
from bench.scenarios import Call, Scenario, Stats, Target, burst, send, summarise

REPO = Path(__file__).resolve().parent.parent
CAPTURE_COMMAND = [sys.executable, "-m", "bench.capture_server"]
RAW = "raw SQL"


def capture_env(directory: Path) -> dict[str, str]:
    """The capture server's environment beside the backend's: where it writes, ``bench``
    importable, and no sealer of its own (the timed server seals)."""
    return {
        CAPTURE_DIR_ENV: str(directory),
        "PYTHONPATH": str(REPO),
        "TANDEM_SEALER_IN_SERVER": "false",
    }


@dataclass
class Replayed:
    """One population size: the timed server (``target``), the capture server, the servers
    with more processes (by their number), and the database the replay runs on."""

    target: Target
    backend: str
    url: str
    capture_url: str
    capture_dir: Path
    more: dict[int, str] = field(default_factory=dict)
    recordings: list[Recording] = field(default_factory=list)

    def calls(self, which: int) -> tuple[Call, ...]:
        """The captured calls of scenario ``which`` (as many as were recorded)."""
        return self.target.scenarios[which].calls[: len(self.recordings)]


def _wait_for(path: Path, seconds: float = 30) -> Recording:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the capture server wrote no {path.name}")
        time.sleep(0.005)
    return load(path)


def capture(replayed: Replayed, which: int, count: int) -> None:
    """Record what each of the scenario's first ``count`` calls runs, through the capture
    server, with the timed requests' credentials."""
    target = replayed.target
    calls = target.scenarios[which].calls[:count]
    replayed.recordings = []
    with httpx.Client(base_url=replayed.capture_url, timeout=60) as client:
        for n, call in enumerate(calls):
            key = f"s{which}-c{n}"
            path = capture_path(replayed.capture_dir, key)
            path.unlink(missing_ok=True)
            headers = target.headers_for(call) | {CAPTURE_HEADER: key}
            if call.body is None:
                answer = client.get(call.path, headers=headers)
            else:
                answer = client.post(call.path, json=call.body, headers=headers)
            found = _wait_for(path)
            if answer.status_code != call.expected or found.status != call.expected:
                raise RuntimeError(f"capturing {call.path} answered {answer.status_code}")
            if found.statements == 0:
                raise RuntimeError(f"capturing {call.path} recorded no statement")
            replayed.recordings.append(found)


@asynccontextmanager
async def replayer(replayed: Replayed, count: int) -> AsyncIterator[list[Any]]:
    """``count`` replayers, each with as many connections as a captured request used."""
    each = max(r.connections for r in replayed.recordings)
    if replayed.backend == "sqlite":
        # The app's SQLite pool holds one connection (one writer): the replay's clients share
        # one too, queueing for it as the app's requests do.
        connections = [sqlite_connection(sqlite_path(replayed.url)) for _ in range(each)]
        try:
            yield [SqliteReplay(connections) for _ in range(count)]
        finally:
            for connection in connections:
                connection.close()
        return
    async with AsyncExitStack() as stack:
        made: list[Any] = []
        # tandem.db's pool lends 20 at most: an engine for every 16.
        for start in range(0, count * each, 16):
            size = min(16, count * each - start)
            made += await stack.enter_async_context(pg_connections(replayed.url, size))
        yield [PostgresReplay(made[n * each : (n + 1) * each]) for n in range(count)]


async def _run(replay: PostgresReplay | SqliteReplay, steps: list[Step]) -> None:
    if isinstance(replay, PostgresReplay):
        await replay.run(steps)
    else:
        replay.run(steps)


def _counts(recordings: list[Recording]) -> dict[str, Any]:
    def per_request(kind: str) -> float:
        return statistics.median(
            sum(s.begins if kind == BEGIN else s.kind == kind for s in r.steps) for r in recordings
        )

    statements = sorted(r.statements for r in recordings)
    return {
        "statements": [statements[0], statistics.median(statements), statements[-1]],
        "begins": per_request(BEGIN),
        "commits": per_request(COMMIT),
        "pings": per_request(PING),
        "connections": max(r.connections for r in recordings),
        "calls_captured": len(recordings),
    }


async def _alternate(
    replayed: list[Replayed], which: int, count: int, warmup: int
) -> list[tuple[Stats, Stats]]:
    latencies: list[tuple[list[float], list[float]]] = [([], []) for _ in replayed]
    async with AsyncExitStack() as stack:
        replays = [(await stack.enter_async_context(replayer(r, 1)))[0] for r in replayed]
        for n in range(warmup + count):
            for i, r in enumerate(replayed):
                j = n % len(r.recordings)
                steps = fresh(r.recordings[j])
                t0 = time.perf_counter()
                send(r.target, r.calls(which)[j])
                t1 = time.perf_counter()
                await _run(replays[i], steps)
                t2 = time.perf_counter()
                if n >= warmup:
                    latencies[i][0].append(t1 - t0)
                    latencies[i][1].append(t2 - t1)
    out = []
    for r, (http, raw) in zip(replayed, latencies, strict=True):
        scenario = r.target.scenarios[which]
        out.append(
            (summarise(scenario, "HTTP", http, sum(http)), summarise(scenario, RAW, raw, sum(raw)))
        )
    return out


async def _raw_burst(
    replays: list[Any], work: Iterator[list[Step]], count: int
) -> tuple[list[float], float]:
    """``count`` replays from ``len(replays)`` concurrent clients."""
    if isinstance(replays[0], SqliteReplay):
        return await asyncio.to_thread(_sqlite_burst, replays, work, count)
    latencies: list[float] = []
    remaining = count

    async def worker(replay: PostgresReplay) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            steps = next(work)
            t0 = time.perf_counter()
            await replay.run(steps)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker(r) for r in replays))
    return latencies, time.perf_counter() - started


def _sqlite_burst(
    replays: list[SqliteReplay], work: Iterator[list[Step]], count: int
) -> tuple[list[float], float]:
    # Threads, since sqlite3 blocks; they share the one connection, taking turns as the
    # app's requests take turns with its pool's one.
    latencies: list[float] = []
    remaining = count
    taking, connection = threading.Lock(), threading.Lock()

    def client(replay: SqliteReplay) -> None:
        nonlocal remaining
        while True:
            with taking:
                if remaining <= 0:
                    return
                remaining -= 1
                steps = next(work)
            t0 = time.perf_counter()
            with connection:
                replay.run(steps)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(r,)) for r in replays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started


@dataclass
class _Mode:
    name: str
    run: Any  # (count) -> awaitable (latencies, seconds)
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _share(count: int, rounds: int, round_: int) -> int:
    return count // rounds + (1 if round_ < count % rounds else 0)


async def _throughput(
    r: Replayed, which: int, count: int, clients: int, rounds: int, warmup: int
) -> list[Stats]:
    scenario = r.target.scenarios[which]
    limits = httpx.Limits(max_connections=clients)
    async with AsyncExitStack() as stack:
        modes: list[_Mode] = []
        servers = {1: r.target.base_url} | r.more
        for processes, base_url in sorted(servers.items()):
            pool = await stack.enter_async_context(
                httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120)
            )
            calls = cycle(r.calls(which))

            def http(n: int, pool: httpx.AsyncClient = pool, calls: Iterator[Call] = calls) -> Any:
                return burst(pool, r.target, calls, n, clients)

            label = f"HTTP, {processes} process" + ("es" if processes > 1 else "")
            modes.append(_Mode(label, http))
        replays = await stack.enter_async_context(replayer(r, clients))
        order = cycle(range(len(r.recordings)))

        def raw(n: int) -> Any:
            # The ids are made fresh before the clock starts.
            return _raw_burst(
                replays, iter([fresh(r.recordings[next(order)]) for _ in range(n)]), n
            )

        modes.append(_Mode(RAW, raw))
        for mode in modes:
            await mode.run(max(warmup, 2 * clients))
        for round_ in range(rounds):
            share = _share(count, rounds, round_)
            for mode in modes if round_ % 2 == 0 else reversed(modes):
                latencies, seconds = await mode.run(share)
                mode.latencies += latencies
                mode.seconds += seconds
                mode.rates.append(share / seconds)
    label = f"{clients} concurrent"
    return [
        replace(
            summarise(Scenario(scenario.name, ()), f"{label}, {m.name}", m.latencies, m.seconds),
            throughput_rps=round(statistics.median(m.rates), 1),
        )
        for m in modes
    ]


def measure(
    replayed: list[Replayed],
    which: int,
    *,
    requests: int,
    clients: int,
    warmup: int,
    rounds: int = 6,
) -> list[dict[str, Any]]:
    """Capture scenario ``which`` on every size, then time it against its replay: one request
    at a time (alternating), then at ``clients`` concurrent clients. One result per size."""
    for r in replayed:
        capture(r, which, requests)

    async def timed() -> list[dict[str, Any]]:
        pairs = await _alternate(replayed, which, requests, warmup)
        results = []
        for r, (http, raw) in zip(replayed, pairs, strict=True):
            together = await _throughput(r, which, requests, clients, rounds, warmup)
            results.append(
                {
                    "scenario": http.scenario,
                    **_counts(r.recordings),
                    "http": http.as_dict(),
                    "raw": raw.as_dict(),
                    "ratio": round(http.p50_ms / raw.p50_ms, 2),
                    "clients": clients,
                    "concurrent": [s.as_dict() for s in together],
                }
            )
        return results

    return asyncio.run(timed())


def describe(found: dict[str, Any]) -> str:
    """One line for the console."""
    rates = ", ".join(
        f"{s['mode'].split(', ', 1)[1]} {s['throughput_rps']:.0f}/s" for s in found["concurrent"]
    )
    return (
        f"{found['scenario']}: {found['statements'][1]:g} statements, HTTP p50 "
        f"{found['http']['p50_ms']:.1f} ms / raw {found['raw']['p50_ms']:.1f} ms = "
        f"{found['ratio']:.2f}; {found['clients']} clients: {rates}"
    )

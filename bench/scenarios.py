"""Timed HTTP scenarios: the caseload list, a name search and the chart header."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import cycle
from typing import Any

import httpx

from tandem.people.rules import fold

API = "/api/v1"


@dataclass(frozen=True)
class Scenario:
    """A named request pattern: the paths are requested in turn, round-robin."""

    name: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Stats:
    """Latency figures in milliseconds and throughput in requests per second."""

    scenario: str
    mode: str
    requests: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    throughput_rps: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy."""
        return asdict(self)


def _get(client: httpx.Client, path: str) -> Any:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def caseload(client: httpx.Client) -> list[dict[str, Any]]:
    """Every patient on the signed-in user's caseload (paged at 200)."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = _get(client, f"{API}/patients?page={page}&page_size=200")
        items.extend(body["items"])
        if len(items) >= body["total"] or not body["items"]:
            return items
        page += 1


def search_term(patients: list[dict[str, Any]]) -> str:
    """The first four letters of a family name from the middle of the caseload."""
    family = patients[len(patients) // 2]["display_name"].split(",")[0]
    return "".join(ch for ch in fold(family) if ch.isalpha())[:4] or "a"


def build(client: httpx.Client) -> tuple[list[Scenario], int, str]:
    """The three scenarios for this user, their caseload size and the search term used."""
    patients = caseload(client)
    if not patients:
        raise RuntimeError("the chosen user has an empty caseload")
    term = search_term(patients)
    scenarios = [
        Scenario("caseload list (page 1)", (f"{API}/patients",)),
        Scenario(f"name search (q={term})", (f"{API}/patients?q={term}",)),
        Scenario("chart header", tuple(f"{API}/patients/{p['id']}" for p in patients)),
    ]
    return scenarios, len(patients), term


def summarise(scenario: Scenario, mode: str, latencies: list[float], elapsed: float) -> Stats:
    """Percentiles of ``latencies`` (seconds) and the rate over ``elapsed`` seconds."""
    ms = sorted(x * 1000 for x in latencies)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return Stats(
        scenario=scenario.name,
        mode=mode,
        requests=len(ms),
        p50_ms=round(statistics.median(ms), 2),
        p99_ms=round(cuts[98], 2),
        mean_ms=round(statistics.fmean(ms), 2),
        throughput_rps=round(len(ms) / elapsed, 1),
    )


@dataclass
class Target:
    """One running server (one population size) and the scenarios built for its user."""

    size: int
    base_url: str
    headers: dict[str, str]
    client: httpx.Client
    scenarios: list[Scenario]


def warm_up(target: Target, count: int) -> None:
    """Untimed requests: connections, caches and prepared statements settle first."""
    for scenario in target.scenarios:
        paths = cycle(scenario.paths)
        for _ in range(count):
            _get(target.client, next(paths))


def interleaved(targets: list[Target], which: int, count: int) -> list[Stats]:
    """``count`` sequential requests per target, alternating targets request by request.

    Alternating means background load on a shared machine falls on every population size
    alike, so their ratio stays meaningful even when absolute figures wobble.
    """
    paths = [cycle(t.scenarios[which].paths) for t in targets]
    latencies: list[list[float]] = [[] for _ in targets]
    for _ in range(count):
        for i, target in enumerate(targets):
            path = next(paths[i])
            t0 = time.perf_counter()
            _get(target.client, path)
            latencies[i].append(time.perf_counter() - t0)
    return [
        summarise(t.scenarios[which], "sequential", lat, sum(lat))
        for t, lat in zip(targets, latencies, strict=True)
    ]


async def _burst(
    client: httpx.AsyncClient, paths: Iterator[str], count: int, clients: int
) -> tuple[list[float], float]:
    latencies: list[float] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            path = next(paths)
            t0 = time.perf_counter()
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}")
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - started


async def _concurrent(
    targets: list[Target], which: int, count: int, clients: int, rounds: int
) -> list[Stats]:
    limits = httpx.Limits(max_connections=clients)
    pools = [
        httpx.AsyncClient(base_url=t.base_url, headers=t.headers, limits=limits, timeout=60)
        for t in targets
    ]
    paths = [cycle(t.scenarios[which].paths) for t in targets]
    latencies: list[list[float]] = [[] for _ in targets]
    elapsed = [0.0 for _ in targets]
    try:
        for round_ in range(rounds):
            share = count // rounds + (1 if round_ < count % rounds else 0)
            order = range(len(targets)) if round_ % 2 == 0 else reversed(range(len(targets)))
            for i in order:
                lat, seconds = await _burst(pools[i], paths[i], share, clients)
                latencies[i] += lat
                elapsed[i] += seconds
    finally:
        for pool in pools:
            await pool.aclose()
    mode = f"{clients} concurrent"
    return [
        summarise(t.scenarios[which], mode, lat, sec)
        for t, lat, sec in zip(targets, latencies, elapsed, strict=True)
    ]


def concurrent(
    targets: list[Target], which: int, count: int, clients: int, rounds: int = 6
) -> list[Stats]:
    """``count`` requests per target from ``clients`` connections, in alternating rounds."""
    return asyncio.run(_concurrent(targets, which, count, clients, rounds))

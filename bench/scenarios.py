"""Timed HTTP scenarios: the caseload list, a name search, the chart header, a patient's PHQ-9
trajectory (and the Measurements page once it exists), and submitting a PHQ-9."""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import cycle
from typing import Any

import httpx

from tandem.assessments.chart import ChartData, render_chart
from tandem.assessments.schemas import TrajectoryRead
from tandem.deps import SESSION_COOKIE
from tandem.people.rules import fold

API = "/api/v1"
PHQ_CODES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
DIFFICULTY_CODES = ("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")
_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Call:
    """One request: a GET, or a POST of ``body`` as JSON; ``page`` for an HTML page, which is
    signed in by the browser's session cookie rather than the bearer token."""

    path: str
    body: dict[str, Any] | None = None
    page: bool = False

    @property
    def expected(self) -> int:
        return 200 if self.body is None else 201


@dataclass(frozen=True)
class Scenario:
    """A named request pattern: the calls are made in turn, round-robin."""

    name: str
    calls: tuple[Call, ...]


def gets(name: str, paths: list[str] | tuple[str, ...], *, page: bool = False) -> Scenario:
    """A scenario of GETs."""
    return Scenario(name, tuple(Call(p, page=page) for p in paths))


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


def _get(client: httpx.Client, path: str, headers: dict[str, str]) -> Any:
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def _check(call: Call, response: httpx.Response) -> None:
    if response.status_code != call.expected:
        verb = "POST" if call.body is not None else "GET"
        raise RuntimeError(
            f"{verb} {call.path} answered {response.status_code}: {response.text[:300]}"
        )


def caseload(client: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every patient on the signed-in user's caseload (paged at 200)."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = _get(client, f"{API}/patients?page={page}&page_size=200", headers)
        items.extend(body["items"])
        if len(items) >= body["total"] or not body["items"]:
            return items
        page += 1


def search_term(patients: list[dict[str, Any]]) -> str:
    """The first four letters of a family name from the middle of the caseload."""
    family = patients[len(patients) // 2]["display_name"].split(",")[0]
    return "".join(ch for ch in fold(family) if ch.isalpha())[:4] or "a"


def phq9_bodies(count: int, seed: int = 9) -> list[dict[str, Any]]:
    """Varied PHQ-9 submissions (every total from 0 to 24), item 9 above 0 in one in 25."""
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        item9 = rng.choice((1, 1, 2)) if rng.random() < 0.04 else 0
        values = [rng.choice((0, 0, 1, 1, 2, 3)) for _ in range(8)] + [item9]
        answers = {str(n + 1): PHQ_CODES[v] for n, v in enumerate(values)}
        answers["difficulty"] = DIFFICULTY_CODES[min(3, sum(values) // 7)]
        bodies.append({"instrument": "phq-9", "answers": answers})
    return bodies


def sign_in(base_url: str, username: str, password: str) -> str:
    """Sign in through the /login form as a browser does; the session cookie's value."""
    with httpx.Client(base_url=base_url, timeout=60) as browser:
        form = browser.get("/login")
        found = _LOGIN_CSRF.search(form.text)
        if form.status_code != 200 or not found:
            raise RuntimeError(f"GET /login answered {form.status_code} without a sign-in form")
        answer = browser.post(
            "/login",
            data={"username": username, "password": password, "login_csrf": found.group(1)},
        )
        cookie = browser.cookies.get(SESSION_COOKIE)
        if answer.status_code != 303 or not cookie:
            raise RuntimeError(f"signing in as {username} answered {answer.status_code}")
        return cookie


def measurements_page_exists(client: httpx.Client, headers: dict[str, str], patient: str) -> bool:
    """Whether this Tandem serves the chart's Measurements page (it arrived with issue 3)."""
    answer = client.get(f"/patients/{patient}/measurements", headers=headers)
    if answer.status_code not in (200, 404):
        raise RuntimeError(f"the Measurements page answered {answer.status_code}")
    return answer.status_code == 200


def build(
    client: httpx.Client, headers: dict[str, str], page_headers: dict[str, str] | None
) -> tuple[list[Scenario], list[dict[str, Any]], str]:
    """The scenarios for this user, their caseload and the search term used. The Measurements
    page is timed when ``page_headers`` (a signed-in browser) is given and the page exists."""
    patients = caseload(client, headers)
    if not patients:
        raise RuntimeError("the chosen user has an empty caseload")
    term = search_term(patients)
    ids = [str(p["id"]) for p in patients]
    scenarios = [
        gets("caseload list (page 1)", (f"{API}/patients",)),
        gets(f"name search (q={term})", (f"{API}/patients?q={term}",)),
        gets("chart header", [f"{API}/patients/{i}" for i in ids]),
        gets("PHQ-9 trajectory (JSON)", [f"{API}/patients/{i}/trajectories/phq-9" for i in ids]),
    ]
    if page_headers is not None and measurements_page_exists(client, page_headers, ids[0]):
        scenarios.append(
            gets(
                "Measurements page (HTML)", [f"/patients/{i}/measurements" for i in ids], page=True
            )
        )
    # Last, because every submission adds to a trajectory the scenarios above read.
    bodies = phq9_bodies(len(ids) * 3)
    scenarios.append(
        Scenario(
            "PHQ-9 submitted (POST)",
            tuple(
                Call(f"{API}/patients/{ids[n % len(ids)]}/responses", body=body)
                for n, body in enumerate(bodies)
            ),
        )
    )
    return scenarios, patients, term


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
    # A signed-in browser's cookie, for HTML pages.
    page_headers: dict[str, str] = field(default_factory=dict)

    def headers_for(self, call: Call) -> dict[str, str]:
        return self.page_headers if call.page else self.headers


def send(target: Target, call: Call) -> httpx.Response:
    """Make one call with the right credentials; raise unless it answered as expected."""
    headers = target.headers_for(call)
    if call.body is None:
        response = target.client.get(call.path, headers=headers)
    else:
        response = target.client.post(call.path, json=call.body, headers=headers)
    _check(call, response)
    return response


def warm_up(target: Target, count: int) -> None:
    """Untimed requests: connections, caches and prepared statements settle first."""
    for scenario in target.scenarios:
        calls = cycle(scenario.calls)
        for _ in range(count):
            send(target, next(calls))


def interleaved(targets: list[Target], which: int, count: int) -> list[Stats]:
    """``count`` sequential requests per target, alternating targets request by request.

    Alternating means background load on a shared machine falls on every population size
    alike, so their ratio stays meaningful even when absolute figures wobble.
    """
    calls = [cycle(t.scenarios[which].calls) for t in targets]
    latencies: list[list[float]] = [[] for _ in targets]
    for _ in range(count):
        for i, target in enumerate(targets):
            call = next(calls[i])
            t0 = time.perf_counter()
            send(target, call)
            latencies[i].append(time.perf_counter() - t0)
    return [
        summarise(t.scenarios[which], "sequential", lat, sum(lat))
        for t, lat in zip(targets, latencies, strict=True)
    ]


async def burst(
    client: httpx.AsyncClient, target: Target, calls: Iterator[Call], count: int, clients: int
) -> tuple[list[float], float]:
    """``count`` calls from ``clients`` concurrent workers on ``client`` (whichever server it
    talks to, with ``target``'s credentials); each latency, and the seconds it took."""
    latencies: list[float] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            call = next(calls)
            headers = target.headers_for(call)
            t0 = time.perf_counter()
            if call.body is None:
                response = await client.get(call.path, headers=headers)
            else:
                response = await client.post(call.path, json=call.body, headers=headers)
            _check(call, response)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - started


async def _concurrent(
    targets: list[Target], which: int, count: int, clients: int, rounds: int
) -> list[Stats]:
    limits = httpx.Limits(max_connections=clients)
    pools = [httpx.AsyncClient(base_url=t.base_url, limits=limits, timeout=60) for t in targets]
    calls = [cycle(t.scenarios[which].calls) for t in targets]
    latencies: list[list[float]] = [[] for _ in targets]
    elapsed = [0.0 for _ in targets]
    try:
        for round_ in range(rounds):
            share = count // rounds + (1 if round_ < count % rounds else 0)
            order = range(len(targets)) if round_ % 2 == 0 else reversed(range(len(targets)))
            for i in order:
                lat, seconds = await burst(pools[i], targets[i], calls[i], share, clients)
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


CHART_SCENARIO = "chart drawn (render_chart, in process)"


def chart_inputs(target: Target, patients: list[str], today: date) -> list[ChartData]:
    """What the Measurements page draws: the caseload's PHQ-9 trajectories as chart data."""
    return [
        ChartData.of(
            TrajectoryRead.model_validate(
                _get(target.client, f"{API}/patients/{p}/trajectories/phq-9", target.headers)
            ),
            today=today,
        )
        for p in patients
    ]


def chart_drawing(charts: list[ChartData], count: int, warmup: int) -> list[Stats]:
    """``render_chart`` on real two-year trajectories, timed in this process (no HTTP): the
    part of the Measurements page that grows with the number of measurements."""
    for n in range(warmup):
        render_chart(charts[n % len(charts)], caption_id="phq-9-caption")
    latencies = []
    for n in range(count):
        t0 = time.perf_counter()
        render_chart(charts[n % len(charts)], caption_id="phq-9-caption")
        latencies.append(time.perf_counter() - t0)
    return [summarise(Scenario(CHART_SCENARIO, ()), "in process", latencies, sum(latencies))]

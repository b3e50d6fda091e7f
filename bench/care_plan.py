"""``python -m bench.care_plan``: the shared care plan over real HTTP, on a synthetic population.

For each backend and size it registers patients through the API and gives each a full plan
(10 goals, 40 activities: 51 versions), then times, each beside a raw-SQL replay of its own
statements (``bench.ratio``): reading the plan (JSON), opening its page, its history page and a
care manager's My responsibilities across their caseload. Saving an edit (a goal changed with
``If-Match``, each request based on the version the one before it made) is timed on its own:
a replay of a captured change would replay a version that is no longer current. It writes
bench/.work/care_plan.json and its section of bench/RESULTS.md (between the care-plan markers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from bench import backends, machine, ratio, scenarios
from bench.report import write_section
from bench.run import Prepared, prepare, replay_servers
from bench.scenarios import Scenario, Stats, Target
from bench.server import Server
from tandem.deps import SESSION_COOKIE
from tandem.synth.command import DEFAULT_STAFF_PASSWORD

HERE = Path(__file__).parent
RESULTS = HERE / "RESULTS.md"
START, END = "<!-- care-plan:start -->", "<!-- care-plan:end -->"
API = "/api/v1"
GOALS, ACTIVITIES_PER_GOAL = 10, 4
KINDS = ("therapy", "medication-review", "check-in-call", "peer-support")
console = Console()


def options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.care_plan", description=__doc__)
    parser.add_argument("--sizes", default="100000", help="population sizes, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--plans", type=int, default=4, help="full plans to read in turn")
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per scenario")
    parser.add_argument("--clients", type=int, default=16, help="clients in the throughput run")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.backend_list = [b.strip() for b in args.backends.split(",") if b.strip()]
    return args


def _ok(response: httpx.Response, expected: int = 200) -> dict[str, Any]:
    if response.status_code != expected:
        raise RuntimeError(
            f"{response.request.url} answered {response.status_code}: {response.text}"
        )
    found: dict[str, Any] = response.json()
    return found


def full_plan(client: httpx.Client, headers: dict[str, str], me: str, n: int) -> str:
    """A patient registered through the API (the registering care manager joins their team)
    with a plan of 10 goals and 40 activities, 51 versions in all; the patient's id."""
    patient = _ok(
        client.post(
            f"{API}/patients",
            json={
                "given_name": f"Plan{n}",
                "family_name": "Benchmark",
                "birth_date": "1980-01-01",
                "gender": "unknown",
            },
            headers=headers,
        ),
        201,
    )
    base = f"{API}/patients/{patient['id']}/care-plan"
    plan = _ok(client.post(base, json={}, headers=headers), 201)
    today = datetime.now(UTC).date()
    for g in range(GOALS):
        body = {"description": f"Goal {g + 1}, in the patient's words", "status": "active"}
        tag = {**headers, "If-Match": f'"{plan["version"]}"'}
        plan = _ok(client.post(f"{base}/goals", json=body, headers=tag), 201)
        goal_id = plan["goals"][-1]["id"]
        for a in range(ACTIVITIES_PER_GOAL):
            mine = a % 2 == 0
            activity = {
                "title": f"Activity {a + 1} of goal {g + 1}",
                "kind": KINDS[a % len(KINDS)],
                "responsible": {"kind": "team_member", "user_id": me}
                if mine
                else {"kind": "patient"},
                "due_on": (today + timedelta(days=7 * a - 7)).isoformat(),
            }
            tag = {**headers, "If-Match": f'"{plan["version"]}"'}
            plan = _ok(
                client.post(f"{base}/goals/{goal_id}/activities", json=activity, headers=tag), 201
            )
    if plan["version"] != 1 + GOALS * (1 + ACTIVITIES_PER_GOAL):
        raise RuntimeError(f"the plan ended at version {plan['version']}")
    return str(patient["id"])


def plan_scenarios(patients: list[str]) -> list[Scenario]:
    return [
        scenarios.gets("care plan (JSON)", [f"{API}/patients/{p}/care-plan" for p in patients]),
        scenarios.gets(
            "care plan page (HTML)", [f"/patients/{p}/care-plan" for p in patients], page=True
        ),
        scenarios.gets(
            "care plan history (HTML)",
            [f"/patients/{p}/care-plan/history" for p in patients],
            page=True,
        ),
        scenarios.gets("My responsibilities (JSON)", (f"{API}/my/responsibilities",)),
    ]


def save_edits(target: Target, patient: str, count: int, warmup: int) -> Stats:
    """``count`` changes of one goal, each based on the version the previous one made."""
    base = f"{API}/patients/{patient}/care-plan"
    plan = _ok(target.client.get(base, headers=target.headers))
    goal_id, version = plan["goals"][0]["id"], plan["version"]
    latencies = []
    for n in range(warmup + count):
        body = {"target": f"PHQ-9 below 5 (edit {n})"}
        tag = {**target.headers, "If-Match": f'"{version}"'}
        t0 = time.perf_counter()
        response = target.client.patch(f"{base}/goals/{goal_id}", json=body, headers=tag)
        elapsed = time.perf_counter() - t0
        version = _ok(response)["version"]
        if n >= warmup:
            latencies.append(elapsed)
    return scenarios.summarise(
        Scenario("care plan edit saved (PATCH)", ()), "sequential", latencies, sum(latencies)
    )


def measure(prepared: Prepared, args: argparse.Namespace) -> dict[str, Any]:
    with ExitStack() as stack:
        server = stack.enter_context(Server(prepared.backend))
        client = stack.enter_context(httpx.Client(base_url=server.base_url, timeout=60))
        me = _ok(client.get(f"{API}/me", headers=prepared.headers))["id"]
        console.print(f"  building {args.plans} full plans")
        patients = [full_plan(client, prepared.headers, str(me), n) for n in range(args.plans)]
        cookie = scenarios.sign_in(server.base_url, prepared.username, DEFAULT_STAFF_PASSWORD)
        page_headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
        target = Target(
            prepared.backend.size,
            server.base_url,
            prepared.headers,
            client,
            plan_scenarios(patients),
            page_headers,
        )
        replayed = replay_servers(stack, prepared, target, [1])
        scenarios.warm_up(target, args.warmup)
        mine = _ok(client.get(f"{API}/my/responsibilities", headers=prepared.headers))
        results = []
        for which in range(len(target.scenarios)):
            (found,) = ratio.measure(
                [replayed], which, requests=args.requests, clients=args.clients, warmup=args.warmup
            )
            console.print(f"  {ratio.describe(found)}")
            results.append(found)
        edit = save_edits(target, patients[0], args.requests, args.warmup)
        console.print(f"  {edit}")
        return {
            "backend": prepared.backend.name,
            "size": prepared.backend.size,
            "care_manager": prepared.username,
            "responsibilities": len(mine["items"]),
            "replay": results,
            "edit": edit.as_dict(),
        }


def _row(
    name: str, http: dict[str, Any], raw: dict[str, Any] | None, found: dict[str, Any] | None
) -> str:
    ratio_text = f"{found['ratio']:.2f}" if found else "—"
    raw_text = f"{raw['p50_ms']:.1f}" if raw else "—"
    rates = ", ".join(f"{s['throughput_rps']:.0f}" for s in found["concurrent"]) if found else "—"
    return (
        f"| {name} | {http['p50_ms']:.1f} | {http['p99_ms']:.1f} | {raw_text} | {ratio_text} "
        f"| {rates} |"
    )


def machine_words(found: dict[str, Any]) -> str:
    return (
        f"{found.get('cpu')}, {found.get('cores')} cores, {found.get('ram_gib')} GiB, "
        f"{found.get('os')}, Python {found.get('python')}, SQLite {found.get('sqlite')}, "
        f"PostgreSQL {found.get('postgresql') or '—'}"
    )


def report(result: dict[str, Any]) -> str:
    lines = [
        START,
        "## The shared care plan",
        "",
        f"`python -m bench.care_plan {result['argv']}` — {result['started_at']} to "
        f"{result['finished_at']}; {machine_words(result['machine'])}.",
        "",
        f"Each plan read has {GOALS} goals, {GOALS * ACTIVITIES_PER_GOAL} activities and "
        f"{1 + GOALS * (1 + ACTIVITIES_PER_GOAL)} versions. Milliseconds; the raw-SQL replay "
        "runs the request's own statements in the same transaction shape; req/s with "
        f"{result['clients']} clients: the app, then the raw replay. Goals: p99 ≤ 30 ms for the "
        "JSON read and ≤ 50 ms for the page.",
        "",
    ]
    for run in result["runs"]:
        lines += [
            f"### {run['backend']}, {run['size']:,} patients (as {run['care_manager']}, "
            f"{run['responsibilities']} open activities of theirs)",
            "",
            "| Request | HTTP p50 | HTTP p99 | Raw p50 | HTTP/raw | req/s (app, raw) |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for found in run["replay"]:
            lines.append(_row(found["scenario"], found["http"], found["raw"], found))
        lines.append(_row(run["edit"]["scenario"], run["edit"], None, None))
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = options(sys.argv[1:] if argv is None else argv)
    started = datetime.now(UTC)
    pg_version = backends.postgresql_version() if "postgresql" in args.backend_list else None
    result: dict[str, Any] = {
        "argv": " ".join(sys.argv[1:] if argv is None else argv),
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine.describe(backends.sqlite_version(), pg_version),
        "clients": args.clients,
        "runs": [],
    }
    backends.WORK.mkdir(exist_ok=True)
    for name in args.backend_list:
        if name == "postgresql" and pg_version is None:
            console.print("[yellow]Skipping postgresql: no server[/yellow]")
            continue
        for size in args.size_list:
            backend = backends.fresh(name, size)
            try:
                result["runs"].append(measure(prepare(backend), args))
            finally:
                backends.drop(backend)
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (backends.WORK / "care_plan.json").write_text(json.dumps(result, indent=2))
    write_section(args.output, START, END, report(result))
    console.print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

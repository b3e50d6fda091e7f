"""``python -m bench.run``: every backend x population size, timed over real HTTP; RESULTS.md."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from bench import backends, care_plan_pdf, machine, ratio, report, scenarios
from bench.server import (
    SEED,
    Server,
    issue_token,
    population_counts,
    tandem,
    timed_synth,
    typical_care_manager,
)
from tandem.deps import SESSION_COOKIE
from tandem.synth.command import DEFAULT_STAFF_PASSWORD

HERE = Path(__file__).parent
console = Console()


def options(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="population sizes, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--requests", type=int, default=300, help="requests per scenario and mode")
    parser.add_argument("--clients", type=int, default=4, help="clients in the concurrent run")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per scenario")
    parser.add_argument(
        "--replay",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time each scenario against a raw-SQL replay of its statements",
    )
    parser.add_argument(
        "--replay-clients", type=int, default=16, help="clients in the replay's throughput run"
    )
    parser.add_argument(
        "--workers",
        default="1,2",
        help="server processes for the replay's throughput run (more than 1: PostgreSQL only)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)
    args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.backend_list = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.worker_list = sorted({int(w) for w in args.workers.split(",") if w.strip()} | {1})
    return args


@dataclass
class Prepared:
    """A migrated, populated database, its typical care manager and their token."""

    backend: backends.Backend
    synth_seconds: float
    username: str
    headers: dict[str, str]
    rows: dict[str, int]


def prepare(backend: backends.Backend) -> Prepared:
    """Fresh schema, ``tandem synth``, the median-caseload care manager, a bearer token."""
    label = f"[bold]{backend.name}[/bold], {backend.size:,} patients"
    console.print(f"{label}: tandem db upgrade")
    tandem(backend, "db", "upgrade")
    console.print(f"{label}: tandem synth")
    seconds = timed_synth(backend)
    username, caseload = typical_care_manager(backend)
    rows = population_counts(backend)
    console.print(
        f"{label}: synth took {seconds:.1f} s "
        f"({rows['assessment_response']:,} responses, {rows['observation']:,} observations); "
        f"timing as {username} ({caseload} patients)"
    )
    token = issue_token(backend, username)
    return Prepared(backend, seconds, username, {"Authorization": f"Bearer {token}"}, rows)


def replay_servers(
    stack: ExitStack, prepared: Prepared, target: scenarios.Target, workers: list[int]
) -> ratio.Replayed:
    """Beside the timed server: the capture server, and servers with more processes."""
    backend = prepared.backend
    directory = backend.data_dir / "captures"
    directory.mkdir(exist_ok=True)
    capture = stack.enter_context(
        Server(
            backend,
            command=ratio.CAPTURE_COMMAND,
            env=ratio.capture_env(directory),
            log="capture.log",
        )
    )
    more = {}
    if backend.name == "postgresql":  # SQLite serves from one process
        for n in (w for w in workers if w > 1):
            more[n] = stack.enter_context(Server(backend, workers=n, log=f"serve-{n}.log")).base_url
    return ratio.Replayed(target, backend.name, backend.url, capture.base_url, directory, more)


def measure(prepared: list[Prepared], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Serve every size of one backend side by side and time the scenarios, interleaved."""
    with ExitStack() as stack:
        targets: list[scenarios.Target] = []
        replays: list[ratio.Replayed] = []
        runs: list[dict[str, Any]] = []
        charts: list[list[scenarios.ChartData]] = []
        for p in prepared:
            server = stack.enter_context(Server(p.backend))
            client = stack.enter_context(httpx.Client(base_url=server.base_url, timeout=60))
            # The HTML pages take a browser's session cookie, not the bearer token.
            cookie = scenarios.sign_in(server.base_url, p.username, DEFAULT_STAFF_PASSWORD)
            page_headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
            plan, patients, term = scenarios.build(client, p.headers, page_headers)
            target = scenarios.Target(
                p.backend.size, server.base_url, p.headers, client, plan, page_headers
            )
            targets.append(target)
            if args.replay:
                replays.append(replay_servers(stack, p, target, args.worker_list))
            # Before the submissions add to them: the trajectories as synthesised.
            ids = [str(x["id"]) for x in patients]
            charts.append(scenarios.chart_inputs(target, ids, datetime.now(UTC).date()))
            runs.append(
                {
                    "backend": p.backend.name,
                    "size": p.backend.size,
                    "synth_seconds": round(p.synth_seconds, 1),
                    "rows": p.rows,
                    "care_manager": p.username,
                    "caseload": len(patients),
                    "search_term": term,
                    "measurements_page": any(s.calls and s.calls[0].page for s in plan),
                    "chart_points": sum(len(c.points) for c in charts[-1]) / len(charts[-1]),
                    "stats": [],
                    "replay": [],
                }
            )
        if len({tuple(s.name.split(" (q=")[0] for s in t.scenarios) for t in targets}) != 1:
            raise RuntimeError("the population sizes were given different scenarios")
        for target in targets:
            scenarios.warm_up(target, args.warmup)
        loads = [machine.load_average()]
        for which in range(len(targets[0].scenarios)):
            for run, stat in zip(
                runs, scenarios.interleaved(targets, which, args.requests), strict=True
            ):
                run["stats"].append(stat.as_dict())
                console.print(f"  {run['size']:>7,} {stat}")
            together = scenarios.concurrent(targets, which, args.requests, args.clients)
            for run, stat in zip(runs, together, strict=True):
                run["stats"].append(stat.as_dict())
                console.print(f"  {run['size']:>7,} {stat}")
            if replays:
                measured = ratio.measure(
                    replays,
                    which,
                    requests=args.requests,
                    clients=args.replay_clients,
                    warmup=args.warmup,
                )
                for run, found in zip(runs, measured, strict=True):
                    run["replay"].append(found)
                    console.print(f"  {run['size']:>7,} {ratio.describe(found)}")
            loads.append(machine.load_average())
        for run, drawn in zip(runs, charts, strict=True):
            for stat in scenarios.chart_drawing(drawn, args.requests, args.warmup):
                run["stats"].append(stat.as_dict())
                console.print(f"  {run['size']:>7,} {stat}")
            # The same full plan at every size: a fifth of the requests tells its time.
            drawings = max(10, args.requests // 5)
            for stat in care_plan_pdf.pdf_drawing(drawings, min(args.warmup, 5)):
                run["stats"].append(stat.as_dict())
                console.print(f"  {run['size']:>7,} {stat}")
        loads.append(machine.load_average())
        for run in runs:
            run["load_average"] = loads
    return runs


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark matrix and write RESULTS.md."""
    args = options(sys.argv[1:] if argv is None else argv)
    started = datetime.now(UTC)
    pg_version = backends.postgresql_version() if "postgresql" in args.backend_list else None
    result: dict[str, Any] = {
        "argv": " ".join(sys.argv[1:] if argv is None else argv),
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine.describe(backends.sqlite_version(), pg_version),
        "seed": SEED,
        "pg_database": backends.PG_DATABASE,
        "requests": args.requests,
        "clients": args.clients,
        "replay_clients": args.replay_clients if args.replay else None,
        "runs": [],
        "skipped": [],
    }
    backends.WORK.mkdir(exist_ok=True)
    for name in args.backend_list:
        if name == "postgresql" and pg_version is None:
            note = f"postgresql: no server at {backends.PG_ADMIN_DSN} (set TANDEM_BENCH_PG)."
            console.print(f"[yellow]Skipping {note}[/yellow]")
            result["skipped"].append(note)
            continue
        made: list[backends.Backend] = []
        try:
            prepared = []
            for size in args.size_list:
                made.append(backends.fresh(name, size))
                prepared.append(prepare(made[-1]))
            result["runs"] += measure(prepared, args)
        finally:
            if not args.keep:
                for backend in made:
                    backends.drop(backend)
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (backends.WORK / "results.json").write_text(json.dumps(result, indent=2))
    report.write(result, args.output)
    console.print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

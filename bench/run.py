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

from bench import backends, machine, report, scenarios
from bench.server import SEED, Server, issue_token, tandem, timed_synth, typical_care_manager

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
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)
    args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.backend_list = [b.strip() for b in args.backends.split(",") if b.strip()]
    return args


@dataclass
class Prepared:
    """A migrated, populated database, its typical care manager and their token."""

    backend: backends.Backend
    synth_seconds: float
    username: str
    headers: dict[str, str]


def prepare(backend: backends.Backend) -> Prepared:
    """Fresh schema, ``tandem synth``, the median-caseload care manager, a bearer token."""
    label = f"[bold]{backend.name}[/bold], {backend.size:,} patients"
    console.print(f"{label}: tandem db upgrade")
    tandem(backend, "db", "upgrade")
    console.print(f"{label}: tandem synth")
    seconds = timed_synth(backend)
    username, caseload = typical_care_manager(backend)
    console.print(
        f"{label}: synth took {seconds:.1f} s; timing as {username} ({caseload} patients)"
    )
    token = issue_token(backend, username)
    return Prepared(backend, seconds, username, {"Authorization": f"Bearer {token}"})


def measure(prepared: list[Prepared], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Serve every size of one backend side by side and time the scenarios, interleaved."""
    with ExitStack() as stack:
        targets: list[scenarios.Target] = []
        runs: list[dict[str, Any]] = []
        for p in prepared:
            server = stack.enter_context(Server(p.backend))
            client = stack.enter_context(
                httpx.Client(base_url=server.base_url, headers=p.headers, timeout=60)
            )
            plan, size, term = scenarios.build(client)
            targets.append(
                scenarios.Target(p.backend.size, server.base_url, p.headers, client, plan)
            )
            runs.append(
                {
                    "backend": p.backend.name,
                    "size": p.backend.size,
                    "synth_seconds": round(p.synth_seconds, 1),
                    "care_manager": p.username,
                    "caseload": size,
                    "search_term": term,
                    "stats": [],
                }
            )
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
        "requests": args.requests,
        "clients": args.clients,
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

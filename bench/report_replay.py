"""The RESULTS.md section that sets each HTTP scenario beside a raw-SQL replay of its
statements (``bench.ratio``), and the goals of issue 10 against it."""

from __future__ import annotations

from typing import Any

# Issue 10: every request within 2.5x of its raw SQL, the Measurements page (which draws a
# chart) within 3x; judged on PostgreSQL at the largest population.
GOAL = 2.5
GOALS = {"Measurements page": 3.0}
GOAL_BACKEND = "postgresql"


def goal_for(scenario: str) -> float:
    """The HTTP/raw bound a scenario is held to."""
    return next((bound for name, bound in GOALS.items() if scenario.startswith(name)), GOAL)


def method(result: dict[str, Any]) -> str:
    """How the replay is made and timed (for the Method section)."""
    clients = result.get("replay_clients")
    if not clients:
        return ""
    return (
        "Beside each HTTP scenario, a raw-SQL replay: a capture server (`python -m "
        "bench.capture_server`, the same app with SQLAlchemy engine and pool listeners, never "
        "timed) answers each call of the scenario once, as timed (same path, user, token or "
        "cookie), and records the statements it ran at the driver, with their parameters, in "
        "order, with the transaction boundaries, the pool's pre-ping and the connection each "
        "ran on. The plain `tandem serve` is then timed with the replay right after each call "
        "(HTTP call i, then call i's statements), so that load from other work falls on both "
        "alike: asyncpg on a connection with the app's codecs (PostgreSQL), the standard "
        "library's sqlite3 with the app's pragmas (SQLite), in the same transaction shape "
        "(BEGIN where the app's driver begins, COMMIT where it commits) and with no "
        "SQLAlchemy in the timed loop. Every UUID primary key a request inserted gets a fresh "
        "time-ordered id in each replay, wherever it appears later in the request (a foreign "
        "key, an audit event's record id or detail), so that replayed writes and audit events "
        "commit as the app's do. Then throughput: "
        f"{clients} concurrent clients against the app on one server process and, on "
        "PostgreSQL, on more (`tandem serve --workers N`), and the replay on "
        f"{clients} connections (on SQLite, {clients} clients sharing one connection, as the "
        "app's pool of one is shared), in six rounds that alternate which goes first; the "
        "rate is the rounds' median, the p99 over all rounds' requests."
    )


def _statements(found: dict[str, Any]) -> str:
    low, middle, high = found["statements"]
    return f"{middle:g}" if low == high else f"{middle:g} ({low} to {high})"


def _rate(found: dict[str, Any], mode: str) -> str:
    for stat in found["concurrent"]:
        if stat["mode"].endswith(mode):
            return f"{stat['throughput_rps']:.0f} (p99 {stat['p99_ms']:.0f} ms)"
    return "—"


def _processes(runs: list[dict[str, Any]]) -> list[str]:
    """The app's server-process counts that were measured ("HTTP, 2 processes"), fewest first."""
    modes = {
        stat["mode"].split(", ", 1)[1]
        for run in runs
        for found in run["replay"]
        for stat in found["concurrent"]
        if ", HTTP, " in stat["mode"]
    }
    return sorted(modes, key=lambda mode: int(mode.split()[1]))


def _rows(runs: list[dict[str, Any]], processes: list[str]) -> list[list[str]]:
    return [
        [
            run["backend"],
            f"{run['size']:,}",
            found["scenario"],
            _statements(found),
            f"{found['http']['p50_ms']:.1f}",
            f"{found['http']['p99_ms']:.1f}",
            f"{found['raw']['p50_ms']:.1f}",
            f"{found['raw']['p99_ms']:.1f}",
            f"{found['ratio']:.2f}",
            *(_rate(found, mode) for mode in processes),
            _rate(found, "raw SQL"),
        ]
        for run in runs
        for found in run.get("replay", [])
    ]


def _goals(runs: list[dict[str, Any]]) -> list[str]:
    judged = [r for r in runs if r["backend"] == GOAL_BACKEND and r.get("replay")]
    if not judged:
        return [f"Issue 10's goals are judged on {GOAL_BACKEND}, which this run did not measure."]
    largest = max(r["size"] for r in judged)
    lines = []
    for found in next(r for r in judged if r["size"] == largest)["replay"]:
        bound = goal_for(found["scenario"])
        mark = "✔" if found["ratio"] <= bound else "✘"
        beside = "; ".join(
            f"{other['backend']} at {other['size']:,}: {f['ratio']:.2f}"
            for other in runs
            for f in other.get("replay", [])
            if f["scenario"] == found["scenario"]
            and (other["backend"], other["size"]) != (GOAL_BACKEND, largest)
        )
        lines.append(
            f"{mark} {found['scenario']}: HTTP/raw {found['ratio']:.2f} on {GOAL_BACKEND} at "
            f"{largest:,} patients (goal ≤ {bound:g})" + (f"; beside it {beside}" if beside else "")
        )
    return lines


def _times(count: float) -> str:
    return "once" if count == 1 else f"{count:g} times"


def _shape(runs: list[dict[str, Any]]) -> str:
    control = {
        (run["backend"], found["begins"], found["commits"], found["pings"], found["connections"])
        for run in runs
        for found in run.get("replay", [])
    }
    parts = [
        f"{backend}, on {connections} connection: BEGIN {_times(begins)} and COMMIT "
        f"{_times(commits)} per request"
        + (f", and the pool's pre-ping (BEGIN, `;`, ROLLBACK) {_times(pings)}" if pings else "")
        for backend, begins, commits, pings, connections in sorted(control)
    ]
    return (
        "Statements: the request's own, transaction control left out (as "
        "`tests/integration/test_statement_counts.py` counts them), the median over the "
        "captured calls (their range when they differ: a sign-in's last-seen stamp, a "
        "submission that raises a safety alert). The replay repeats the transaction control "
        "too: " + "; ".join(parts) + "."
    )


def section(result: dict[str, Any]) -> list[str]:
    """The section's lines (nothing when the run made no replay)."""
    runs = [r for r in result["runs"] if r.get("replay")]
    if not runs:
        return []
    clients = result["replay_clients"]
    processes = _processes(runs)
    names = [mode.removeprefix("HTTP, ") for mode in processes]
    header = [
        "Backend",
        "Patients",
        "Request",
        "Statements",
        "HTTP p50 ms",
        "HTTP p99 ms",
        "Raw p50 ms",
        "Raw p99 ms",
        "HTTP/raw",
        *(f"req/s {clients} clients: {name}" if n == 0 else name for n, name in enumerate(names)),
        "raw",
    ]
    lines = ["", "## HTTP against its raw SQL", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(runs, processes)]
    lines += ["", _shape(runs), ""]
    lines += [f"- {line}" for line in _goals(runs)]
    return lines

"""The benchmark's HTTP-against-raw-SQL section judges each request against issue 10's bounds:
within 2.5 times its raw SQL, the Measurements page within 3, on PostgreSQL at the largest
population."""

from __future__ import annotations

from typing import Any

from bench.report_replay import section


def measured(scenario: str, ratio: float) -> dict[str, Any]:
    def stat(mode: str, rps: float) -> dict[str, Any]:
        return {"mode": f"16 concurrent, {mode}", "throughput_rps": rps, "p99_ms": 90.0}

    return {
        "scenario": scenario,
        "statements": [5, 5, 6],
        "begins": 1,
        "commits": 1,
        "pings": 1,
        "connections": 1,
        "http": {"p50_ms": 10.0 * ratio, "p99_ms": 30.0},
        "raw": {"p50_ms": 10.0, "p99_ms": 20.0},
        "ratio": ratio,
        "concurrent": [
            stat("HTTP, 1 process", 60),
            stat("HTTP, 2 processes", 100),
            stat("raw SQL", 400),
        ],
    }


def result() -> dict[str, Any]:
    small = [measured("caseload list (page 1)", 9.0)]
    large = [
        measured("caseload list (page 1)", 2.4),
        measured("Measurements page (HTML)", 2.9),
        measured("PHQ-9 submitted (POST)", 2.6),
    ]
    return {
        "replay_clients": 16,
        "runs": [
            {"backend": "postgresql", "size": 10_000, "replay": small},
            {"backend": "postgresql", "size": 100_000, "replay": large},
        ],
    }


def test_each_request_is_judged_at_the_largest_postgresql_population() -> None:
    goals = [line for line in section(result()) if line.startswith("- ")]
    assert [line.split(":")[0] for line in goals] == [
        "- ✔ caseload list (page 1)",
        "- ✔ Measurements page (HTML)",
        "- ✘ PHQ-9 submitted (POST)",
    ]
    assert "beside it postgresql at 10,000: 9.00" in goals[0]


def test_the_table_shows_statements_latencies_and_rates_side_by_side() -> None:
    rows = [line for line in section(result()) if line.startswith("| postgresql | 100,000")]
    assert rows[0] == (
        "| postgresql | 100,000 | caseload list (page 1) | 5 (5 to 6) | 24.0 | 30.0 | 10.0 | 20.0 "
        "| 2.40 | 60 (p99 90 ms) | 100 (p99 90 ms) | 400 (p99 90 ms) |"
    )


def test_a_run_without_the_replay_adds_no_section() -> None:
    assert section({"replay_clients": None, "runs": [{"backend": "sqlite", "size": 1}]}) == []

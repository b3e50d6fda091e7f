"""Writing bench/RESULTS.md from the measured figures."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import report_replay

GOAL = 1.2
# Modes whose median is compared across population sizes (one request or call at a time).
ONE_AT_A_TIME = ("sequential", "in process")
SUBMISSION = "PHQ-9 submitted"


def write_section(path: Path, start: str, end: str, block: str) -> None:
    """Replace the section between ``start`` and ``end`` of the results file with ``block``
    (which carries both markers), or add it at the end; the rest stays as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# Sections that other modules write (bench.audit, bench.audit_search, bench.care_plan);
# bench.run keeps them.
KEPT_SECTIONS = (
    ("<!-- audit:start -->", "<!-- audit:end -->"),
    ("<!-- care-plan:start -->", "<!-- care-plan:end -->"),
    ("<!-- audit-search:start -->", "<!-- audit-search:end -->"),
)


def _share(part: int, whole: int) -> str:
    return f"{part:,} ({100 * part / whole:.1f} %)" if whole else f"{part:,}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _scenario_key(name: str) -> str:
    """Scenario names without the per-run search term, so runs can be compared."""
    return name.split(" (q=")[0]


def ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One-at-a-time p50 at the largest size over p50 at the smallest, per backend and
    scenario."""
    p50: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for run in runs:
        for stat in run["stats"]:
            if stat["mode"] in ONE_AT_A_TIME:
                p50[(run["backend"], _scenario_key(stat["scenario"]))][run["size"]] = stat["p50_ms"]
    out = []
    for (backend, scenario), by_size in p50.items():
        if len(by_size) < 2:
            continue
        small, large = min(by_size), max(by_size)
        ratio = by_size[large] / by_size[small]
        out.append(
            {
                "backend": backend,
                "scenario": scenario,
                "small": small,
                "large": large,
                "p50_small": by_size[small],
                "p50_large": by_size[large],
                "ratio": round(ratio, 2),
            }
        )
    return out


def _throughput(runs: list[dict[str, Any]], clients: int) -> list[str]:
    """How much the concurrent clients gained over one-at-a-time requests, per backend."""
    gains: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        by_mode: dict[str, dict[str, float]] = defaultdict(dict)
        for stat in run["stats"]:
            by_mode[stat["scenario"]][stat["mode"]] = stat["throughput_rps"]
        for modes in by_mode.values():
            if "sequential" in modes and len(modes) == 2:
                other = next(v for k, v in modes.items() if k != "sequential")
                gains[run["backend"]].append(other / modes["sequential"])
    return [
        f"{backend}: {clients} concurrent clients reach {min(g):.2f}x to {max(g):.2f}x the "
        "one-at-a-time throughput. One server process handles the requests, and every request "
        "writes its audit event"
        + (
            " under SQLite's single write lock (`BEGIN IMMEDIATE`), so concurrency cannot add "
            "throughput there."
            if backend == "sqlite"
            else " without a lock (the sealer gives events their place in the chain afterwards);"
            " the server, PostgreSQL and the benchmark's own clients share the two cores."
        )
        for backend, g in gains.items()
    ]


def _submissions(runs: list[dict[str, Any]], clients: int) -> list[str]:
    """What one PHQ-9 submission costs and how many a second the server sustains."""
    figures = []
    for run in runs:
        found = {s["mode"]: s for s in run["stats"] if s["scenario"].startswith(SUBMISSION)}
        one, many = found.get("sequential"), found.get(f"{clients} concurrent")
        if one is not None and many is not None:
            figures.append(
                f"{run['backend']} at {run['size']:,} patients {one['p50_ms']:.1f} / "
                f"{one['p99_ms']:.1f} ms and {many['throughput_rps']:.0f} a second"
            )
    if not figures:
        return []
    return [
        "A PHQ-9 submission checks the answers, scores them, stores the response with its "
        "coded observation and flags (and any safety alert with its notification) and audits "
        "it, in one transaction. Median / p99 one at a time, and submissions a second sustained "
        f"by {clients} concurrent clients: " + "; ".join(figures) + "."
    ]


def _pages(runs: list[dict[str, Any]]) -> list[str]:
    if not runs:
        return []
    points = ", ".join(
        f"{r['chart_points']:.1f} at {r['size']:,} on {r['backend']}"
        for r in runs
        if "chart_points" in r
    )
    drawn = (
        "The chart is drawn on the server, as SVG written straight from the patient's "
        f"trajectory: PHQ-9 points per chart, on average, {points}."
    )
    lines = [drawn]
    if all(r.get("measurements_page") for r in runs):
        lines[0] += " The Measurements page row times the whole page over HTTP."
    else:
        lines[0] += (
            " This build serves no Measurements page yet (GET /patients/{id}/measurements "
            "answered 404), so its two parts are timed apart: the trajectory JSON over HTTP and "
            "`render_chart` in the benchmark's own process. The page costs about their sum plus "
            "the template."
        )
    return lines


def _interpretation(result: dict[str, Any], found: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    if not found:
        return ["Only one population size was measured, so there is no growth ratio to judge."]
    over = [r for r in found if r["ratio"] > GOAL]
    if not over:
        lines.append(
            f"Every scenario stays within the goal: the median latency at "
            f"{max(r['large'] for r in found):,} patients is at most {GOAL}x the median at "
            f"{min(r['small'] for r in found):,} (worst ratio "
            f"{max(r['ratio'] for r in found):.2f}). The cost of each of these requests depends "
            "on the caseload and the patient (and their two years of measurements), not on the "
            "population."
        )
    else:
        names = ", ".join(f"{r['scenario']} on {r['backend']} ({r['ratio']:.2f}x)" for r in over)
        lines.append(
            f"Over the {GOAL}x goal: {names}. Those requests do work that grows with the "
            "population: EXPLAIN their queries (people/repository.py, access/scope.py)."
        )
    ok = [r for r in found if r["ratio"] <= GOAL]
    if ok and over:
        lines.append(
            "Within the goal: "
            + ", ".join(f"{r['scenario']} on {r['backend']} ({r['ratio']:.2f}x)" for r in ok)
            + "."
        )
    lines += _submissions(result["runs"], result["clients"])
    lines += _pages(result["runs"])
    lines += _throughput(result["runs"], result["clients"])
    loads = [x for run in result["runs"] for x in run["load_average"]]
    if loads:
        lines.append(
            f"The one-minute load average, sampled between scenarios, ranged {min(loads)} to "
            f"{max(loads)} on "
            f"{result['machine']['cores']} cores; other work on the machine adds noise, mostly "
            "to p99."
        )
    return lines


def write(result: dict[str, Any], path: Path) -> None:
    """Render ``result`` (as saved in bench/.work/results.json) to Markdown."""
    m = result["machine"]
    command = f"python -m bench.run {result['argv']}".strip()
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (`{command}`), "
        f"{result['started_at']} to {result['finished_at']} (UTC). Raw figures: "
        "`bench/.work/results.json`.",
        "",
        "## Machine",
        "",
        *_table(
            ["CPU", "Cores", "RAM", "OS", "Python", "SQLite", "PostgreSQL"],
            [
                [
                    m["cpu"],
                    str(m["cores"]),
                    f"{m['ram_gib']} GiB",
                    m["os"],
                    m["python"],
                    m["sqlite"],
                    m["postgresql"],
                ]
            ],
        ),
        "",
        "## Method",
        "",
        "For each backend and population size: a fresh database (SQLite file under "
        "`bench/.work/`, or PostgreSQL database "
        f"`{result.get('pg_database', 'tandem_bench')}_<size>`), `tandem db upgrade`, "
        f"`tandem synth --patients N --seed {result['seed']}`, then `tandem serve` on a free port "
        "as a separate process. The care manager with the median active caseload gets a token "
        "from `tandem token issue` and signs in through the `/login` form for the HTML pages; "
        "after a warm-up, httpx times real HTTP requests: the "
        "caseload list (`GET /api/v1/patients`, page 1), a name search within the caseload "
        "(`?q=`, four letters of a family name on that caseload), the chart header "
        "(`GET /api/v1/patients/{id}`), a patient's PHQ-9 trajectory over up to two years "
        "(`GET /api/v1/patients/{id}/trajectories/phq-9`), the Measurements page with its "
        "server-drawn chart (`GET /patients/{id}/measurements`, when the build serves it), and "
        "submitting a PHQ-9 (`POST /api/v1/patients/{id}/responses`, varied answers, item 9 "
        "above 0 in one in 25), each cycling through the whole caseload. The chart itself "
        "(`tandem.assessments.chart.render_chart` on those trajectories) is also timed in the "
        "benchmark's process, and so is the patient's copy of a full care plan drawn as a PDF "
        "(`tandem.careplans.pdf.render_pdf`, 10 goals and 40 activities, "
        "`bench/care_plan_pdf.py`). "
        f"{result['requests']} requests per scenario one at a time, then {result['requests']} "
        f"from {result['clients']} concurrent clients for throughput. The population sizes of a "
        "backend are served side by side and the timed requests alternate between them (one by "
        "one; the concurrent runs in alternating rounds), so load from other work on the machine "
        "falls on every size alike and the ratios stay meaningful. "
        + " ".join(
            filter(
                None,
                [
                    "Every request is audited, so each one also writes to the audit chain.",
                    report_replay.method(result),
                ],
            )
        ),
        "",
    ]
    for note in result.get("skipped", []):
        lines += [f"Skipped: {note}", ""]
    lines += ["## Synthetic population load", ""]
    lines += _table(
        ["Backend", "Patients", "Synth wall time (s)", "Patients/s", "Care manager", "Caseload"],
        [
            [
                r["backend"],
                f"{r['size']:,}",
                f"{r['synth_seconds']:.1f}",
                f"{r['size'] / r['synth_seconds']:,.0f}",
                r["care_manager"],
                str(r["caseload"]),
            ]
            for r in result["runs"]
        ],
    )
    lines += ["", "## Measurement histories", ""]
    lines += _table(
        [
            "Backend",
            "Patients",
            "Responses",
            "PHQ-9s",
            "PHQ-9s per patient",
            "Enrolled with < 12",
            "Observations",
            "Safety alerts",
            "Patients with an open alert",
            "Notifications",
            "Needs",
        ],
        [
            [
                r["backend"],
                f"{r['size']:,}",
                f"{c['assessment_response']:,}",
                f"{c['phq9']:,}",
                f"{c['phq9'] / c['patient']:.1f}",
                f"{c['enrolled_under_12_phq9']:,}",
                f"{c['observation']:,}",
                f"{c['safety_alert']:,}",
                _share(c["open_alert_patients"], c["patient"]),
                f"{c['notification']:,}",
                f"{c['need']:,}",
            ]
            for r in result["runs"]
            if (c := r.get("rows"))
        ],
    )
    lines += ["", "## Latency and throughput", ""]
    lines += _table(
        ["Backend", "Patients", "Scenario", "Mode", "p50 ms", "p99 ms", "mean ms", "req/s"],
        [
            [
                r["backend"],
                f"{r['size']:,}",
                s["scenario"],
                s["mode"],
                f"{s['p50_ms']:.1f}",
                f"{s['p99_ms']:.1f}",
                f"{s['mean_ms']:.1f}",
                f"{s['throughput_rps']:.0f}",
            ]
            for r in result["runs"]
            for s in r["stats"]
        ],
    )
    lines += report_replay.section(result)
    found = ratios(result["runs"])
    lines += ["", "## Does the cost grow with the population?", ""]
    lines += _table(
        ["Backend", "Scenario", "p50 small (ms)", "p50 large (ms)", "Ratio", f"≤ {GOAL}"],
        [
            [
                r["backend"],
                r["scenario"],
                f"{r['p50_small']:.1f} at {r['small']:,}",
                f"{r['p50_large']:.1f} at {r['large']:,}",
                f"{r['ratio']:.2f}",
                "yes" if r["ratio"] <= GOAL else "**no**",
            ]
            for r in found
        ],
    )
    lines += ["", "## Interpretation", ""]
    lines += [f"- {line}" for line in _interpretation(result, found)]
    # The audit trail's sections are written by `python -m bench.audit` and
    # `python -m bench.audit_search`: keep them.
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        for start, end in KEPT_SECTIONS:
            if start in old and end in old:
                kept += f"\n{start}{old.split(start, 1)[1].split(end, 1)[0]}{end}\n"
    path.write_text("\n".join(lines) + "\n" + kept)

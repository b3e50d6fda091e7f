"""The ``tandem synth`` job: build a scaled network, load its population, print a summary."""

from __future__ import annotations

import asyncio
from datetime import date

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tandem.access.context import AccessContext
from tandem.auth.passwords import hash_password
from tandem.command_line import Refusal, load_settings, require_database, require_migrated
from tandem.config import Environment, Settings
from tandem.errors import Conflict, DomainError
from tandem.runtime import Runtime
from tandem.synth.courses import HistoryRates
from tandem.synth.keys import PER_BLOCK
from tandem.synth.loader import LoadSummary, load, refresh_statistics, username_taken
from tandem.synth.network import scaled_network
from tandem.synth.population import PopulationSpec

# Synth seeds are MRN blocks 0 to 8999; the demo uses 9000 and up (see keys.py).
MAX_SEED = 8999
MAX_PATIENTS = PER_BLOCK
DEFAULT_STAFF_PASSWORD = "tandem-synth-2026"
# Two years of measurements about every three weeks: more would not fit.
MAX_MEASUREMENTS = 30


def refuse_production(settings: Settings, what: str) -> None:
    """Synthetic people never go into a production database."""
    if settings.environment == Environment.production:
        raise Refusal(f"{what} refuses to run when TANDEM_ENVIRONMENT=production.")


def progress_bar(console: Console) -> Progress:
    """The progress bar long CLI jobs show: description, bar, count, elapsed time."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


async def _run(
    rt: Runtime, spec: PopulationSpec, password: str, batch_size: int, console: Console
) -> LoadSummary:
    await require_migrated(rt)
    network = scaled_network(
        spec.count, spec.seed, as_of=spec.as_of, password_hash=hash_password(password)
    )
    async with rt.sessionmaker() as session:
        if await username_taken(session, network.marker_username):
            raise Conflict(
                f"A synthetic population with seed {spec.seed} is already in this database; "
                "choose another --seed.",
                field="seed",
            )
    ctx = AccessContext.system(rt.clock, reason="synth")
    with progress_bar(console) as progress:
        task = progress.add_task(f"Synthetic patients (seed {spec.seed})", total=spec.count)
        summary = await load(
            rt.sessionmaker,
            ctx,
            network,
            spec,
            batch_size=batch_size,
            on_progress=lambda n: progress.advance(task, n),
        )
    await refresh_statistics(rt.engine)
    return summary


def synth(
    *,
    patients: int,
    seed: int,
    as_of: date | None,
    password: str,
    batch_size: int,
    console: Console,
    measurements: int = HistoryRates().min_phq9,
) -> LoadSummary:
    """Add a deterministic population of ``patients`` to the configured database, each
    enrolled patient with at least ``measurements`` PHQ-9s (0: no measurement history)."""
    settings = load_settings()
    refuse_production(settings, "tandem synth")
    require_database(settings)
    rt = Runtime.build(settings, system="tandem synth")
    day = as_of or rt.clock.today()
    if day > rt.clock.today():
        raise DomainError("--as-of cannot be in the future.", field="as_of")
    if not 0 <= seed <= MAX_SEED:
        raise DomainError(f"--seed must be between 0 and {MAX_SEED}.", field="seed")
    if not 1 <= patients <= MAX_PATIENTS:
        raise DomainError(f"--patients must be between 1 and {MAX_PATIENTS:,}.", field="patients")
    if not 0 <= measurements <= MAX_MEASUREMENTS:
        raise DomainError(
            f"--measurements must be between 0 and {MAX_MEASUREMENTS}.", field="measurements"
        )
    spec = PopulationSpec(
        namespace="synth",
        seed=seed,
        block=seed,
        count=patients,
        as_of=day,
        history=HistoryRates(min_phq9=measurements),
    )

    async def main() -> LoadSummary:
        try:
            return await _run(rt, spec, password, batch_size, console)
        finally:
            await rt.engine.dispose()

    summary = asyncio.run(main())
    print_summary(console, summary, spec)
    return summary


def print_summary(console: Console, summary: LoadSummary, spec: PopulationSpec) -> None:
    """Rows per table, elapsed seconds and rate."""
    table = Table(
        "Table", "Rows", title=f"Synthetic population, seed {spec.seed}, as of {spec.as_of}"
    )
    for name, count in sorted(summary.rows.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)
    rate = spec.count / summary.seconds if summary.seconds else 0.0
    console.print(
        f"Loaded {spec.count:,} patients in {summary.seconds:.1f} s ({rate:,.0f} patients/s)."
    )

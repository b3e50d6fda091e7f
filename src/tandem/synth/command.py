"""The ``tandem synth`` job: build a scaled network, load its population, print a summary."""

from __future__ import annotations

import asyncio
from dataclasses import replace
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
from tandem.synth.loader import (
    LoadSummary,
    load,
    refresh_statistics,
    staff_created_at,
    staff_of_network,
)
from tandem.synth.network import built_as_of, marker_username, scaled_network
from tandem.synth.pool import Network
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


async def _resumed(rt: Runtime, spec: PopulationSpec, as_of_given: bool) -> PopulationSpec | None:
    """The spec of an earlier, interrupted run of this seed (its date read from the database),
    or None when the seed's network is not loaded."""
    async with rt.sessionmaker() as session:
        created = await staff_created_at(session, marker_username(spec.seed))
    if created is None:
        return None
    earlier = built_as_of(created)
    if as_of_given and earlier != spec.as_of:
        raise Conflict(
            f"The population of seed {spec.seed} in this database was built as of {earlier}; "
            f"give --as-of {earlier} (or none) to complete it, or choose another --seed.",
            field="as_of",
        )
    return replace(spec, as_of=earlier)


async def _same_network(rt: Runtime, spec: PopulationSpec, network: Network) -> None:
    """Refuse to complete a population of this seed that was started with another size."""
    async with rt.sessionmaker() as session:
        stored = await staff_of_network(session, f"s{spec.seed}.")
    if stored != {row["username"]: row["id"] for row in network.users}:
        raise Conflict(
            f"The population of seed {spec.seed} in this database was started with another "
            f"--patients than {spec.count:,} ({len(stored):,} staff, where this size has "
            f"{len(network.users):,}); give the size it was started with, or another --seed.",
            field="patients",
        )


async def _run(
    rt: Runtime,
    spec: PopulationSpec,
    password: str,
    batch_size: int,
    console: Console,
    *,
    as_of_given: bool,
) -> tuple[LoadSummary, PopulationSpec]:
    await require_migrated(rt)
    earlier = await _resumed(rt, spec, as_of_given)
    spec = earlier or spec
    network = scaled_network(
        spec.count, spec.seed, as_of=spec.as_of, password_hash=hash_password(password)
    )
    if earlier is not None:
        await _same_network(rt, spec, network)
        console.print(
            f"Seed {spec.seed} is partly loaded (as of {spec.as_of}): completing it; the "
            "patients already there are checked and passed over."
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
            resume=earlier is not None,
        )
    await refresh_statistics(rt.engine)
    return summary, spec


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

    async def main() -> tuple[LoadSummary, PopulationSpec]:
        try:
            return await _run(
                rt, spec, password, batch_size, console, as_of_given=as_of is not None
            )
        finally:
            await rt.engine.dispose()

    summary, done = asyncio.run(main())
    print_summary(console, summary, done)
    return summary


def print_summary(console: Console, summary: LoadSummary, spec: PopulationSpec) -> None:
    """Rows per table, elapsed seconds and rate."""
    table = Table(
        "Table", "Rows", title=f"Synthetic population, seed {spec.seed}, as of {spec.as_of}"
    )
    for name, count in sorted(summary.rows.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)
    added = summary.rows["patient"]
    rate = added / summary.seconds if summary.seconds else 0.0
    there = f"; {summary.already_there:,} were there already" if summary.already_there else ""
    console.print(
        f"Loaded {added:,} patients in {summary.seconds:.1f} s ({rate:,.0f} patients/s){there}."
    )

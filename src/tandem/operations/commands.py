"""`tandem status`, `tandem backup PATH` and `tandem restore [PATH] [--check]`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from tandem.command_line import (
    Refusal,
    data_dir_origin,
    database_file,
    err,
    load_settings,
    require_database,
    shown_database,
)
from tandem.config import Settings
from tandem.operations import backup as copies
from tandem.operations.restore_check import Checked, check_restored
from tandem.operations.status import Status, read_status
from tandem.runtime import Runtime

T = TypeVar("T")

PG_DUMP = (
    "PostgreSQL is backed up and restored with its own tools: "
    "pg_dump --format=custom --file=tandem.dump DATABASE, then "
    "pg_restore --no-owner --dbname=NEW_DATABASE tandem.dump, then "
    "tandem restore --check with TANDEM_DATABASE_URL naming the restored database."
)


def _run(settings: Settings, reason: str, work: Callable[[Runtime], Awaitable[T]]) -> T:
    async def runner() -> T:
        rt = Runtime.build(settings, system=f"tandem {reason}")
        try:
            return await work(rt)
        finally:
            await rt.engine.dispose()

    return asyncio.run(runner())


def _rows(status: Status) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in status.rows.items() if count)


def _chain(status: Status, settings: Settings) -> str:
    from tandem.audit.checkpoints import CheckpointLog

    head = status.chain
    last = CheckpointLog(settings.checkpoint_dir).last()
    sealed = (
        f"head at position {head.position:,} (link {head.link[:16]}…)"
        if head.link
        else "nothing sealed yet"
    )
    checkpoint = (
        f"last checkpoint {last.number} at position {last.seq:,}" if last else "no checkpoint yet"
    )
    return f"{sealed}, {head.unsealed:,} waiting to be sealed; {checkpoint}"


def status() -> None:
    """Print the data directory, the database, its migration state, audit chain and row counts."""
    settings = load_settings()
    print(f"Tandem {version('tandem')}")
    print(f"Data directory: {settings.data_dir} ({data_dir_origin()})")
    print(f"Database: {shown_database(settings)}")
    require_database(settings)
    found = _run(settings, "status", read_status)
    if not found.migrated:
        state = "no Tandem schema" if found.revision is None else f"revision {found.revision}"
        print(f"Schema: {state}; this Tandem needs {found.latest}: run `tandem db upgrade`.")
        return
    print(f"Schema: revision {found.revision} (the latest)")
    print(f"Audit chain: {_chain(found, settings)}")
    print(f"Rows: {_rows(found)}")


def _sqlite_only(settings: Settings, what: str) -> Path:
    path = database_file(settings)
    if path is None:
        raise Refusal(f"tandem {what} copies the embedded SQLite database.", PG_DUMP)
    return path


def backup(
    path: Annotated[Path, typer.Argument(help="A new folder to write the backup into")],
) -> None:
    """Back up the SQLite database, even while the server runs, into a new folder PATH.

    The data directory's audit folder (the demo's keys and checkpoints) is copied with it.
    PostgreSQL is backed up with pg_dump (see the README)."""
    settings = load_settings()
    source = _sqlite_only(settings, "backup")
    require_database(settings)
    copied = copies.backup(settings, source, path.resolve())
    print(f"Backed up {source} to {copied.database} ({copied.bytes:,} bytes).")
    if copied.audit is None or not settings.checkpoint_dir.is_relative_to(settings.audit_dir):
        print(
            "The audit keys and checkpoints kept outside the data directory are not in it: "
            "keep them as they are (docs/audit.md)."
        )


def _report(checked: Checked, settings: Settings) -> None:
    found, report = checked.status, checked.report
    print(f"Schema: revision {found.revision} (the latest)")
    if report.broken is not None:
        err.print(
            f"[red]Audit chain broken at position {report.broken.position}[/red]: "
            f"{report.broken.problem}. {report.verified} events before it verify."
        )
    for problem in checked.tampered:
        err.print(f"[red]Checkpoints:[/red] {problem}")
    if checked.intact:
        print(
            f"Audit chain intact: {report.verified:,} events verified against "
            f"{report.checkpoints} signed checkpoints; {report.unsealed:,} waiting to be sealed."
        )
    if report.tail_problem:
        print(
            f"Note: {report.tail_problem} — here, written after the backup was taken: they "
            "are not in it."
        )
    print(f"Rows: {_rows(found)}")


def restore(
    path: Annotated[
        Path | None, typer.Argument(help="A backup folder made by `tandem backup`")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only check the configured database (after pg_restore, or a restore here)",
        ),
    ] = False,
) -> None:
    """Restore a SQLite backup into a fresh data directory, then check it (--check: only check).

    The check is the schema's migration state and `tandem audit verify`'s check of the audit
    chain against the configured keys and checkpoints."""
    settings = load_settings()
    if path is not None and not check:
        target = _sqlite_only(settings, "restore PATH")
        copied = copies.restore(settings, path.resolve(), target)
        print(f"Restored {path} into {copied.database}.")
    elif path is not None:
        raise Refusal("Give PATH to restore it, or --check to check the configured database.")
    require_database(settings)
    checked = _run(settings, "restore check", check_restored)
    _report(checked, settings)
    if not checked.intact:
        raise typer.Exit(1)

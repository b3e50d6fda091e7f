"""The `tandem` command: every operation an administrator needs.

An expected failure (no database, not migrated, unreachable, port taken, bad configuration)
ends a command with a line or two on stderr and exit code 2; `tandem --debug ...` shows the
traceback instead (tandem.cli_failures)."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime
from importlib.metadata import version as installed_version
from typing import Annotated

import typer

from tandem.access.context import AccessContext
from tandem.admin.commands import orgs_app, users_app
from tandem.audit.commands import audit_app
from tandem.auth.commands import token_app
from tandem.cli_failures import explain
from tandem.command_help import TandemTyper
from tandem.command_line import (
    REFUSED,
    console,
    data_dir_origin,
    err,
    load_settings,
    require_database,
    require_migrated,
    run_in_session,
    shown_database,
)
from tandem.errors import DomainError
from tandem.operations import commands as operations
from tandem.operations.ports import require_free_port
from tandem.runtime import Runtime

app = TandemTyper(help="Tandem: care coordination for integrated mental-health care teams.")
db_app = TandemTyper(help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.command("status")(operations.status)
app.command("backup")(operations.backup)
app.command("restore")(operations.restore)

# Set by `--debug`: a failure shows its traceback instead of its plain explanation.
DEBUG = {"on": False}


def _version(show: bool) -> None:
    if not show:
        return
    print(f"tandem {installed_version('tandem')}")
    settings = load_settings()
    print(f"data directory: {settings.data_dir} ({data_dir_origin()})")
    print(f"database: {shown_database(settings)}")
    raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when a command fails")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version, the data directory and the database, and exit",
        ),
    ] = False,
) -> None:
    """Tandem: care coordination for integrated mental-health care teams.

    The data directory (the embedded database, and in the demo the audit keys) is
    TANDEM_DATA_DIR, or .tandem in the folder tandem is started in."""
    DEBUG["on"] = debug


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Start the web server (refuses to start on a database that is not migrated)."""
    import uvicorn

    from tandem.observe.logs import logging_config

    settings = load_settings()
    require_database(settings)
    rt = Runtime.build(settings)

    async def check() -> None:
        try:
            await require_migrated(rt)
        finally:
            await rt.engine.dispose()

    asyncio.run(check())
    host, port = host or settings.host, port or settings.port
    require_free_port(host, port)
    if settings.is_sqlite and workers > 1:
        err.print("SQLite allows one writer: starting one worker.")
        workers = 1
    console.print(f"Tandem listening on http://{host}:{port}")
    uvicorn.run(
        "tandem.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # JSON lines, in every worker; Tandem's request line replaces uvicorn's access log,
        # which would write each whole address (a patient's record, a search text).
        log_config=logging_config(settings.log_level),
        access_log=False,
        proxy_headers=True,
        # A worker answers the supervisor's health check only once it has started Python and
        # imported this CLI (spawned, not forked): on a busy machine that takes more than
        # uvicorn's default 5 s, and every worker was killed as hung before it served.
        timeout_worker_healthcheck=60,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database schema to the latest version."""
    from tandem.migrate import upgrade

    settings = load_settings()
    upgrade(settings.resolved_database_url, revision)
    console.print(f"Database {shown_database(settings)} is at revision {revision}.")


@app.command()
def permissions() -> None:
    """Print who may do what (the permission table, as the README shows it)."""
    from tandem.access.capabilities import permissions as table
    from tandem.access.matrix import markdown

    print(markdown(table()))


@app.command()
def worker() -> None:
    """Background work for production: seal the audit chain and write its checkpoints."""
    import logging.config

    from tandem.audit.seal import run_forever
    from tandem.observe.logs import logging_config

    logging.config.dictConfig(logging_config(load_settings().log_level))

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        console.print(f"Sealing the audit chain every {rt.settings.audit_seal_seconds} s.")
        await run_forever(rt.sealer(), every_seconds=rt.settings.audit_seal_seconds, stop=stop)

    run_in_session(work, reason="worker")


@app.command()
def synth(
    patients: Annotated[int, typer.Option(help="How many patients to add", min=1)],
    seed: Annotated[int, typer.Option(help="Seed 0-8999: same seed, same population")] = 1,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Date the population is built around [today]"),
    ] = None,
    staff_password: Annotated[
        str, typer.Option(help="Password of every synthetic staff account")
    ] = "tandem-synth-2026",
    batch: Annotated[int, typer.Option(help="Patients per transaction", min=1)] = 1000,
    measurements: Annotated[
        int,
        typer.Option(
            help="PHQ-9s per enrolled patient at least, over up to two years (0: no history)",
            min=0,
            max=30,
        ),
    ] = 12,
) -> None:
    """Add a deterministic synthetic population (staff, patients, care teams, histories).

    Run again with the same seed and size after an interruption, it completes the population."""
    from tandem.synth.command import synth as run_synth

    try:
        run_synth(
            patients=patients,
            seed=seed,
            as_of=as_of.date() if as_of else None,
            password=staff_password,
            batch_size=batch,
            measurements=measurements,
            console=console,
        )
    except DomainError as exc:
        err.print(f"[red]Error:[/red] {exc.message}")
        raise typer.Exit(1) from exc


@app.command()
def demo(
    patients: Annotated[int, typer.Option(help="Synthetic patients in the demo")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the demo patients (0-999)")] = 7,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server afterwards")
    ] = True,
) -> None:
    """Migrate, load the demo network once, print the sign-ins and start the server."""
    from tandem.demo import prepare_demo, use_demo_timezone

    use_demo_timezone()
    if serve_after:
        # Before the demo data is loaded, not after: a taken port is known at once.
        settings = load_settings()
        require_free_port(settings.host, settings.port)
    try:
        prepare_demo(patients=patients, seed=seed, console=console)
    except DomainError as exc:
        err.print(f"[red]Error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    if serve_after:
        serve(host=None, port=None, workers=1)


def main() -> None:
    """Run the command; an expected failure ends in its explanation and exit code 2."""
    try:
        app()
    except Exception as exc:
        refusal = explain(exc)
        if refusal is None or DEBUG["on"]:
            raise
        for line in refusal.lines:
            print(line, file=sys.stderr)
        sys.exit(REFUSED)


if __name__ == "__main__":
    main()

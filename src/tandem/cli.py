"""The `tandem` command: every operation an administrator needs."""

from __future__ import annotations

import asyncio
import getpass
import signal
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from tandem.access.context import AccessContext
from tandem.admin import service as admin
from tandem.admin.schemas import OrganizationCreate, UserCreate
from tandem.audit.commands import audit_app
from tandem.auth import service as auth
from tandem.command_line import console, err, run_in_session
from tandem.config import Settings
from tandem.errors import DomainError
from tandem.runtime import Runtime
from tandem.vocab import OrganizationKind, ProfessionalRole

app = typer.Typer(
    help="Tandem: care coordination for integrated mental-health care teams.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations.", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Start the web server (refuses to start on a database that is not migrated)."""
    import uvicorn

    from tandem.migrate import is_up_to_date
    from tandem.observe.logs import logging_config

    settings = Settings()
    rt = Runtime.build(settings)

    async def migrated() -> bool:
        try:
            return await is_up_to_date(rt.engine)
        finally:
            await rt.engine.dispose()

    if not asyncio.run(migrated()):
        err.print(
            "[red]The database is not migrated.[/red] Run [bold]tandem db upgrade[/bold] first."
        )
        raise typer.Exit(1)
    if settings.is_sqlite and workers > 1:
        err.print("SQLite allows one writer: starting one worker.")
        workers = 1
    console.print(f"Tandem listening on http://{host or settings.host}:{port or settings.port}")
    uvicorn.run(
        "tandem.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
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

    settings = Settings()
    upgrade(settings.resolved_database_url, revision)
    console.print(f"Database is at revision {revision}: {settings.resolved_database_url}")


@orgs_app.command("create")
def orgs_create(
    name: str,
    kind: Annotated[OrganizationKind, typer.Option(help="What sort of organisation")],
    phone: str | None = None,
    address: str | None = None,
) -> None:
    """Add an organisation (clinic, agency, community partner)."""

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker.begin() as session:
            org = await admin.create_organization(
                session, ctx, OrganizationCreate(name=name, kind=kind, phone=phone, address=address)
            )
        console.print(f"Created organisation {org.name} ({org.id})")

    run_in_session(work, reason="orgs create")


@orgs_app.command("list")
def orgs_list() -> None:
    """List organisations."""

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker() as session:
            orgs = await admin.list_organizations(session)
        table = Table("Name", "Kind", "Active", "Id")
        for org in orgs:
            table.add_row(org.name, org.kind, "yes" if org.active else "no", str(org.id))
        console.print(table)

    run_in_session(work, reason="orgs list")


@users_app.command("create")
def users_create(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="Full name")],
    role: Annotated[ProfessionalRole, typer.Option(help="Professional role")],
    organization: Annotated[str | None, typer.Option(help="Organisation name")] = None,
    email: str | None = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (prompted when omitted; or set TANDEM_NEW_PASSWORD)",
            envvar="TANDEM_NEW_PASSWORD",
        ),
    ] = None,
) -> None:
    """Create a user account."""
    if password is None:
        if not sys.stdin.isatty():
            err.print("Give --password or TANDEM_NEW_PASSWORD when not at a terminal.")
            raise typer.Exit(2)
        password = getpass.getpass("Password: ")

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker.begin() as session:
            org_id = None
            if organization:
                orgs = {o.name: o.id for o in await admin.list_organizations(session)}
                if organization not in orgs:
                    raise DomainError(
                        f"No organisation named {organization!r}.", field="organization"
                    )
                org_id = orgs[organization]
            user = await admin.create_user(
                session,
                ctx,
                UserCreate(
                    username=username,
                    full_name=full_name,
                    role=role,
                    organization_id=org_id,
                    email=email,
                    password=password,
                ),
            )
        console.print(f"Created {user.username} ({user.role})")

    run_in_session(work, reason="users create")


@users_app.command("list")
def users_list(role: ProfessionalRole | None = None) -> None:
    """List user accounts."""

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker() as session:
            users = await admin.list_users(session, ctx, role=role)
        table = Table("Username", "Name", "Role", "Active", "Locked until")
        for u in users:
            table.add_row(
                u.username,
                u.full_name,
                u.role,
                "yes" if u.active else "no",
                u.locked_until.isoformat(timespec="minutes") if u.locked_until else "",
            )
        console.print(table)

    run_in_session(work, reason="users list")


FORCE_HELP = (
    "Go ahead even if no active administrator would remain "
    "(the command line can make one again: tandem users set-role NAME administrator)"
)


@users_app.command("deactivate")
def users_deactivate(
    username: str,
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
) -> None:
    """Deactivate an account, end its sessions and any emergency access it holds."""

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker.begin() as session:
            user = await auth.get_user_by_username(session, username)
            await admin.set_active(session, ctx, user.id, active=False, force=force)
        console.print(f"Deactivated {username}; their sessions and emergency access are ended.")

    run_in_session(work, reason="users deactivate")


@users_app.command("reactivate")
def users_reactivate(username: str) -> None:
    """Let a deactivated account sign in again (its sessions stay ended)."""

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker.begin() as session:
            user = await auth.get_user_by_username(session, username)
            await admin.set_active(session, ctx, user.id, active=True)
        console.print(f"Reactivated {username}.")

    run_in_session(work, reason="users reactivate")


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: Annotated[ProfessionalRole, typer.Argument(help="The new professional role")],
    force: Annotated[bool, typer.Option("--force", help=FORCE_HELP)] = False,
) -> None:
    """Change a user's role, e.g. make someone administrator when no one can sign in as one.

    Audited like a change in the administration screens; ends any emergency access the user
    holds."""

    async def work(rt: Runtime, ctx: AccessContext) -> tuple[str, str]:
        async with rt.sessionmaker.begin() as session:
            user = await auth.get_user_by_username(session, username)
            before = user.role
            changed = await admin.set_role(session, ctx, user.id, role, force=force)
        return before, changed.role

    before, after = run_in_session(work, reason="users set-role")
    if before == after:
        console.print(f"{username} is already {after}; nothing changed.")
    else:
        console.print(f"{username}: {before} → {after}; any emergency access they held is ended.")


@users_app.command("reset-password")
def users_reset_password(
    username: str,
    password: Annotated[str | None, typer.Option(envvar="TANDEM_NEW_PASSWORD")] = None,
) -> None:
    """Set a temporary password; the user must choose a new one at next sign-in."""
    from tandem.admin.schemas import PasswordReset

    if password is None:
        password = getpass.getpass("Temporary password: ")

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker.begin() as session:
            user = await auth.get_user_by_username(session, username)
            await admin.reset_password(session, ctx, user.id, PasswordReset(password=password))
        console.print(f"Password reset for {username}.")

    run_in_session(work, reason="users reset-password")


@token_app.command("issue")
def token_issue(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "api",
    days: Annotated[int | None, typer.Option(help="Days until it expires")] = None,
) -> None:
    """Print a new bearer token for USERNAME (shown once; stored only as a hash)."""

    async def work(rt: Runtime, ctx: AccessContext) -> None:
        async with rt.sessionmaker.begin() as session:
            user = await auth.get_user_by_username(session, username)
            token, plain = await auth.issue_token(
                session,
                user=user,
                name=name,
                days=days or rt.settings.token_days,
                now=rt.clock.now(),
            )
        err.print(
            f"Token {token.prefix}… for {username}, expires {token.expires_at:%Y-%m-%d}. "
            f"Revoke with: tandem token revoke {token.prefix}"
        )
        print(plain)

    run_in_session(work, reason="token issue")


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token, or its printed prefix")],
) -> None:
    """Revoke an API token."""

    async def work(rt: Runtime, ctx: AccessContext) -> int:
        async with rt.sessionmaker.begin() as session:
            return await auth.revoke_token(session, token_or_prefix=token, now=rt.clock.now())

    count = run_in_session(work, reason="token revoke")
    if count == 0:
        err.print("No active token matches.")
        raise typer.Exit(1)
    console.print(f"Revoked {count} token(s).")


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

    logging.config.dictConfig(logging_config(Settings().log_level))

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
    """Add a deterministic synthetic population (staff, patients, care teams, measurement
    histories) to the database."""
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
    from tandem.demo import prepare_demo

    try:
        prepare_demo(patients=patients, seed=seed, console=console)
    except DomainError as exc:
        err.print(f"[red]Error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    if serve_after:
        serve(host=None, port=None, workers=1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

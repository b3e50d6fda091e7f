"""`tandem orgs …` and `tandem users …`: organisations and accounts from the command line,
bound by the same rules (and audited alike) as the administration screens."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from tandem.access.context import AccessContext
from tandem.admin import service as admin
from tandem.admin.schemas import OrganizationCreate, UserCreate
from tandem.auth import service as auth
from tandem.command_help import TandemTyper
from tandem.command_line import console, err, run_in_session
from tandem.errors import DomainError
from tandem.runtime import Runtime
from tandem.vocab import OrganizationKind, ProfessionalRole

users_app = TandemTyper(help="User accounts.")
orgs_app = TandemTyper(help="Organisations.")


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

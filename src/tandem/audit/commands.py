"""`tandem audit …`: verify, seal, checkpoint, retention, new keys."""

from __future__ import annotations

from typing import Annotated

import typer

from tandem.access.context import AccessContext
from tandem.command_help import TandemTyper
from tandem.command_line import console, err, run_in_session
from tandem.runtime import Runtime

audit_app = TandemTyper(help="The audit log.")


@audit_app.command("verify")
def audit_verify(
    first: Annotated[int, typer.Option("--from", help="First chain position to check", min=1)] = 1,
    last: Annotated[int | None, typer.Option("--to", help="Last chain position to check")] = None,
) -> None:
    """Check the sealed chain and every signed checkpoint; exit 1 naming what is wrong."""
    from rich.progress import Progress

    from tandem.audit.checkpoints import CheckpointLog
    from tandem.audit.verify import Report, verify

    async def work(rt: Runtime, ctx: AccessContext) -> Report:
        async with rt.sessionmaker() as session:
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("Verifying the audit chain", total=None)
                return await verify(
                    session,
                    rt.audit_keys.secrets,
                    CheckpointLog(rt.settings.checkpoint_dir),
                    first=first,
                    last=last,
                    progress=lambda n: progress.advance(task, n),
                )

    report = run_in_session(work, reason="audit verify")
    span = f"positions {report.first} to {report.last}"
    if report.broken is not None:
        where = f" (event id {report.broken.event_id})" if report.broken.event_id else ""
        err.print(
            f"[red]Audit chain broken at position {report.broken.position}{where}[/red]: "
            f"{report.broken.problem}. {report.verified} events before it verify."
        )
    for problem in report.problems:
        err.print(f"[red]Checkpoints:[/red] {problem}")
    if not report.intact:
        raise typer.Exit(1)
    console.print(
        f"Audit chain intact: {report.verified} events verified ({span}) against "
        f"{report.checkpoints} signed checkpoints, {report.per_second:,.0f} events/s; "
        f"{report.unsealed} waiting to be sealed."
    )
    if report.removed_through:
        console.print(
            f"Events up to position {report.removed_through} were removed by retention, "
            "as a signed retention boundary records."
        )


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal every committed audit event now (the server and `tandem worker` do it each second)."""

    async def work(rt: Runtime, ctx: AccessContext) -> int:
        return (await rt.sealer().seal()).count

    console.print(f"Sealed {run_in_session(work, reason='audit seal')} audit events.")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Seal, then write a signed checkpoint of the chain's head to the checkpoint directory."""

    async def work(rt: Runtime, ctx: AccessContext) -> str:
        written = await rt.sealer().checkpoint()
        if written is None:
            return "Nothing new to checkpoint."
        return f"Checkpoint {written.number}: position {written.seq}, head {written.head[:16]}…"

    console.print(run_in_session(work, reason="audit checkpoint"))


@audit_app.command("new-keys")
def audit_new_keys() -> None:
    """Print a new sealing key and signing key, as TANDEM_AUDIT_KEY and _SIGNING_KEY take them."""
    from tandem.audit.keys import new_sealing_key, new_signing_key

    print(f"TANDEM_AUDIT_KEY={new_sealing_key()}")
    print(f"TANDEM_AUDIT_SIGNING_KEY={new_signing_key()}")


@audit_app.command("retention")
def audit_retention(
    apply: Annotated[
        bool, typer.Option("--apply", help="Remove the expired months (otherwise only list them)")
    ] = False,
) -> None:
    """List (or with --apply remove) months of audit events past TANDEM_AUDIT_RETENTION_YEARS."""
    from tandem.audit import retention
    from tandem.audit.checkpoints import CheckpointLog

    async def work(rt: Runtime, ctx: AccessContext) -> int:
        years = rt.settings.audit_retention_years
        now = rt.clock.now()
        kept_from = retention.cutoff(now, years).date().isoformat()
        async with rt.sessionmaker() as session:
            if session.get_bind().dialect.name != "postgresql":
                console.print(
                    "This database keeps the audit trail in one table, whole: retention removes "
                    "monthly partitions, which PostgreSQL has."
                )
                return 0
            if apply:
                await rt.sealer().seal()
                try:
                    expired, boundary = await retention.remove_expired(
                        session,
                        log=retention.RetentionLog(CheckpointLog(rt.settings.checkpoint_dir)),
                        key=rt.audit_keys.require_signing(),
                        now=now,
                        years=years,
                    )
                except retention.NotSealedYet as exc:
                    err.print(f"[red]Not removed:[/red] {exc}; run `tandem audit seal` first.")
                    return 1
                await session.commit()
            else:
                expired = await retention.expired_months(session, now=now, years=years)
        if not expired:
            console.print(f"Nothing older than {years} years (before {kept_from}).")
            return 0
        verb = "Removed" if apply else "Would remove"
        for month in expired:
            console.print(
                f"{verb} {month.month.table}: {month.events:,} events"
                + (f", up to chain position {month.last_seq}" if month.last_seq else "")
            )
        if apply:
            if boundary is not None:
                console.print(
                    f"Retention boundary {boundary.number} signed: events up to position "
                    f"{boundary.through} removed as older than {kept_from}."
                )
        else:
            console.print("Run `tandem audit retention --apply` to remove them.")
        return 0

    code = run_in_session(work, reason="audit retention")
    if code:
        raise typer.Exit(code)

"""`tandem token …`: API bearer tokens from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from tandem.access.context import AccessContext
from tandem.auth import service as auth
from tandem.command_help import TandemTyper
from tandem.command_line import console, err, run_in_session
from tandem.runtime import Runtime

token_app = TandemTyper(help="API bearer tokens.")


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

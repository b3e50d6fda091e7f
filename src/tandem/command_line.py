"""What every `tandem` command shares: its consoles, its settings and database checks, the
refusals it ends with, and running work as the operator."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import make_url

from tandem.access.context import AccessContext
from tandem.config import Settings
from tandem.errors import DomainError
from tandem.runtime import Runtime

T = TypeVar("T")

console = Console()
err = Console(stderr=True)

# An expected failure (no database, not migrated, unreachable, port taken, bad configuration)
# ends the command with this code and a line or two; `--debug` shows the traceback instead.
REFUSED = 2


class Refusal(Exception):
    """An expected failure, in the operator's words: what is wrong, then what to do."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0])
        self.lines = lines


def data_dir_origin() -> str:
    """How the data directory was chosen, in words."""
    if os.environ.get("TANDEM_DATA_DIR"):
        return "set by TANDEM_DATA_DIR"
    return ".tandem in the current folder, as TANDEM_DATA_DIR is not set"


def settings_problem(exc: ValidationError) -> Refusal:
    """The settings' own words (a production refusal, a value out of range) as a refusal."""
    problems = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        field = ".".join(str(part) for part in error["loc"])
        problems.append(f"TANDEM_{field.upper()}: {message}" if field else message)
    return Refusal(f"Configuration: {'; '.join(problems)}.", "Nothing was started or changed.")


def load_settings() -> Settings:
    """The settings from the environment, or a refusal saying which value is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_problem(exc) from exc


def shown_database(settings: Settings) -> str:
    """The database as an operator recognises it: the SQLite file, or the URL without password."""
    path = database_file(settings)
    if path is not None:
        return str(path)
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def database_file(settings: Settings) -> Path | None:
    """The embedded database's file, or None for a server database."""
    url = make_url(settings.resolved_database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


def require_database(settings: Settings) -> None:
    """Refuse before SQLite makes an empty file where the operator expected their database."""
    path = database_file(settings)
    if path is not None and not path.exists():
        named = "named by TANDEM_DATABASE_URL" if settings.database_url else data_dir_origin()
        raise Refusal(
            f"No Tandem database at {path} ({named}).",
            "Run tandem where you ran `make demo`, set TANDEM_DATA_DIR or TANDEM_DATABASE_URL, "
            "or create one with `tandem db upgrade`.",
        )


async def require_migrated(rt: Runtime) -> None:
    """Refuse, naming the revisions, when the schema is not this Tandem's latest."""
    from tandem.migrate import current_revision, head_revision

    current = await current_revision(rt.engine)
    latest = head_revision(rt.settings.resolved_database_url)
    if current == latest:
        return
    where = shown_database(rt.settings)
    state = "has no Tandem schema" if current is None else f"is at revision {current}"
    raise Refusal(
        f"The database {where} {state}; this Tandem needs revision {latest}.",
        "Run `tandem db upgrade` first.",
    )


def run_in_session(
    work: Callable[[Runtime, AccessContext], Awaitable[T]], *, reason: str, migrated: bool = True
) -> T:
    """Run ``work`` as the operator on the configured database (which must exist and, unless
    ``migrated`` is False, be migrated); domain errors exit 1 with their message."""
    settings = load_settings()
    require_database(settings)

    async def runner() -> T:
        rt = Runtime.build(settings, system=f"tandem {reason}")
        ctx = AccessContext.system(rt.clock, reason=reason)
        try:
            if migrated:
                await require_migrated(rt)
            return await work(rt, ctx)
        finally:
            await rt.engine.dispose()

    try:
        return asyncio.run(runner())
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        err.print(f"[red]Error{where}:[/red] {exc.message}")
        raise typer.Exit(1) from exc

"""What every `tandem` command shares: its consoles, and running work as the operator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from tandem.access.context import AccessContext
from tandem.config import Settings
from tandem.errors import DomainError
from tandem.runtime import Runtime

T = TypeVar("T")

console = Console()
err = Console(stderr=True)


def run_in_session(work: Callable[[Runtime, AccessContext], Awaitable[T]], *, reason: str) -> T:
    """Run ``work`` in one committed transaction; domain errors exit 1 with their message."""

    async def runner() -> T:
        rt = Runtime.build(Settings(), system=f"tandem {reason}")
        ctx = AccessContext.system(rt.clock, reason=reason)
        try:
            return await work(rt, ctx)
        finally:
            await rt.engine.dispose()

    try:
        return asyncio.run(runner())
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        err.print(f"[red]Error{where}:[/red] {exc.message}")
        raise typer.Exit(1) from exc

"""Rules shared by every versioned record: optimistic concurrency and partial updates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.db import Base
from tandem.errors import Conflict, ValidationProblem, found

R = TypeVar("R")


def check_version(record: Any, version: int) -> None:
    """Refuse a change based on an old copy: concurrent edits never silently overwrite each
    other (the form or request carries the version it was based on)."""
    if record.version != version:
        raise Conflict(
            "Someone else changed this record since you opened it. "
            "Reload to see their changes, then make yours again.",
            field="version",
            current_version=record.version,
        )


def current(record: R | None, version: int, what: str) -> R:
    """The record a change is based on: 404 if it is missing (or hidden), 409 if it has changed
    since the form was opened."""
    based_on = found(record, what)
    check_version(based_on, version)
    return based_on


def reject_cleared(changes: dict[str, Any], required: Iterable[str]) -> None:
    """A partial update may leave a required field out, but may not blank it."""
    for name in required:
        if name in changes and changes[name] is None:
            raise ValidationProblem(
                f"{name.replace('_', ' ').capitalize()} is required.", field=name
            )


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the unique index or constraint a failed write broke, on either backend."""
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None)  # asyncpg
    if name:
        return str(name)
    # SQLite names the columns instead: "UNIQUE constraint failed: t.a, t.b".
    match = re.search(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)", str(exc.orig))
    if not match:
        return None
    columns = [part.split(".") for part in match.group(1).split(", ")]
    table = Base.metadata.tables.get(columns[0][0])
    wanted = [c for _, c in columns]
    if table is None:
        return None
    for index in table.indexes:
        if index.unique and [c.name for c in index.columns] == wanted:
            return str(index.name)
    for constraint in table.constraints:
        names = [c.name for c in getattr(constraint, "columns", [])]
        if names == wanted and constraint.name:
            return str(constraint.name)
    return f"uq_{table.name}_{wanted[0]}" if len(wanted) == 1 else None


async def flush_unique(session: AsyncSession, messages: Mapping[str, tuple[str, str]]) -> None:
    """Flush; when a uniqueness rule the database enforces refuses it (two requests racing for
    the same record), answer 409 with the message and field ``messages`` gives for the rule
    broken, instead of a 500. ``messages``: index name -> (message, field).

    The failed flush spoils the transaction: the caller lets the Conflict end the request."""
    try:
        await session.flush()
    except IntegrityError as exc:
        name = violated_constraint(exc)
        message, field = messages.get(
            name or "", ("This conflicts with an existing record.", "form")
        )
        raise Conflict(message, field=field, constraint=name) from exc

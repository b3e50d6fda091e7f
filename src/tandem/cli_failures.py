"""The failures an operator can expect, recognised wherever they are raised, in plain words.

A command checks what it can before it starts (the database file, the schema, the port); what
only shows when it runs (PostgreSQL unreachable, a wrong password, a database that does not
exist, a table missing) is recognised here from the exception and its causes.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Iterator

from pydantic import ValidationError

from tandem.command_line import Refusal, load_settings, settings_problem, shown_database

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN}
_CHECK = "Check TANDEM_DATABASE_URL, and that the database server is running and accepts you."


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (SQLAlchemy's ``orig``) and what caused it."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        found = todo.pop(0)
        if id(found) in seen:
            continue
        seen.add(id(found))
        yield found
        todo += [
            e
            for e in (getattr(found, "orig", None), found.__cause__, found.__context__)
            if isinstance(e, BaseException)
        ]


def _reason(exc: BaseException) -> tuple[str, bool] | None:
    """Why the database could not be used, and whether it is a missing schema."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else name
    if name == "InvalidCatalogNameError":
        return f"the server has no such database ({text})", False
    if name in {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
        return f"the server refused the credentials ({text})", False
    if name == "UndefinedTableError" or (
        isinstance(exc, sqlite3.OperationalError) and text.startswith("no such table")
    ):
        return text, True
    if isinstance(exc, sqlite3.OperationalError) and "unable to open database file" in text:
        return "the SQLite file cannot be opened (is its folder there and writable?)", False
    if isinstance(exc, socket.gaierror):
        return f"the host name is not known ({exc.strerror or text})", False
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (is the server running on that port?)", False
    if isinstance(exc, TimeoutError):
        return "the connection timed out", False
    if isinstance(exc, ConnectionError) or (isinstance(exc, OSError) and exc.errno in _UNREACHABLE):
        return exc.strerror or text, False
    return None


def _database() -> str:
    try:
        return shown_database(load_settings())
    except Refusal:
        return "configured"


def explain(exc: BaseException) -> Refusal | None:
    """The refusal an expected failure stands for, or None for anything else (a bug)."""
    for found in _causes(exc):
        if isinstance(found, Refusal):
            return found
        if isinstance(found, ValidationError) and found.title == "Settings":
            return settings_problem(found)
        reason = _reason(found)
        if reason is None:
            continue
        text, missing_schema = reason
        if missing_schema:
            return Refusal(
                f"The database {_database()} is not migrated: {text}.",
                "Run `tandem db upgrade` first.",
            )
        return Refusal(f"Cannot use the database {_database()}: {text}.", _CHECK)
    return None

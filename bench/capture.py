"""Capturing the SQL one request runs, as the driver receives it, for the raw-SQL replay.

Bench-only: nothing here is imported by Tandem. Engine-class and pool-class event listeners
record, for a request that carries the ``X-Bench-Capture`` header, every statement at the cursor
level (the driver's own SQL and parameter tuple: ``$1`` for asyncpg, ``?`` for sqlite3), every
transaction boundary (begin, commit, rollback, the pool's reset on return), the pool's
pre-ping, and which DBAPI connection each ran on. ``CaptureMiddleware`` wraps the ASGI app:
it starts a recording for such a request and pickles it (UUIDs, datetimes and Decimals keep
their types) into a directory when the request has ended.
"""

from __future__ import annotations

import os
import pickle
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Connection, Engine, ExecutionContext
from sqlalchemy.pool import Pool
from starlette.types import ASGIApp, Receive, Scope, Send

CAPTURE_HEADER = "x-bench-capture"
CAPTURE_DIR_ENV = "TANDEM_BENCH_CAPTURE_DIR"
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")

# Step kinds.
EXECUTE = "execute"
EXECUTEMANY = "executemany"
BEGIN = "begin"
COMMIT = "commit"
ROLLBACK = "rollback"
RESET = "reset"  # the pool's rollback when a connection goes back to it
PING = "ping"  # the pool's pre-ping on checkout
# Statements that are transaction control, not the request's own work (as counted by
# tests/integration/test_statement_counts.py).
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@dataclass(frozen=True)
class Step:
    """One thing a request did on a DBAPI connection (``connection``: its index in the request,
    in order of first use). ``parameters``: a tuple for ``execute``, a list of tuples for
    ``executemany``, the transaction options (isolation, read only, deferrable) for ``begin``."""

    kind: str
    connection: int
    sql: str = ""
    parameters: Any = ()

    @property
    def begins(self) -> bool:
        """Begins a transaction (SQLite's BEGIN is a statement the app sends itself)."""
        return self.kind == BEGIN or (
            self.kind == EXECUTE and self.sql.lstrip().upper().startswith("BEGIN")
        )

    @property
    def is_statement(self) -> bool:
        """A statement of the request's own, not transaction control."""
        return self.kind in (EXECUTE, EXECUTEMANY) and not (
            self.sql.lstrip().upper().startswith(CONTROL)
        )


@dataclass
class Recording:
    """Everything one request ran, in order. ``inserted_ids``: the UUID primary keys of the
    rows it inserted, which a replay must give fresh values."""

    dialect: str = ""
    steps: list[Step] = field(default_factory=list)
    inserted_ids: set[uuid.UUID] = field(default_factory=set)
    status: int = 0

    @property
    def statements(self) -> int:
        return sum(1 for step in self.steps if step.is_statement)

    @property
    def connections(self) -> int:
        return 1 + max((step.connection for step in self.steps), default=0)


class Recorder:
    """The recording of the request in progress; DBAPI connections numbered as they appear."""

    def __init__(self) -> None:
        self.recording = Recording()
        # Kept alive while the request runs, so that no two share an id().
        self._seen: list[Any] = []

    def _index(self, dbapi_connection: Any) -> int:
        for index, seen in enumerate(self._seen):
            if seen is dbapi_connection:
                return index
        self._seen.append(dbapi_connection)
        return len(self._seen) - 1

    def add(self, kind: str, dbapi_connection: Any, sql: str = "", parameters: Any = ()) -> None:
        step = Step(kind, self._index(dbapi_connection), sql, parameters)
        self.recording.steps.append(step)


_current: ContextVar[Recorder | None] = ContextVar("bench_capture", default=None)


@contextmanager
def recording() -> Iterator[Recording]:
    """Record what runs on any engine in this context (and the tasks it starts)."""
    recorder = Recorder()
    token = _current.set(recorder)
    try:
        yield recorder.recording
    finally:
        _current.reset(token)


def _inserted_ids(context: ExecutionContext | None) -> set[uuid.UUID]:
    compiled = getattr(context, "compiled", None)
    if context is None or compiled is None or not context.isinsert:
        return set()
    table = getattr(compiled.statement, "table", None)
    keys = [column.key for column in getattr(table, "primary_key", ())]
    return {
        value
        for parameters in getattr(context, "compiled_parameters", ())
        for key in keys
        if isinstance(value := parameters.get(key), uuid.UUID)
    }


def _before_cursor_execute(
    conn: Connection,
    _cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    recorder = _current.get()
    if recorder is None:
        return
    recorder.recording.dialect = conn.dialect.name
    if executemany:
        recorder.add(EXECUTEMANY, conn.connection.dbapi_connection, statement, list(parameters))
    else:
        recorder.add(EXECUTE, conn.connection.dbapi_connection, statement, parameters or ())
    recorder.recording.inserted_ids |= _inserted_ids(context)


def _begin(conn: Connection) -> None:
    recorder = _current.get()
    # SQLite's BEGIN (IMMEDIATE, tandem.db) is a statement of its own, recorded as executed;
    # asyncpg's starts lazily with the next statement, with these options.
    if recorder is not None and conn.dialect.name != "sqlite":
        dbapi = conn.connection.dbapi_connection
        options = (
            getattr(dbapi, "isolation_level", None),
            bool(getattr(dbapi, "readonly", False)),
            bool(getattr(dbapi, "deferrable", False)),
        )
        recorder.add(BEGIN, dbapi, parameters=options)


def _boundary(kind: str) -> Any:
    def listener(conn: Connection) -> None:
        recorder = _current.get()
        if recorder is not None:
            recorder.add(kind, conn.connection.dbapi_connection)

    return listener


def _reset(dbapi_connection: Any, *_args: Any) -> None:
    recorder = _current.get()
    if recorder is not None:
        recorder.add(RESET, dbapi_connection)


_commit, _rollback = _boundary(COMMIT), _boundary(ROLLBACK)
_original_ping: Callable[[PGDialect_asyncpg, Any], object] = PGDialect_asyncpg.do_ping


def _ping(self: PGDialect_asyncpg, dbapi_connection: Any) -> bool:
    # The pool calls the dialect's do_ping with no event of its own: wrapped, bench-only.
    recorder = _current.get()
    if recorder is not None:
        recorder.add(PING, dbapi_connection)
    return bool(_original_ping(self, dbapi_connection))


_LISTENERS: list[tuple[Any, str, Any]] = [
    (Engine, "before_cursor_execute", _before_cursor_execute),
    (Engine, "begin", _begin),
    (Engine, "commit", _commit),
    (Engine, "rollback", _rollback),
    (Pool, "reset", _reset),
]


def install() -> None:
    """Listen on every engine and pool of this process (they record only inside
    :func:`recording`)."""
    for target, name, listener in _LISTENERS:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
    PGDialect_asyncpg.do_ping = _ping  # type: ignore[method-assign]


def uninstall() -> None:
    """Remove what :func:`install` added."""
    for target, name, listener in _LISTENERS:
        if event.contains(target, name, listener):
            event.remove(target, name, listener)
    PGDialect_asyncpg.do_ping = _original_ping  # type: ignore[method-assign]


def capture_path(directory: Path, key: str) -> Path:
    """Where the recording of the request captured as ``key`` is written."""
    if not _KEY.match(key):
        raise ValueError(f"bad capture key {key!r}")
    return directory / f"{key}.pickle"


def load(path: Path) -> Recording:
    """A recording written by :class:`CaptureMiddleware`."""
    with path.open("rb") as file:
        found = pickle.load(file)
    if not isinstance(found, Recording):
        raise TypeError(f"{path} holds no recording")
    return found


def _write(path: Path, found: Recording) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("wb") as file:
        pickle.dump(found, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)  # whole or not at all: the bench polls for the file


class CaptureMiddleware:
    """Records the requests that carry ``X-Bench-Capture: <key>`` into ``<directory>/<key>
    .pickle`` once the request has ended (its commit and the connection's return included)."""

    def __init__(self, app: ASGIApp, directory: Path) -> None:
        self.app = app
        self.directory = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = None
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name.decode("latin-1").lower() == CAPTURE_HEADER:
                    key = value.decode("latin-1")
        if key is None:
            await self.app(scope, receive, send)
            return
        path = capture_path(self.directory, key)
        status = 0

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with recording() as found:
            try:
                await self.app(scope, receive, sending)
            finally:
                found.status = status
                _write(path, found)

"""Replaying a captured request's statements with the bare driver, in the same transaction
shape: asyncpg on PostgreSQL, the standard library's sqlite3 on SQLite.

The same round trips as the app's: SQLAlchemy's asyncpg dialect begins a transaction lazily,
before a connection's first statement after a boundary (``BEGIN`` through an asyncpg
transaction), prepares each statement once per connection and runs it prepared, sends an
executemany through asyncpg's own, and commits or rolls back only a transaction it began;
its pre-ping is ``BEGIN``, ``;`` and ``ROLLBACK`` when no transaction is open. On SQLite
the app sends ``BEGIN IMMEDIATE`` itself (recorded as a statement), and sqlite3's
``commit``/``rollback`` act only inside a transaction, as aiosqlite's do.

A replayed insert would collide with the row the request inserted: :func:`fresh` gives every
UUID primary key the request inserted a new time-ordered id (as ``tandem.ids.new_id`` makes),
wherever it appears later (a UUID parameter, its hex or dashed text, inside JSON).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from bench.capture import (
    BEGIN,
    COMMIT,
    EXECUTE,
    EXECUTEMANY,
    PING,
    RESET,
    ROLLBACK,
    Recording,
    Step,
)
from tandem.db import create_engine
from tandem.ids import new_id


class Remap:
    """Replaces the given UUIDs in parameter values: as UUID objects, as SQLite's 32-digit hex
    or the dashed text form, and inside longer text (JSON, an audit event's detail)."""

    def __init__(self, ids: Mapping[uuid.UUID, uuid.UUID]) -> None:
        self.ids = dict(ids)
        self.text = {old.hex: new.hex for old, new in ids.items()}
        self.text |= {str(old): str(new) for old, new in ids.items()}

    def __call__(self, value: Any) -> Any:
        if not self.ids:
            return value
        if isinstance(value, uuid.UUID):
            return self.ids.get(value, value)
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, tuple):
            return tuple(self(item) for item in value)
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        return value

    def _text(self, value: str) -> str:
        if value in self.text:
            return self.text[value]
        if len(value) > 32 and type(value) is str:
            for old, new in self.text.items():
                if old in value:
                    value = value.replace(old, new)
        return value


def fresh(recording: Recording) -> list[Step]:
    """The recording's steps with a new id for every row it inserted (call once per replay)."""
    remap = Remap({old: new_id() for old in sorted(recording.inserted_ids)})
    return [
        Step(step.kind, step.connection, step.sql, remap(step.parameters))
        if step.kind in (EXECUTE, EXECUTEMANY)
        else step
        for step in recording.steps
    ]


AUTOCOMMIT = "autocommit"


class PostgresReplay:
    """Replays steps on asyncpg connections (connection ``i`` of a request on ``i``). Open
    them through ``tandem.db.create_engine`` so that their type codecs (json, jsonb) are the
    app's."""

    def __init__(self, connections: Sequence[Any]) -> None:
        self.connections = list(connections)
        # As the dialect's cache: each statement prepared once per connection, whatever its
        # size (asyncpg's own cache skips statements over 15 KiB).
        self.prepared: dict[tuple[int, str], Any] = {}

    async def _prepared(self, n: int, sql: str) -> Any:
        found = self.prepared.get((n, sql))
        if found is None:
            found = self.prepared[(n, sql)] = await self.connections[n].prepare(sql)
        return found

    async def run(self, steps: Sequence[Step]) -> int:
        """Replay ``steps``; how many of the request's own statements were sent."""
        open_: dict[int, Any] = {}
        options: dict[int, dict[str, Any]] = {}
        try:
            for step in steps:
                await self._step(step, open_, options)
        finally:
            for transaction in open_.values():
                await transaction.rollback()
        return sum(step.is_statement for step in steps)

    async def _step(
        self, step: Step, open_: dict[int, Any], options: dict[int, dict[str, Any]]
    ) -> None:
        n = step.connection
        connection = self.connections[n]
        if step.kind in (EXECUTE, EXECUTEMANY):
            chosen = options.get(n, {})
            # The dialect's autocommit mode sends no BEGIN.
            if n not in open_ and chosen.get("isolation") != AUTOCOMMIT:
                open_[n] = connection.transaction(**chosen)
                await open_[n].start()
            if step.kind == EXECUTE:
                await (await self._prepared(n, step.sql)).fetch(*step.parameters)
            else:
                await connection.executemany(step.sql, step.parameters)
        elif step.kind == BEGIN:
            isolation, readonly, deferrable = step.parameters
            options[n] = {"isolation": isolation, "readonly": readonly, "deferrable": deferrable}
        elif step.kind == COMMIT:
            if n in open_:
                await open_.pop(n).commit()
        elif step.kind in (ROLLBACK, RESET):
            if n in open_:
                await open_.pop(n).rollback()
        elif step.kind == PING:
            if n in open_:
                await connection.fetchrow(";")
            else:
                ping = connection.transaction()
                await ping.start()
                try:
                    await connection.fetchrow(";")
                finally:
                    await ping.rollback()
        else:
            raise ValueError(f"cannot replay a {step.kind!r} step")


# tandem.db._sqlite_pragmas: autocommit mode (BEGIN is sent explicitly) and these.
PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000", "synchronous=NORMAL")


def sqlite_connection(path: str) -> sqlite3.Connection:
    """A sqlite3 connection set up as ``tandem.db`` sets up the app's."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


class SqliteReplay:
    """Replays steps on sqlite3 connections (connection ``i`` of a request on ``i``)."""

    def __init__(self, connections: Sequence[sqlite3.Connection]) -> None:
        self.connections = list(connections)

    def run(self, steps: Sequence[Step]) -> int:
        """Replay ``steps``; how many of the request's own statements were sent."""
        try:
            for step in steps:
                connection = self.connections[step.connection]
                if step.kind == EXECUTE:
                    connection.execute(step.sql, step.parameters).fetchall()
                elif step.kind == EXECUTEMANY:
                    connection.executemany(step.sql, step.parameters)
                elif step.kind == COMMIT:
                    connection.commit()
                elif step.kind in (ROLLBACK, RESET):
                    connection.rollback()
                elif step.kind not in (BEGIN, PING):
                    raise ValueError(f"cannot replay a {step.kind!r} step")
        finally:
            for connection in self.connections:
                if connection.in_transaction:
                    connection.rollback()
        return sum(step.is_statement for step in steps)


def sqlite_path(url: str) -> str:
    """The database file of a ``sqlite+aiosqlite:///PATH`` URL."""
    return url.split(":///", 1)[1]


@asynccontextmanager
async def pg_connections(url: str, count: int) -> AsyncIterator[list[Any]]:
    """``count`` asyncpg connections opened by ``tandem.db.create_engine(url)``, so that their
    type codecs are the app's; SQLAlchemy is not used on them while they are lent."""
    engine = create_engine(url)
    try:
        async with AsyncExitStack() as stack:
            lent = [await stack.enter_async_context(engine.connect()) for _ in range(count)]
            yield [(await c.get_raw_connection()).driver_connection for c in lent]
    finally:
        await engine.dispose()

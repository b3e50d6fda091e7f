"""Pooled connections: no round trip to check one out, and one the server closed is replaced."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text
from tests.conftest import Backend

from tandem.db import create_engine


@pytest.fixture
def postgresql(backend: Backend) -> Backend:
    if backend.name != "postgresql":
        pytest.skip("the driver's own view of a closed connection is asyncpg's")
    return backend


async def test_a_connection_the_server_closed_is_replaced_before_a_statement_runs(
    postgresql: Backend,
) -> None:
    engine = create_engine(postgresql.url)
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        # Back in the pool; now the server ends it (as a restart or an operator would).
        admin = create_engine(postgresql.url)
        try:
            async with admin.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        finally:
            await admin.dispose()
        await asyncio.sleep(0.5)  # the driver learns of the closed socket from the event loop
        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
        # No ping before the statement: the check-out itself sent nothing.
        assert sent == ["SELECT pg_backend_pid()"]
    finally:
        await engine.dispose()

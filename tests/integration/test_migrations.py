"""Migrations: the schema they build matches the models; nothing starts on an old schema."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Uuid, bindparam, text
from tests.factories import Factory, phq9_answers

from tandem.app import DatabaseNotMigrated, create_app
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.db import create_engine
from tandem.migrate import alembic_config, head_revision, include_object, is_up_to_date
from tandem.migrate import upgrade as migrate
from tandem.models import Base
from tandem.runtime import Runtime

TANDEM = Path(sys.executable).with_name("tandem")


async def _start(app: Any) -> None:
    async with app.router.lifespan_context(app):
        pass


async def test_the_app_refuses_to_start_on_an_unmigrated_database(
    backend: Any, settings_for: Callable[..., Settings]
) -> None:
    app = create_app(settings_for(backend.fresh_database(migrated=False)))
    with pytest.raises(DatabaseNotMigrated, match="tandem db upgrade"):
        await _start(app)


async def test_the_app_starts_on_a_migrated_database(
    backend: Any, settings_for: Callable[..., Settings]
) -> None:
    url = backend.fresh_database()
    await _start(create_app(settings_for(url)))
    engine = create_engine(url)
    try:
        assert await is_up_to_date(engine)
    finally:
        await engine.dispose()


async def test_the_migrations_build_exactly_the_models_schema(backend: Any) -> None:
    engine = create_engine(backend.url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_object": include_object}
                    ),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert differences == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _tandem(*args: str, url: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": url,
        "TANDEM_PORT": str(_free_port()),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    process = await asyncio.create_subprocess_exec(
        str(TANDEM),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"tandem {' '.join(args)} did not exit")
    # communicate() has read to the end; wait() gives the exit code it ended with.
    return await process.wait(), (stdout + stderr).decode()


@pytest.mark.slow
async def test_tandem_serve_on_an_unmigrated_database_exits_2_asking_for_an_upgrade(
    backend: Any,
) -> None:
    url = backend.fresh_database(migrated=False)
    if backend.name == "sqlite":
        # An empty file: with none at all, serve says there is no database (test_cli_failures).
        sqlite3.connect(url.split("///", 1)[1]).close()
    code, output = await _tandem("serve", url=url)
    assert code == 2, output
    assert "has no Tandem schema" in output
    assert "tandem db upgrade" in output
    assert "Traceback" not in output


@pytest.mark.slow
async def test_tandem_db_upgrade_brings_a_new_database_to_head(backend: Any) -> None:
    url = backend.fresh_database(migrated=False)
    code, output = await _tandem("db", "upgrade", url=url)
    assert code == 0, output
    engine = create_engine(url)
    try:
        assert await is_up_to_date(engine)
    finally:
        await engine.dispose()
    assert head_revision(url)


async def test_0012_links_the_notifications_already_sent_to_their_alerts_and_keeps_old_words(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock
) -> None:
    """A database before 0012 with safety alerts, their notifications, and an alert closed in
    words only: after 0012 each notification names its alert, and the closed alert still reads
    as it was closed (no actions, its words)."""
    url = backend.fresh_database()
    runtime = Runtime.build(settings_for(url), clock=clock)
    factory = Factory(runtime.sessionmaker, clock)
    try:
        lead = await factory.user(role="care_manager")
        chart = await factory.patient(lead=lead)
        first = await factory.response(chart.patient, lead, answers=phq9_answers(9, item9=1))
        clock.advance(days=2)
        second = await factory.response(chart.patient, lead, answers=phq9_answers(9, item9=2))
    finally:
        await runtime.engine.dispose()
    # One step down from the head: the revision before 0012.
    await asyncio.to_thread(command.downgrade, alembic_config(url), "-1")
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE safety_alert SET status = 'resolved', version = 2, "
                    "action_taken = 'Called her; safety plan reviewed.' WHERE response_id = :r"
                ).bindparams(bindparam("r", type_=Uuid())),
                {"r": first.id},
            )
    finally:
        await engine.dispose()
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            alerts = {
                _hex(row.response_id): row
                for row in await connection.execute(
                    text("SELECT id, response_id, status, actions, action_taken FROM safety_alert")
                )
            }
            linked = sorted(
                _hex(row.safety_alert_id)
                for row in await connection.execute(
                    text("SELECT safety_alert_id FROM notification WHERE kind = 'safety_alert'")
                )
            )
    finally:
        await engine.dispose()
    old, new = alerts[_hex(first.id)], alerts[_hex(second.id)]
    assert linked == sorted([_hex(old.id), _hex(new.id)])
    assert (old.status, old.actions, old.action_taken) == (
        "resolved",
        None,
        "Called her; safety plan reviewed.",
    )


def _hex(value: Any) -> str:
    """An id as SQLite (32 hex digits) and PostgreSQL (a UUID) both give it back."""
    return str(value).replace("-", "")

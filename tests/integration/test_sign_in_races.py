"""Sign-in under real concurrency: parallel attempts through the app's own connection pool.

The usual test fixtures run every request on one connection inside one transaction, which
would serialise these attempts and hide the race; so each test here takes a committed database
of its own. On PostgreSQL the attempts truly race; on SQLite the writes serialise.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from tests.factories import PASSWORD, Factory, api_client, login_csrf, seal_and_verify

from tandem.app import create_app
from tandem.audit.models import AuditEvent
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.people.models import User
from tandem.runtime import Runtime

THRESHOLD = 8
PARALLEL = 40


@dataclass
class Committed:
    app: FastAPI
    runtime: Runtime
    factory: Factory


@pytest.fixture
async def committed(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[Committed]:
    settings = settings_for(backend.fresh_database(), login_lockout_after=THRESHOLD)
    runtime = Runtime.build(settings, clock=clock)
    try:
        app = create_app(settings, runtime=runtime, check_migrations=False)
        yield Committed(app, runtime, Factory(runtime.sessionmaker, clock))
    finally:
        await runtime.engine.dispose()


async def _attempt(app: FastAPI, username: str, password: str) -> httpx.Response:
    """One browser: fetch the form, then post it (the posts are what race)."""
    async with api_client(app) as client:
        token = await login_csrf(client)
        return await client.post(
            "/login", data={"username": username, "password": password, "login_csrf": token}
        )


async def _parallel_attempts(
    app: FastAPI, username: str, passwords: list[str]
) -> list[httpx.Response]:
    # Each attempt fetches its form first, so the posts arrive together.
    clients = [api_client(app) for _ in passwords]
    try:
        tokens = [await login_csrf(client) for client in clients]
        return list(
            await asyncio.gather(
                *(
                    client.post(
                        "/login",
                        data={"username": username, "password": password, "login_csrf": token},
                    )
                    for client, token, password in zip(clients, tokens, passwords, strict=True)
                )
            )
        )
    finally:
        for client in clients:
            await client.aclose()


async def test_parallel_wrong_passwords_lock_the_account_after_exactly_the_threshold(
    committed: Committed,
) -> None:
    user = await committed.factory.user(role="care_manager")
    guesses = [f"guess-number-{n:03d}" for n in range(PARALLEL)]

    responses = await _parallel_attempts(committed.app, user.username, guesses)

    assert Counter(r.status_code for r in responses) == {401: PARALLEL}
    reloaded = await committed.factory.reload(User, user.id)
    assert reloaded.failed_logins == THRESHOLD
    assert reloaded.locked_until is not None
    # Locked now: even the right password is refused, in the words of any failed sign-in.
    assert (await _attempt(committed.app, user.username, PASSWORD)).status_code == 401

    async with committed.factory.system_session() as session:
        events = list(
            (
                await session.execute(
                    select(AuditEvent).where(
                        AuditEvent.record_type == "SignIn", AuditEvent.username == user.username
                    )
                )
            ).scalars()
        )
    report = await seal_and_verify(committed.runtime)
    assert len(events) == PARALLEL + 1
    assert all(e.outcome == 4 for e in events)
    results = Counter(e.detail for e in events)
    assert results['{"result": "wrong password"}'] == THRESHOLD
    assert results['{"result": "account locked"}'] == PARALLEL + 1 - THRESHOLD
    assert report.intact and report.unsealed == 0
    assert report.verified >= PARALLEL + 1


async def test_parallel_attempts_on_unknown_names_are_each_audited(
    committed: Committed,
) -> None:
    responses = await _parallel_attempts(
        committed.app, "nobody-by-this-name", [f"guess-{n}" for n in range(PARALLEL)]
    )
    assert Counter(r.status_code for r in responses) == {401: PARALLEL}
    async with committed.factory.system_session() as session:
        events = list(
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.username == "nobody-by-this-name")
                )
            ).scalars()
        )
    assert len(events) == PARALLEL
    assert {e.detail for e in events} == {'{"result": "unknown user"}'}

"""Per-test isolation: every test runs inside one outer transaction that is rolled back.

The app's sessions join that transaction through savepoints, so a request's commit is real to
the requests after it, and nothing survives the test. Anything that opens its own connection
(a CLI subprocess, a server in another thread) cannot see this transaction: such tests take a
committed database of their own from ``backend.fresh_database()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from tests.factories import Browser, Factory, PatientWithTeam, api_client, browser, password_hash

from tandem.app import create_app
from tandem.auth import passwords
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.db import create_engine
from tandem.people.models import User
from tandem.runtime import Runtime


@pytest.fixture(autouse=True)
def light_dummy_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown usernames are checked against a dummy hash with production argon2 costs (a few
    hundred ms each); the test users' hashes are light, so the dummy is made light as well."""
    monkeypatch.setattr(passwords, "_DUMMY_HASH", password_hash())


@pytest.fixture(scope="session")
async def engine(backend: Any) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(backend.url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        outer = await connection.begin()
        try:
            yield connection
        finally:
            if outer.is_active:
                await outer.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or with ``@pytest.mark.parametrize``) to change settings."""
    return {}


@pytest.fixture
def settings(
    backend: Any, settings_overrides: dict[str, Any], settings_for: Callable[..., Settings]
) -> Settings:
    return settings_for(backend.url, **settings_overrides)


@pytest.fixture
def runtime(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> Runtime:
    return Runtime(settings=settings, engine=engine, sessionmaker=sessionmaker, clock=clock)


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime=runtime, check_migrations=False)


@pytest.fixture
def factory(sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Factory:
    return Factory(sessionmaker, clock)


# -- people who come up in many tests ------------------------------------------------------


@pytest.fixture
async def care_manager(factory: Factory) -> User:
    return await factory.user(role="care_manager", full_name="Casey Lead")


@pytest.fixture
async def outsider(factory: Factory) -> User:
    """A care manager who is on nobody's care team."""
    return await factory.user(role="care_manager", full_name="Olive Outsider")


@pytest.fixture
async def admin(factory: Factory) -> User:
    return await factory.user(role="administrator", full_name="Ada Admin")


@pytest.fixture
async def privacy_officer(factory: Factory) -> User:
    return await factory.user(role="privacy_officer", full_name="Ruth Privacy")


@pytest.fixture
async def chart(factory: Factory, care_manager: User) -> PatientWithTeam:
    """A patient whose lead care manager is ``care_manager``."""
    return await factory.patient(lead=care_manager, given_name="José", family_name="Núñez")


@pytest.fixture
async def client_for(app: FastAPI, factory: Factory) -> AsyncIterator[Any]:
    """``await client_for(user)``: an API client with a fresh bearer token for ``user``."""
    clients: list[httpx.AsyncClient] = []

    async def make(user: User) -> httpx.AsyncClient:
        client = api_client(app, await factory.token(user))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def browser_for(app: FastAPI, factory: Factory) -> AsyncIterator[Any]:
    """``await browser_for(user)``: a client signed in through the /login form."""
    browsers: list[Browser] = []

    async def make(user: User) -> Browser:
        signed_in = await browser(factory, app, user)
        browsers.append(signed_in)
        return signed_in

    yield make
    for signed_in in browsers:
        await signed_in.client.aclose()

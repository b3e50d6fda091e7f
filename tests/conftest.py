"""Shared test fixtures: the database backends, migrated once per session, and a frozen clock.

Integration tests run once per backend: SQLite always, PostgreSQL too when
``TANDEM_TEST_DATABASE_URL`` names a database on a server (e.g.
``postgresql+asyncpg://postgres@127.0.0.1:5432/tandem_test``). The suite never changes that
database: it connects to it only to create and drop databases of its own beside it, one per
test process (``tandem_test_<run>_main``, or ``tandem_test_<run>_gw0``… under pytest-xdist, with
``<run>`` new for every run) and a few for tests that need a committed database of their own
(``tandem_test_<run>_gw0_<random>``); each is dropped when its process ends.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.migrate import upgrade

T = TypeVar("T")

PG_URL_ENV = "TANDEM_TEST_DATABASE_URL"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(PG_URL_ENV) else [])


def under_ci() -> bool:
    """CI sets CI=true: there, a missing PostgreSQL or Chromium fails the run, never skips."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


FUZZ_SEED_ENV = "TANDEM_FUZZ_SEED"


def fuzz_seed() -> int:
    """This run's seed for the API fuzzer: set once by the first pytest process, so that every
    xdist worker (which inherits its environment) fuzzes with the same one."""
    return int(os.environ[FUZZ_SEED_ENV])


def pytest_report_header(config: pytest.Config) -> list[str]:
    """What this run sets up: the databases, the browser, the fuzzer's seed."""
    lines = ["SQLite: a fresh database file per test process, under pytest's temporary folder"]
    pg_url = os.environ.get(PG_URL_ENV)
    if pg_url:
        server = make_url(pg_url)
        lines.append(
            f"PostgreSQL: databases {server.database}_{os.environ[RUN_ENV]}_<process> made on "
            f"{server.host}:{server.port or 5432} and dropped afterwards ({server.database} "
            "itself is never touched)"
        )
    else:
        skipped = "fails the run (CI=true)" if under_ci() else "its tests are skipped"
        lines.append(f"PostgreSQL: {PG_URL_ENV} is not set, {skipped}")
    chromium = Path("/usr/bin/chromium")
    lines.append(
        f"Browser tests: Chromium at {chromium}"
        if chromium.exists()
        else f"Browser tests: no Chromium at {chromium}, "
        + ("the run fails (CI=true)" if under_ci() else "they are skipped")
    )
    lines.append(f"API fuzzer seed: {fuzz_seed()} (replay with {FUZZ_SEED_ENV}={fuzz_seed()})")
    return lines


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Said again at the end, where a quiet run (-q, as make test runs) still shows it."""
    terminalreporter.write_sep("-", "what this run set up")
    for line in pytest_report_header(config):
        terminalreporter.write_line(line)


# This run's name, shared like the fuzz seed by every xdist worker: the databases it makes.
RUN_ENV = "TANDEM_TEST_RUN"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(FUZZ_SEED_ENV, str(random.SystemRandom().randrange(2**32)))
    os.environ.setdefault(RUN_ENV, uuid.uuid4().hex[:8])
    if under_ci() and PG_URL_ENV not in os.environ:
        raise pytest.UsageError(
            f"CI=true but {PG_URL_ENV} is not set: the suite must run on PostgreSQL too"
        )


# A Tuesday in March, away from month ends and daylight-saving changes.
FROZEN_AT = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
TEST_AUDIT_KEY = "k-test:" + "dGFuZGVtLXRlc3QtYXVkaXQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg=="
TEST_SIGNING_KEY = "QUq9SXqfWfXEdmRR1Z3hO0FzvK6vDwBkpnEiUwiVLcw="

hypothesis_settings.register_profile(
    "tandem",
    deadline=None,
    print_blob=True,
    # mutmut (make mutation) runs the tests twice in one process, under two executors.
    suppress_health_check=[HealthCheck.differing_executors]
    if "MUTANT_UNDER_TEST" in os.environ
    else [],
)
hypothesis_settings.load_profile("tandem")


def run_in_thread(work: Callable[[], T]) -> T:
    """Run blocking or ``asyncio.run`` work off the test event loop's thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def run_coroutine_in_thread(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private event loop in another thread."""

    async def runner() -> T:
        return await make()

    return run_in_thread(lambda: asyncio.run(runner()))


def migrate(url: str) -> None:
    """Run the Alembic migrations (they call ``asyncio.run``, so never on the test loop)."""
    run_in_thread(lambda: upgrade(url))


async def _execute_autocommit(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def execute_autocommit(url: str, *statements: str) -> None:
    run_coroutine_in_thread(lambda: _execute_autocommit(url, *statements))


@dataclass
class Backend:
    """One database backend: the shared migrated database and a maker of private ones."""

    name: str
    url: str
    tmp_dir: Path
    created: list[str] = field(default_factory=list)

    def fresh_database(self, *, migrated: bool = True) -> str:
        """A new, empty database of this backend for tests that need committed data
        (subprocesses, servers in their own thread); migrated unless asked otherwise."""
        if self.name == "sqlite":
            path = self.tmp_dir / f"fresh-{uuid.uuid4().hex[:10]}.sqlite3"
            url = f"sqlite+aiosqlite:///{path}"
        else:
            base = make_url(self.url)
            # Named after the test database, so a crashed run's leftovers are easy to find.
            name = f"{base.database}_{uuid.uuid4().hex[:10]}"[:63]
            execute_autocommit(self.url, f'CREATE DATABASE "{name}"')
            self.created.append(name)
            url = base.set(database=name).render_as_string(hide_password=False)
        if migrated:
            migrate(url)
        return url

    def drop_created(self) -> None:
        for name in self.created:
            execute_autocommit(self.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def _own_database(url: str, worker: str) -> str:
    """A new database for this test process on the server ``url`` names, named after the
    configured database, this run and the worker (``tandem_test_1a2b3c4d_gw1``); the configured
    database is only where the statement that creates it runs."""
    base = make_url(url)
    process = "main" if worker == "master" else worker
    name = f"{base.database}_{os.environ[RUN_ENV]}_{process}"[:63]
    execute_autocommit(url, f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def _prepare(name: str, tmp_dir: Path, worker: str) -> Backend:
    if name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_dir / 'tandem.sqlite3'}"
    else:
        # An empty database, migrated from nothing exactly as in production.
        url = _own_database(os.environ[PG_URL_ENV], worker)
    migrate(url)
    return Backend(name=name, url=url, tmp_dir=tmp_dir)


@pytest.fixture(scope="session", params=BACKENDS, ids=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """The database backend under test, migrated once per session (and per xdist worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "master")
    prepared = _prepare(request.param, tmp_path_factory.mktemp(request.param), worker)
    yield prepared
    prepared.drop_created()
    if prepared.name == "postgresql":
        name = make_url(prepared.url).database
        execute_autocommit(os.environ[PG_URL_ENV], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clock() -> FrozenClock:
    """Time stands still unless a test moves it."""
    return FrozenClock(FROZEN_AT)


def _make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: explicit values, so the developer's environment cannot leak in."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "secret_key": "test-secret-key-not-for-production",
        "public_url": "http://testserver",
        "session_idle_minutes": 30,
        "session_max_hours": 12,
        # Slow-down is tested on its own; elsewhere failed sign-ins answer at once.
        "login_slowdown_after": 1000,
        "login_lockout_after": 5,
        "login_lockout_minutes": 15,
        "break_glass_minutes": 60,
        "token_days": 90,
        "page_size": 25,
        "sql_echo": False,
        # Fixed audit keys for tests (never used anywhere else); checkpoints in a folder of the
        # test's own, made only when one is written.
        "audit_key": TEST_AUDIT_KEY,
        "audit_signing_key": TEST_SIGNING_KEY,
        "audit_checkpoint_dir": Path(tempfile.gettempdir())
        / f"tandem-test-checkpoints-{uuid.uuid4().hex}",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    """``settings_for(url, **overrides)``: test settings for a database."""
    return _make_settings

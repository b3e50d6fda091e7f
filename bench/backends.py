"""Fresh databases for each run: an SQLite file under bench/.work, or a PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

WORK = Path(__file__).parent / ".work"
PG_ADMIN_DSN = os.environ.get("TANDEM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Databases are named PREFIX_<size>; a shared server may want its own prefix.
PG_DATABASE = os.environ.get("TANDEM_BENCH_DB_PREFIX", "tandem_bench")


@dataclass(frozen=True)
class Backend:
    """Where one benchmark run keeps its data, and the environment that points Tandem at it."""

    name: str
    size: int
    url: str
    data_dir: Path
    database: str | None = None

    def env(self) -> dict[str, str]:
        """The process environment for tandem commands: only our TANDEM_ settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
        env["TANDEM_DATA_DIR"] = str(self.data_dir)
        env["TANDEM_ENVIRONMENT"] = "development"
        if self.name == "postgresql":
            env["TANDEM_DATABASE_URL"] = self.url
        return env


def _pg_host_part() -> str:
    return PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]


async def _pg_admin(*statements: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def postgresql_version() -> str | None:
    """The server version, or None when PostgreSQL cannot be reached."""

    async def ask() -> str:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    try:
        return asyncio.run(ask())
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return None


def sqlite_version() -> str:
    """The SQLite library the Python running Tandem links against."""
    return sqlite3.sqlite_version


def fresh(name: str, size: int) -> Backend:
    """Create an empty database for ``name`` (sqlite or postgresql)."""
    data_dir = WORK / f"{name}-{size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    if name == "sqlite":
        url = f"sqlite+aiosqlite:///{(data_dir / 'tandem.sqlite3').resolve()}"
        return Backend(name, size, url, data_dir)
    if name == "postgresql":
        # One database per size: the sizes of a backend are served side by side.
        database = f"{PG_DATABASE}_{size}"
        asyncio.run(
            _pg_admin(
                f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}"
            )
        )
        url = f"postgresql+asyncpg://{_pg_host_part()}/{database}"
        return Backend(name, size, url, data_dir, database)
    raise ValueError(f"unknown backend {name!r}")


def drop(backend: Backend) -> None:
    """Remove the run's database and scratch files (logs are kept)."""
    if backend.database:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {backend.database} WITH (FORCE)"))
    for path in backend.data_dir.glob("tandem.sqlite3*"):
        path.unlink()

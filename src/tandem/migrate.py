"""Running Alembic from Tandem: upgrade, and the "is this database migrated?" check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tandem.audit.partitions import DEFAULT_PARTITION, Month

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s")
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``; creates the SQLite file's folder if needed."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def revision_in(session: AsyncSession) -> str | None:
    """The revision of the database, asked through a request's session (/readyz)."""
    connection = await session.connection()
    return await connection.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )


async def is_up_to_date(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision(str(engine.url))


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """What schema comparison looks at: the audit table's monthly partitions (PostgreSQL) are
    made at run time and are no model's, so they are left out."""
    if kind == "table" and name is not None and reflected and compare_to is None:
        return not is_audit_partition(name)
    if kind == "index" and reflected and compare_to is None:
        table = getattr(obj, "table", None)
        return not (table is not None and is_audit_partition(table.name))
    return True


def is_audit_partition(name: str) -> bool:
    return name == DEFAULT_PARTITION or Month.from_table(name) is not None

"""The audit table's monthly partitions on PostgreSQL (declarative range partitioning).

Each month of ``recorded_at`` (UTC) has its own partition, ``audit_event_y2026m12``; a default
partition takes any event whose month has none yet, so no event is ever refused for want of a
partition. The sealer makes the coming months' partitions ahead of time (``ensure_ahead``), and
retention (``tandem.audit.retention``) drops whole months once they are older than the retention
period. SQLite keeps one table: nothing here runs there.

Why monthly: the privacy officer's searches are by period, and PostgreSQL then reads only the
months asked for; a month of a busy clinic is a few million rows, whose indexes stay in memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.audit.scope import audit_partitions

log = logging.getLogger("tandem.audit")

PARENT = "audit_event"
DEFAULT_PARTITION = "audit_event_default"
# How many months past the current one have their partition ready before they begin.
MONTHS_AHEAD = 2


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime | date) -> Month:
        return cls(moment.year, moment.month)

    def next(self, months: int = 1) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    @property
    def table(self) -> str:
        return f"{PARENT}_y{self.year:04d}m{self.month:02d}"

    @classmethod
    def from_table(cls, name: str) -> Month | None:
        prefix = f"{PARENT}_y"
        if not name.startswith(prefix) or len(name) != len(prefix) + 7 or name[-3] != "m":
            return None
        try:
            return cls(int(name[len(prefix) : len(prefix) + 4]), int(name[-2:]))
        except ValueError:
            return None


def is_partitioned(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def existing(session: AsyncSession) -> list[Month]:
    """The monthly partitions there are, oldest first."""
    names = await session.scalars(
        audit_partitions(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST(:parent AS regclass)"
            )
        ),
        {"parent": PARENT},
    )
    return sorted(m for name in names if (m := Month.from_table(name)) is not None)


def create_statement(month: Month) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {month.table} PARTITION OF {PARENT} "
        f"FOR VALUES FROM ('{month.start.isoformat()}') TO ('{month.end.isoformat()}')"
    )


async def create(session: AsyncSession, month: Month) -> bool:
    """Make ``month``'s partition in its own savepoint. False when the default partition already
    holds events of that month (they stay there, and are searched and verified as any other)."""
    try:
        async with session.begin_nested():
            # Making a partition locks the parent table a moment: never wait long for it.
            await session.execute(text("SET LOCAL lock_timeout = '2s'"))
            await session.execute(audit_partitions(text(create_statement(month))))
    except DBAPIError as error:
        log.warning("could not make the audit partition %s: %s", month.table, error.orig)
        return False
    return True


@dataclass
class Partitioner:
    """Makes sure the current and the next months have partitions; asks the database once a
    month per process, not on every sealing pass."""

    ready_through: Month | None = None

    async def ensure_ahead(self, session: AsyncSession, now: datetime) -> list[Month]:
        if not is_partitioned(session):
            return []
        wanted = [Month.of(now).next(k) for k in range(MONTHS_AHEAD + 1)]
        if self.ready_through is not None and self.ready_through >= wanted[-1]:
            return []
        have = set(await existing(session))
        made = [m for m in wanted if m not in have and await create(session, m)]
        if all(m in have or m in made for m in wanted):
            self.ready_through = wanted[-1]
        return made

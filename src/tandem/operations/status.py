"""What `tandem status` reads: the schema's revision, the audit chain's head, rows per table."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import tandem.models  # noqa: F401  (every table, so that all are counted)
from tandem.audit.models import AuditEvent
from tandem.db import Base
from tandem.migrate import current_revision, head_revision
from tandem.runtime import Runtime


@dataclass
class ChainHead:
    """The last sealed position and its link, and how many events wait to be sealed."""

    position: int = 0
    link: str | None = None
    unsealed: int = 0


@dataclass
class Status:
    revision: str | None
    latest: str | None
    chain: ChainHead = field(default_factory=ChainHead)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def migrated(self) -> bool:
        return self.revision == self.latest


async def chain_head(session: AsyncSession) -> ChainHead:
    sealed = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.seq.is_not(None))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).first()
    unsealed = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))
    )
    if sealed is None:
        return ChainHead(unsealed=int(unsealed or 0))
    return ChainHead(int(sealed.seq), sealed.hash, int(unsealed or 0))


async def row_counts(session: AsyncSession) -> dict[str, int]:
    """Rows in every table of Tandem's schema, by table name."""
    counts = {}
    for name, table in sorted(Base.metadata.tables.items()):
        counts[name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def read_status(rt: Runtime) -> Status:
    """The database's state; rows and chain only when the schema is this Tandem's."""
    found = Status(
        await current_revision(rt.engine), head_revision(rt.settings.resolved_database_url)
    )
    if not found.migrated:
        return found
    async with rt.sessionmaker() as session:
        found.chain = await chain_head(session)
        found.rows = await row_counts(session)
    return found

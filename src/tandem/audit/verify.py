"""Verifying the audit chain against its keys and its signed checkpoints.

Three kinds of tampering each fail and say where: an edited row (its link no longer matches),
a re-hashed stretch (nobody without the audit key can compute links that match, and the
checkpoints name the heads the chain had), and a deleted tail (the chain ends before the last
checkpoint). A checkpoint missing from the numbered sequence, or one whose signature does not
hold, is reported too.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.audit.chain import CHAINED_FIELDS, GENESIS, BrokenLink, ChainVerifier
from tandem.audit.checkpoints import Checkpoint, CheckpointLog, sequence_problems
from tandem.audit.models import AuditEvent
from tandem.audit.retention import Boundary, RetentionLog

SEALED_COLUMNS = [
    getattr(AuditEvent, name) for name in (*CHAINED_FIELDS, "seq", "key_id", "prev_hash", "hash")
]


@dataclass
class Report:
    verified: int = 0
    first: int = 1
    last: int = 0
    broken: BrokenLink | None = None
    problems: list[str] = field(default_factory=list)
    unsealed: int = 0
    checkpoints: int = 0
    seconds: float = 0.0
    # Events up to this position were removed by retention, as a signed boundary says.
    removed_through: int = 0
    # The problem (among ``problems``) that the chain ends before a checkpoint's position: after
    # a restore from backup, the events written after the backup was taken.
    tail_problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.problems

    @property
    def per_second(self) -> float:
        return self.verified / self.seconds if self.seconds else 0.0


async def _sealed(
    session: AsyncSession, *, first: int, last: int | None, batch: int = 10_000
) -> AsyncIterator[Mapping[str, Any]]:
    """Sealed events from position ``first`` (to ``last``), in chain order, a batch at a time."""
    after = first - 1
    while True:
        stmt = select(*SEALED_COLUMNS).where(AuditEvent.seq > after)
        if last is not None:
            stmt = stmt.where(AuditEvent.seq <= last)
        rows = (await session.execute(stmt.order_by(AuditEvent.seq).limit(batch))).mappings().all()
        if not rows:
            return
        for row in rows:
            yield dict(row)
        after = int(rows[-1]["seq"])


def _start(checkpoints: list[Checkpoint], first: int, removed: Boundary | None) -> tuple[int, str]:
    """Where to begin checking a range: the closest signed position before it (a checkpoint, or
    the retention boundary) vouches for its head."""
    anchors = [(c.seq, c.head) for c in checkpoints]
    if removed is not None:
        anchors.append((removed.through, removed.head))
        first = max(first, removed.through + 1)
    below = [anchor for anchor in anchors if anchor[0] < first]
    if first <= 1 or not below:
        return 1, GENESIS
    seq, head = max(below)
    return seq + 1, head


async def verify(
    session: AsyncSession,
    secrets: Mapping[str, bytes],
    log: CheckpointLog,
    *,
    first: int = 1,
    last: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Check the sealed chain (or positions ``first``..``last``) and every checkpoint."""
    started = time.perf_counter()
    checkpoints = log.read()
    report = Report(checkpoints=len(checkpoints))
    report.problems += sequence_problems(checkpoints)
    report.problems += [p for c in checkpoints if (p := log.signature_problem(c))]
    retention = RetentionLog(log)
    report.problems += retention.problems()
    removed = retention.last()
    report.removed_through = removed.through if removed else 0
    begin, prev = _start(checkpoints, first, removed)
    report.first = begin
    heads = {c.seq: c for c in checkpoints}
    verifier = ChainVerifier(secrets, start=begin, prev_hash=prev)
    async for event in _sealed(session, first=begin, last=last):
        broken = verifier.check(event)
        if broken:
            report.broken = broken
            break
        seq = int(event["seq"])
        vouched = heads.get(seq)
        if vouched is not None and vouched.head != event["hash"]:
            report.broken = BrokenLink(
                seq,
                f"checkpoint {vouched.number} recorded another link at this position: the "
                "chain was rewritten from here or before",
                int(event["id"]),
            )
            break
        if progress and verifier.verified % 10_000 == 0:
            progress(10_000)
    report.verified = verifier.verified
    report.last = verifier.head[0]
    if report.broken is None and last is None:
        reached = max((c.seq for c in checkpoints), default=0)
        if reached > report.last:
            report.tail_problem = (
                f"the chain ends at position {report.last}, but checkpoint "
                f"{max(checkpoints, key=lambda c: c.seq).number} recorded position {reached}: "
                f"events {report.last + 1} to {reached} were removed"
            )
            report.problems.append(report.tail_problem)
    report.unsealed = int(
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))
        )
        or 0
    )
    report.seconds = time.perf_counter() - started
    return report

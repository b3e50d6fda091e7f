"""The sealer: gives committed audit events their place in the chain, behind the requests.

Requests insert their events without a lock. One sealer at a time (PostgreSQL: an advisory lock
only the sealer takes; SQLite: its single writer) takes the committed events that have no place
yet, in id order, and gives each the next chain position and a keyed link, in one transaction.
The chain therefore follows sealing order. A sealer that stops mid-batch loses nothing and seals
nothing twice: the batch commits whole or not at all, and a sealed row cannot be sealed again
(the database's trigger refuses it).

It runs inside ``tandem serve`` (the demo, a single server), as ``tandem worker``, and by hand
as ``tandem audit seal``. After sealing it writes a signed checkpoint when enough has been
sealed, or enough time has passed, since the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem.audit.chain import CHAINED_FIELDS, GENESIS, keyed_link
from tandem.audit.checkpoints import Checkpoint, CheckpointLog
from tandem.audit.keys import AuditKeys
from tandem.audit.models import AuditEvent
from tandem.audit.partitions import Partitioner
from tandem.audit.scope import audit_seal
from tandem.clock import Clock

log = logging.getLogger("tandem.audit")

# An arbitrary constant naming the sealer's lock among PostgreSQL advisory locks. Requests never
# take it: they only insert.
SEALER_LOCK = 7_261_845
BATCH = 2000
COLUMNS = [getattr(AuditEvent, name) for name in CHAINED_FIELDS]
_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
_SEAL_VALUES: dict[str, Any] = {
    "seq": bindparam("b_seq"),
    "prev_hash": bindparam("b_prev"),
    "hash": bindparam("b_hash"),
    "key_id": bindparam("b_key"),
    "sealed_at": bindparam("b_sealed_at"),
}
SEAL_BY_ID = update(_EVENTS).where(_EVENTS.c.id == bindparam("b_id")).values(_SEAL_VALUES)
# On PostgreSQL, recorded_at beside the id takes the update straight to the event's monthly
# partition (the value is the one just read, so it matches exactly).
SEAL_IN_MONTH = SEAL_BY_ID.where(_EVENTS.c.recorded_at == bindparam("b_at"))


@dataclass
class Sealed:
    """What one pass sealed: how many, the head it left, and each event's wait for its seal."""

    count: int = 0
    head_seq: int = 0
    head: str = GENESIS
    lag_seconds: list[float] = field(default_factory=list)
    busy: bool = False  # another sealer held the lock


async def _take_lock(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite's BEGIN IMMEDIATE already makes this transaction the only writer
    got = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SEALER_LOCK})
    return bool(got)


async def chain_head(session: AsyncSession) -> tuple[int, str]:
    """The last sealed position and its link (0 and the genesis link for an empty chain)."""
    row = (
        await session.execute(
            audit_seal(
                select(AuditEvent.seq, AuditEvent.hash)
                .where(AuditEvent.seq.is_not(None))
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            )
        )
    ).first()
    return (int(row[0] or 0), str(row[1])) if row else (0, GENESIS)


async def seal_batch(
    session: AsyncSession, keys: AuditKeys, *, now: datetime, batch: int = BATCH
) -> Sealed:
    """Seal up to ``batch`` committed events in ``session``'s transaction (the caller commits)."""
    if not await _take_lock(session):
        return Sealed(busy=True)
    seq, prev = await chain_head(session)
    rows = (
        (
            await session.execute(
                audit_seal(
                    select(*COLUMNS)
                    .where(AuditEvent.seq.is_(None))
                    .order_by(AuditEvent.id)
                    .limit(batch)
                )
            )
        )
        .mappings()
        .all()
    )
    done = Sealed(head_seq=seq, head=prev)
    seals: list[dict[str, Any]] = []
    for row in rows:
        seq += 1
        fields = {**row, "seq": seq, "key_id": keys.sealing_id}
        link = keyed_link(keys.sealing_secret, prev, fields)
        seals.append(
            {
                "b_id": row["id"],
                "b_at": row["recorded_at"],
                "b_seq": seq,
                "b_prev": prev,
                "b_hash": link,
                "b_key": keys.sealing_id,
                "b_sealed_at": now,
            }
        )
        done.lag_seconds.append(max(0.0, (now - row["recorded_at"]).total_seconds()))
        prev = link
    if seals:
        partitioned = session.get_bind().dialect.name == "postgresql"
        await session.execute(audit_seal(SEAL_IN_MONTH if partitioned else SEAL_BY_ID), seals)
    done.count, done.head_seq, done.head = len(seals), seq, prev
    return done


@dataclass
class Sealer:
    """Seals until nothing is left, then checkpoints when one is due."""

    sessionmaker: async_sessionmaker[AsyncSession]
    keys: AuditKeys
    checkpoints: CheckpointLog
    clock: Clock
    checkpoint_events: int = 10_000
    checkpoint_minutes: int = 15
    partitioner: Partitioner = field(default_factory=Partitioner)
    _last: Checkpoint | None = None
    _read_log: bool = False

    async def seal(self) -> Sealed:
        """Everything committed so far; then a checkpoint of the committed head, when due."""
        # The coming months' partitions first, in a short transaction of their own.
        async with self.sessionmaker() as session:
            if await self.partitioner.ensure_ahead(session, self.clock.now()):
                await session.commit()
        total = Sealed()
        while True:
            async with self.sessionmaker() as session:
                done = await seal_batch(session, self.keys, now=self.clock.now())
                await session.commit()
            total.count += done.count
            total.lag_seconds += done.lag_seconds
            total.busy = total.busy or done.busy
            if done.count:
                total.head_seq, total.head = done.head_seq, done.head
            if done.count < BATCH:
                break
        if total.count and self._due(total.head_seq):
            self._write(total.head_seq, total.head)
        return total

    async def checkpoint(self) -> Checkpoint | None:
        """Seal, then write a checkpoint of the head now (``tandem audit checkpoint``)."""
        await self.seal()
        async with self.sessionmaker() as session:
            seq, head = await chain_head(session)
        if not seq:
            return None
        # The seal may just have written one of the same head.
        return self._write(seq, head) or self.checkpoints.last()

    def _due(self, head_seq: int) -> bool:
        last = self._last_checkpoint()
        since = head_seq - (last.seq if last else 0)
        if since >= self.checkpoint_events:
            return True
        age = self.clock.now() - last.at if last else timedelta.max
        return since > 0 and age >= timedelta(minutes=self.checkpoint_minutes)

    def _last_checkpoint(self) -> Checkpoint | None:
        if not self._read_log:
            self._last, self._read_log = self.checkpoints.last(), True
        return self._last

    def _write(self, seq: int, head: str) -> Checkpoint | None:
        if self.keys.signing is None:
            raise RuntimeError("no signing key for audit checkpoints")
        # After the commit: a checkpoint only ever names a head the database holds.
        written = self.checkpoints.append(
            self.keys.signing, seq=seq, head=head, at=self.clock.now()
        )
        self._read_log = False  # another sealer may have written one; read the log again
        return written


async def run_forever(sealer: Sealer, *, every_seconds: float, stop: asyncio.Event) -> None:
    """Seal every ``every_seconds`` until ``stop`` is set (inside the server, or the worker)."""
    while not stop.is_set():
        try:
            done = await sealer.seal()
            if done.lag_seconds:
                log.debug(
                    "sealed %d audit events, up to %.2f s after they were recorded",
                    done.count,
                    max(done.lag_seconds),
                )
        except Exception:  # a database hiccup must not end the sealer: the next pass retries
            log.exception("sealing the audit chain failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)

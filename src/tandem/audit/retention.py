"""Retention: whole months of audit events are removed once older than the retention period.

HIPAA keeps the documentation it names for six years (45 CFR 164.316(b)(2)(i)); the period is
``TANDEM_AUDIT_RETENTION_YEARS`` (six by default, never less). On PostgreSQL a month is a
partition, so removing it is dropping a table, not deleting rows one by one (which the append-only
triggers refuse). SQLite keeps its one table whole.

Before a month goes, a signed **retention boundary** is appended beside the checkpoints: "events
up to position N, whose last link was H, were removed as older than T". ``verify`` then starts at
N + 1 from H, so that the removal is told apart from a database administrator deleting the oldest
events: without a boundary, a chain that does not begin at position 1 fails.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.audit.checkpoints import CheckpointLog
from tandem.audit.keys import signer_id
from tandem.audit.partitions import PARENT, Month, existing, is_partitioned

LOG_NAME = "retention.jsonl"


@dataclass(frozen=True)
class Boundary:
    number: int
    through: int
    head: str
    older_than: datetime
    at: datetime
    months: tuple[str, ...]
    signer: str
    signature: str

    def statement(self) -> bytes:
        return _statement(
            self.number, self.through, self.head, self.older_than, self.at, self.months, self.signer
        )


def _statement(
    number: int,
    through: int,
    head: str,
    older_than: datetime,
    at: datetime,
    months: tuple[str, ...],
    signer: str,
) -> bytes:
    body = {
        "n": number,
        "through": through,
        "head": head,
        "older_than": older_than.isoformat(),
        "at": at.isoformat(),
        "months": list(months),
        "signer": signer,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class RetentionLog:
    """The signed retention boundaries, in the checkpoint directory (same signers)."""

    def __init__(self, checkpoints: CheckpointLog) -> None:
        self.checkpoints = checkpoints

    def read(self) -> list[Boundary]:
        path = self.checkpoints.directory / LOG_NAME
        if not path.exists():
            return []
        found = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                found.append(
                    Boundary(
                        number=int(raw["n"]),
                        through=int(raw["through"]),
                        head=str(raw["head"]),
                        older_than=datetime.fromisoformat(raw["older_than"]),
                        at=datetime.fromisoformat(raw["at"]),
                        months=tuple(raw["months"]),
                        signer=str(raw["signer"]),
                        signature=str(raw["signature"]),
                    )
                )
        return found

    def last(self) -> Boundary | None:
        found = self.read()
        return found[-1] if found else None

    def append(
        self,
        key: Ed25519PrivateKey,
        *,
        through: int,
        head: str,
        older_than: datetime,
        at: datetime,
        months: tuple[str, ...],
    ) -> Boundary:
        last = self.last()
        number = last.number + 1 if last else 1
        self.checkpoints.directory.mkdir(parents=True, exist_ok=True)
        signer = signer_id(key.public_key())
        statement = _statement(number, through, head, older_than, at, months, signer)
        _, signature = self.checkpoints.sign(key, statement)
        line = {**json.loads(statement), "signature": signature}
        with (self.checkpoints.directory / LOG_NAME).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return Boundary(number, through, head, older_than, at, months, signer, signature)

    def problems(self) -> list[str]:
        found = []
        for expected, boundary in enumerate(self.read(), start=1):
            if boundary.number != expected:
                found.append(f"retention boundary {expected} is missing")
            problem = self.checkpoints.signed_problem(
                boundary.signer, boundary.signature, boundary.statement()
            )
            if problem:
                found.append(f"retention boundary {boundary.number}: {problem}")
        return found


def cutoff(now: datetime, years: int) -> datetime:
    """The oldest instant still kept: ``years`` before ``now`` (29 February falls to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


@dataclass(frozen=True)
class ExpiredMonth:
    month: Month
    events: int
    unsealed: int
    last_seq: int | None


async def expired_months(session: AsyncSession, *, now: datetime, years: int) -> list[ExpiredMonth]:
    """The monthly partitions that lie wholly before the cutoff, with what they hold."""
    if not is_partitioned(session):
        return []
    keep_from = cutoff(now, years)
    found = []
    for month in await existing(session):
        if month.end > keep_from:
            continue
        row = (
            await session.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE seq IS NULL), max(seq) "
                    f"FROM {month.table}"
                )
            )
        ).one()
        found.append(ExpiredMonth(month, int(row[0]), int(row[1]), row[2]))
    return found


class NotSealedYet(Exception):
    """An expired month still holds events without their place in the chain."""


async def remove_expired(
    session: AsyncSession,
    *,
    log: RetentionLog,
    key: Ed25519PrivateKey,
    now: datetime,
    years: int,
) -> tuple[list[ExpiredMonth], Boundary | None]:
    """Sign the boundary, then drop every expired month (the caller commits)."""
    expired = await expired_months(session, now=now, years=years)
    if not expired:
        return [], None
    waiting = sum(m.unsealed for m in expired)
    if waiting:
        raise NotSealedYet(f"{waiting} events of those months are not sealed yet")
    through = max((m.last_seq or 0 for m in expired), default=0)
    boundary = None
    last = log.last()
    if through and (last is None or through > last.through):
        head = await session.scalar(
            text(f"SELECT hash FROM {PARENT} WHERE seq = :seq"), {"seq": through}
        )
        boundary = log.append(
            key,
            through=through,
            head=str(head),
            older_than=cutoff(now, years),
            at=now,
            months=tuple(m.month.table for m in expired),
        )
    for month in expired:
        await session.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {month.month.table}"))
        await session.execute(text(f"DROP TABLE {month.month.table}"))
    return expired, boundary

"""Recording audit events inside the caller's transaction.

Services call :func:`record`; the events wait on the session and are chained and inserted
by a ``before_commit`` hook, so they commit with the change they describe and vanish with it
on rollback. The chain tail is read under a lock (PostgreSQL advisory lock; SQLite's
``BEGIN IMMEDIATE`` write lock) so concurrent requests cannot fork the chain.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from tandem.access.context import AccessContext
from tandem.access.scope import audit_append
from tandem.audit.chain import GENESIS, link_hash
from tandem.audit.models import AuditEvent

PENDING_KEY = "tandem_audit_pending"
REFUSED_KEY = "tandem_audit_refused"
# An arbitrary constant naming the audit-chain lock among PostgreSQL advisory locks.
AUDIT_LOCK_KEY = 7_261_844


@dataclass(frozen=True)
class PendingEvent:
    recorded_at: Any
    user_id: uuid.UUID | None
    username: str
    role: str
    action: str
    patient_id: uuid.UUID | None
    record_type: str
    record_id: str | None
    outcome: int
    purpose: str
    source_address: str | None
    detail: str | None


def record(
    session: AsyncSession,
    ctx: AccessContext,
    *,
    action: str,
    record_type: str,
    record_id: uuid.UUID | str | None = None,
    patient_id: uuid.UUID | None = None,
    outcome: int = 0,
    detail: dict[str, Any] | None = None,
    purpose: str | None = None,
) -> None:
    """Queue an audit event; it is written in the same transaction, just before commit."""
    if action not in {"C", "R", "U", "D", "E"}:
        raise ValueError(f"unknown audit action {action!r}")
    pending: list[PendingEvent] = session.info.setdefault(PENDING_KEY, [])
    pending.append(
        PendingEvent(
            recorded_at=ctx.now(),
            user_id=ctx.user_id,
            username=ctx.username,
            role=ctx.role,
            action=action,
            patient_id=patient_id,
            record_type=record_type,
            record_id=str(record_id) if record_id is not None else None,
            outcome=outcome,
            purpose=purpose or ctx.purpose,
            source_address=ctx.source_address,
            detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
        )
    )


def _write_pending(session: Session) -> None:
    # The changes first: a write the database refuses (a unique index) then fails before the
    # events leave the queue, so that the refused attempts among them are kept (see
    # _discard_unwritten); commit would otherwise flush only after this hook.
    session.flush()
    # Refused attempts kept from a rolled-back transaction come first: they happened first.
    pending: list[PendingEvent] = session.info.pop(REFUSED_KEY, []) + session.info.pop(
        PENDING_KEY, []
    )
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    tail = session.execute(
        audit_append(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    ).first()
    next_id, prev_hash = (tail[0] + 1, tail[1]) if tail else (1, GENESIS)
    rows = []
    for item in pending:
        fields: dict[str, Any] = {"id": next_id, **item.__dict__}
        digest = link_hash(prev_hash, fields)
        rows.append({**fields, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
        next_id += 1
    session.execute(audit_append(insert(AuditEvent)), rows)


def _discard_unwritten(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction: a savepoint rolled back inside a request must not drop
    # the events of the work that carries on. After a commit the queue is already empty.
    if transaction.parent is None:
        pending: list[PendingEvent] = session.info.pop(PENDING_KEY, [])
        # Refused attempts (outcome != 0: a failed emergency-access lookup, a duplicate check)
        # must stay on record even though the request that made them is rolled back.
        refused = [item for item in pending if item.outcome != 0]
        if refused:
            session.info.setdefault(REFUSED_KEY, []).extend(refused)


async def keep_refused_attempts(session: AsyncSession) -> None:
    """After a rollback, commit the audit events of refused attempts on their own."""
    if session.info.get(REFUSED_KEY):
        await session.commit()


def install_audit_writer(session_class: type[Session]) -> None:
    """Write queued events at every commit of ``session_class`` sessions."""
    if getattr(session_class, "_tandem_audited", False):
        return
    event.listen(session_class, "before_commit", _write_pending)
    event.listen(session_class, "after_transaction_end", _discard_unwritten)
    session_class._tandem_audited = True  # type: ignore[attr-defined]

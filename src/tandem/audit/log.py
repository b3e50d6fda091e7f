"""Recording audit events inside the caller's transaction.

Services call :func:`record`; the events wait on the session and are inserted by a
``before_commit`` hook, so they commit with the change they describe and vanish with it on
rollback. The insert takes no lock and reads nothing: the sealer (``audit.seal``) gives the
committed events their place in the chain afterwards, so no request waits for another's audit.

A request leaves one read event per patient: later reads of the same patient in the same
request (the chart header, then the tab) are folded into the first, which names them all.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from tandem.audit.models import AuditEvent
from tandem.audit.scope import audit_append

PENDING_KEY = "tandem_audit_pending"
REFUSED_KEY = "tandem_audit_refused"
INSERTED_KEY = "tandem_audit_inserted"


class Actor(Protocol):
    """Who did it, as an event records them (the access layer's AccessContext is one). The trail
    asks for no more, so that it stands below the access layer that writes to it."""

    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def source_address(self) -> str | None: ...

    def now(self) -> datetime: ...


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
    ctx: Actor,
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
    event = PendingEvent(
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
    if action == "R" and patient_id is not None and outcome == 0:
        for index, earlier in enumerate(pending):
            if _same_read(earlier, event):
                pending[index] = _folded(earlier, event)
                return
    pending.append(event)


def _same_read(earlier: PendingEvent, event: PendingEvent) -> bool:
    return (
        earlier.action == "R"
        and earlier.outcome == 0
        and earlier.patient_id == event.patient_id
        and earlier.user_id == event.user_id
        and earlier.purpose == event.purpose
    )


def _folded(earlier: PendingEvent, later: PendingEvent) -> PendingEvent:
    """One read event for a request's reads of one patient: it names the most specific record
    read (a response rather than the chart header), and lists every record read in ``read``."""
    generic = str(earlier.patient_id)
    primary = later if earlier.record_id == generic and later.record_id != generic else earlier
    other = earlier if primary is later else later
    detail = {
        **(json.loads(other.detail) if other.detail else {}),
        **(json.loads(primary.detail) if primary.detail else {}),
    }
    read = detail.get("read") or [[earlier.record_type, earlier.record_id]]
    for item in ([earlier.record_type, earlier.record_id], [later.record_type, later.record_id]):
        if item not in read:
            read.append(item)
    detail["read"] = read
    return replace(primary, detail=json.dumps(detail, sort_keys=True, default=str))


_APPEND = audit_append(insert(AuditEvent))  # every request runs it: built once


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
    session.execute(_APPEND, [dict(item.__dict__) for item in pending])
    session.info[INSERTED_KEY] = len(pending)


class _Written:
    """How many audit events this process has committed: a number, read by /metrics."""

    count = 0


def events_written() -> int:
    """Audit events committed by this process since it started (tandem.observe.metrics)."""
    return _Written.count


def _count_written(session: Session) -> None:
    inserted: int = session.info.pop(INSERTED_KEY, 0)
    _Written.count += inserted


def _discard_unwritten(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction: a savepoint rolled back inside a request must not drop
    # the events of the work that carries on. After a commit the queue is already empty.
    if transaction.parent is None:
        session.info.pop(INSERTED_KEY, None)  # rolled back, or already counted at commit
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
    event.listen(session_class, "after_commit", _count_written)
    event.listen(session_class, "after_transaction_end", _discard_unwritten)
    session_class._tandem_audited = True  # type: ignore[attr-defined]

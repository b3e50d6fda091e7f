"""Audit events written straight into the trail, with the time, person and outcome a test
needs (the trail of a real request is tested elsewhere; here it is what is searched)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from tests.factories import Factory

from tandem.audit.models import AuditEvent
from tandem.people.models import User


def event(
    at: datetime,
    *,
    by: User | None = None,
    username: str | None = None,
    role: str | None = None,
    action: str = "R",
    patient_id: uuid.UUID | None = None,
    record_type: str = "Patient",
    record_id: str | uuid.UUID | None = None,
    outcome: int = 0,
    purpose: str = "TREAT",
    detail: str | None = None,
) -> dict[str, Any]:
    """One event's columns; ``by`` fills in who (a user) unless ``username``/``role`` say."""
    return {
        "recorded_at": at,
        "user_id": by.id if by else None,
        "username": username or (by.username if by else "anonymous"),
        "role": role or (by.role if by else "anonymous"),
        "action": action,
        "patient_id": patient_id,
        "record_type": record_type,
        "record_id": str(record_id) if record_id is not None else None,
        "outcome": outcome,
        "purpose": purpose,
        "source_address": "10.0.0.7",
        "detail": detail,
    }


async def add_events(factory: Factory, *events: dict[str, Any]) -> list[int]:
    """Insert the events (as the audit writer would), returning their ids in order."""
    async with factory.system_session() as session:
        rows = [AuditEvent(**values) for values in events]
        session.add_all(rows)
        await session.commit()
        return [row.id for row in rows]


def hours_ago(factory: Factory, hours: float) -> datetime:
    return factory.clock.now() - timedelta(hours=hours)


async def events_by(factory: Factory, user: User, *, after: int) -> list[AuditEvent]:
    """The events ``user`` left since event ``after``."""
    return [e for e in await factory.audit_events(after=after) if e.user_id == user.id]

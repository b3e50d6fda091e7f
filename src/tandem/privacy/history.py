"""One patient's access log: who may read it, and the patient's own view of it — who looked at
my record, in what role, and when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.service import may, require_patient, require_staff
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.errors import NotFound, ValidationProblem
from tandem.privacy import repository as repo
from tandem.privacy.repository import LogScope
from tandem.privacy.search import Phase, Position


async def log_scope(session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID) -> LogScope:
    """The lead care manager reads their patient's log; a privacy officer reads any patient's,
    and alone sees the duplicate questions asked about the patient."""
    if may(ctx, Capability.read_any_access_log):
        staff = require_staff(session, ctx, Capability.read_any_access_log)
        scope = LogScope(patient_id, staff, questions=True)
        if not await repo.patient_registered(session, scope):
            raise NotFound("patient")
        return scope
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_access_log)
    return LogScope(patient_id, access, questions=False)


def audit_log_read(
    session: AsyncSession, ctx: AccessContext, scope: LogScope, **detail: Any
) -> None:
    """Reading a patient's access log is itself on that log: for operations when read as any
    patient's (the privacy officer), for treatment when read by the patient's lead care manager.
    """
    audit.record(
        session,
        ctx,
        action="R",
        record_type="AuditLog",
        record_id=scope.patient_id,
        patient_id=scope.patient_id,
        purpose="HOPERAT" if scope.any_patient else "TREAT",
        detail=detail or None,
    )


class AccessHistoryEntry(BaseModel):
    """One time someone opened or changed the record: the person and their role, what they
    did (FHIR AuditEvent.action) and for what (v3 PurposeOfUse; BTG for emergency access)."""

    at: datetime
    name: str
    role: str
    action: str
    purpose: str
    emergency_access: bool


class AccessHistory(BaseModel):
    items: list[AccessHistoryEntry]
    # Pass it back as ``cursor`` for the next page; None on the last page.
    next_cursor: str | None


async def patient_view_of_access_log(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    cursor: str | None = None,
    limit: int = 25,
) -> AccessHistory:
    """Who looked at the patient's record and when, as the patient will see it in the portal:
    the name and role of each person, never usernames, addresses, record ids or details;
    successful accesses only, and never the privacy officer's duplicate questions.

    Today the readers of a log (``log_scope``) may call it; the portal will add the patient."""
    scope = await log_scope(session, ctx, patient_id)
    after = Position.decode(cursor) if cursor else None
    if after is not None and after.phase != Phase.all:
        raise ValidationProblem("This is not a position in this log.", field="cursor")
    rows = await repo.who_looked(session, scope, after=after, limit=limit)
    audit_log_read(session, ctx, scope, view="patient")
    shown = rows[:limit]
    more = len(rows) > limit
    return AccessHistory(
        items=[
            AccessHistoryEntry(
                at=row.recorded_at,
                name=row.full_name,
                role=row.role,
                action=row.action,
                purpose=row.purpose,
                emergency_access=row.purpose == "BTG",
            )
            for row in shown
        ],
        next_cursor=Position(Phase.all, shown[-1].recorded_at, shown[-1].id).encode()
        if more
        else None,
    )

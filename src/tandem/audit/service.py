"""Reading the audit log: a patient's access log, and verifying the whole chain."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import Capability
from tandem.access.context import AccessContext
from tandem.access.scope import scoped_for_staff, scoped_to_patient
from tandem.access.service import may, require_patient, require_staff
from tandem.audit import log as audit
from tandem.audit.models import AuditEvent
from tandem.errors import NotFound
from tandem.people.models import Patient
from tandem.schemas import Page


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    recorded_at: datetime
    username: str
    role: str
    action: str
    record_type: str
    record_id: str | None
    outcome: int
    purpose: str
    source_address: str | None
    detail: str | None


async def _log_scope(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> Callable[[Any], Any]:
    """The lead care manager reads their patient's log; a privacy officer reads any patient's."""
    if may(ctx, Capability.read_any_access_log):
        staff = require_staff(session, ctx, Capability.read_any_access_log)
        found = await session.scalar(
            scoped_for_staff(select(Patient.id).where(Patient.id == patient_id), staff)
        )
        if found is None:
            raise NotFound("patient")
        return lambda stmt: scoped_for_staff(stmt.where(AuditEvent.patient_id == patient_id), staff)
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_access_log)
    # The care team does not see the privacy officer's duplicate questions: that a question
    # exists would tell them that a record they cannot see matches their patient.
    return lambda stmt: scoped_to_patient(
        stmt.where(AuditEvent.record_type != "PotentialDuplicate"), access, AuditEvent.patient_id
    )


async def patient_access_log(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    page: int,
    page_size: int,
) -> Page[AuditEventRead]:
    scope = await _log_scope(session, ctx, patient_id)
    page = max(1, page)
    total = await session.scalar(scope(select(func.count()).select_from(AuditEvent)))
    rows = (
        (
            await session.execute(
                scope(select(AuditEvent))
                .order_by(AuditEvent.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        )
        .scalars()
        .all()
    )
    audit.record(
        session,
        ctx,
        action="R",
        record_type="AuditLog",
        record_id=patient_id,
        patient_id=patient_id,
        purpose="HOPERAT" if ctx.is_privacy_officer else "TREAT",
    )
    return Page(
        items=[AuditEventRead.model_validate(r) for r in rows],
        total=int(total or 0),
        page=page,
        page_size=page_size,
    )


async def find_patient_id_by_mrn_for_privacy(
    session: AsyncSession, ctx: AccessContext, mrn: str
) -> uuid.UUID:
    """The patient with this MRN, for a privacy officer about to read their access log."""
    staff = require_staff(session, ctx, Capability.read_any_access_log)
    patient_id = await session.scalar(
        scoped_for_staff(select(Patient.id).where(Patient.mrn == mrn.strip().upper()), staff)
    )
    if patient_id is None:
        raise NotFound("patient")
    return patient_id

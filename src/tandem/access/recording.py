"""Recording what is done with a patient's data, on the basis the access layer proved.

Every domain's service calls :func:`audit_patient` after it reads or changes a patient's data; the
event names the proof's purpose (treatment, or emergency access) so that the patient's access log
and the privacy officer see why it was allowed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.audit import log as audit


def audit_patient(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    record_type: str,
    record_id: uuid.UUID | None = None,
    action: str = "R",
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a read (the default) or a change of this patient's data, on the access's basis."""
    audit.record(
        session,
        ctx,
        action=action,
        record_type=record_type,
        record_id=record_id or access.patient_id,
        patient_id=access.patient_id,
        purpose=access.purpose,
        detail=detail,
    )


async def end_record(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    record: Any,
    record_type: str,
    *,
    status: str,
    reason: str | None,
    **changes: object,
) -> None:
    """End one of the patient's records or mark it entered in error; it is never deleted. Sets
    its status and the other ``changes`` (an end date, who resolved it), flushes, and audits the
    change with its reason."""
    record.status = status
    for name, value in changes.items():
        setattr(record, name, value)
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        record_type,
        record.id,
        action="U",
        detail={"status": status, "reason": reason},
    )

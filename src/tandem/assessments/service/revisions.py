"""The history of amended and withdrawn records: what each said before, who changed it, why."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.assessments import repository as repo
from tandem.assessments.models import Revision
from tandem.assessments.schemas import RevisionRead
from tandem.ids import new_id


def keep_revision(
    session: AsyncSession,
    ctx: AccessContext,
    record: Any,
    *,
    record_type: str,
    snapshot: dict[str, Any],
    change: str,
    reason: str,
) -> None:
    """Store what ``record`` (at its current version) said before ``change``."""
    session.add(
        Revision(
            id=new_id(),
            patient_id=record.patient_id,
            record_type=record_type,
            record_id=record.id,
            version=record.version,
            snapshot=snapshot,
            change=change,
            reason=reason,
            changed_by=ctx.user_id,
            changed_at=ctx.now(),
        )
    )


async def revision_history(
    session: AsyncSession, access: PatientAccess, record_id: uuid.UUID
) -> list[RevisionRead]:
    """Earlier versions of a record, newest first."""
    return [
        RevisionRead(
            version=r.version,
            change=r.change,
            reason=r.reason,
            changed_by=name,
            changed_at=r.changed_at,
            snapshot=r.snapshot,
        )
        for r, name in await repo.revisions(session, access, record_id)
    ]

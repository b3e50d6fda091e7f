"""A plan's history: every version as it was, and what changed between two."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.careplans import repository as repo
from tandem.careplans.rules import diff
from tandem.careplans.schemas import PlanDiff, VersionRead, VersionSummary
from tandem.errors import NotFound


async def _plan_of(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> tuple[PatientAccess, uuid.UUID]:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)
    row = await repo.current_plan(session, access)
    if row is None:
        raise NotFound("care plan")
    return access, row[0].id


async def list_versions(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> list[VersionSummary]:
    """Every version of the patient's plan: when, by whom and why it changed."""
    access, plan_id = await _plan_of(session, ctx, patient_id)
    audit_patient(session, ctx, access, "CarePlanVersion", detail={"plan": str(plan_id)})
    return [
        VersionSummary(version=version, changed_at=at, changed_by=by, reason=reason)
        for version, at, by, reason in await repo.versions(session, access, plan_id)
    ]


async def get_version(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, number: int
) -> VersionRead:
    """The plan as it was after one change."""
    access, plan_id = await _plan_of(session, ctx, patient_id)
    rows = await repo.snapshots(session, access, plan_id, [number])
    if not rows:
        raise NotFound("version of the care plan")
    version, at, by, reason, snapshot = rows[0]
    audit_patient(
        session, ctx, access, "CarePlanVersion", detail={"plan": str(plan_id), "version": number}
    )
    return VersionRead(version=version, changed_at=at, changed_by=by, reason=reason, plan=snapshot)


async def compare_versions(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, first: int, second: int
) -> PlanDiff:
    """What changed from one version of the plan to another: goals and activities added,
    removed and changed, field by field."""
    access, plan_id = await _plan_of(session, ctx, patient_id)
    found = {
        row[0]: row[4] for row in await repo.snapshots(session, access, plan_id, [first, second])
    }
    if first not in found or second not in found:
        raise NotFound("version of the care plan")
    audit_patient(
        session,
        ctx,
        access,
        "CarePlanVersion",
        detail={"plan": str(plan_id), "versions": [first, second]},
    )
    return diff(first, found[first], second, found[second])

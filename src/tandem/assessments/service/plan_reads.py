"""What a care plan reads of the assessments (its named surface): the scores of the followed
instruments, the needs confirmed with the patient and when, the latest safety alert. The care
plan's service audits what it shows; these read only what its caller's proof (or caseload)
covers, and nothing a capability does not grant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.assessments import repository as repo
from tandem.assessments.repository import ScorePoint
from tandem.assessments.repository import plan_reads as reads
from tandem.assessments.repository.plan_reads import ConfirmedNeedRow
from tandem.assessments.service.needs import domain_label
from tandem.assessments.service.trajectories import followed_instruments
from tandem.capabilities import Capability

__all__ = ["ConfirmedNeedRow", "ScorePoint", "need_label"]


def _codes() -> list[str]:
    return [str(i.scoring.code) for i in followed_instruments()]


def need_label(row: ConfirmedNeedRow) -> str:
    """The need as a plan names it, its domain then its words: Housing: behind on rent."""
    domain = domain_label(row.domain)
    return row.description if row.description.startswith(domain) else f"{domain}: {row.description}"


async def followed_scores(session: AsyncSession, access: PatientAccess) -> Sequence[ScorePoint]:
    """Every followed instrument's scores (PHQ-9, GAD-7), oldest first; none without
    read_measurements."""
    if not access.can(Capability.read_measurements):
        return []
    return await repo.score_points(session, access, _codes())


async def confirmed_needs(session: AsyncSession, access: PatientAccess) -> list[ConfirmedNeedRow]:
    """The needs confirmed with the patient and still open, with when each was confirmed."""
    if not access.can(Capability.read_needs):
        return []
    return await reads.confirmed_needs(session, access)


async def last_alert_raised(session: AsyncSession, access: PatientAccess) -> datetime | None:
    """When the patient's latest safety alert was raised (None: never, or not the caller's to
    see)."""
    if not access.can(Capability.read_safety):
        return None
    return await reads.last_alert_raised(session, access)


def _team_may(ctx: AccessContext, capability: Capability) -> bool:
    return capability in permissions().team_grants(ctx.role)


async def caseload_scores(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ScorePoint]]:
    """The followed instruments' scores of each of these patients of my caseload."""
    if not patient_ids or not _team_may(ctx, Capability.read_measurements):
        return {}
    return await reads.caseload_scores(session, ctx, patient_ids, _codes())


async def caseload_confirmed_needs(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ConfirmedNeedRow]]:
    """The confirmed needs of each of these patients of my caseload, with when."""
    if not patient_ids or not _team_may(ctx, Capability.read_needs):
        return {}
    return await reads.caseload_confirmed_needs(session, ctx, patient_ids)


async def caseload_last_alerts(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When the latest safety alert of each of these patients of my caseload was raised."""
    if not patient_ids or not _team_may(ctx, Capability.read_safety):
        return {}
    return await reads.caseload_last_alerts(session, ctx, patient_ids)

"""What a care plan reads of the assessments (its checks and its review): the scores of the
followed instruments, the needs confirmed with the patient and when, the latest safety alert.
One patient's (a proof), or every patient of the caller's caseload named (their care
relationships), each in one statement whatever the number of patients."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.scope import (
    as_caller,
    as_proven,
    caseload_filter,
    may_use_emergency_access,
    patient_filter,
)
from tandem.assessments.models import Need, NeedEvent, Observation, Response, SafetyAlert
from tandem.assessments.repository import SCORE_POINT_COLUMNS, ScorePoint
from tandem.assessments.vocab import AlertStatus, NeedStatus
from tandem.vocab import RecordStatus

_FOLLOWED_SCORES = (
    select(Observation.patient_id, *SCORE_POINT_COLUMNS)
    .join(Response, Response.id == Observation.response_id)
    .where(
        Observation.code.in_(bindparam("codes", expanding=True)),
        Observation.status != RecordStatus.entered_in_error,
        Observation.value_integer.is_not(None),
        Observation.patient_id.in_(bindparam("patients", expanding=True)),
    )
    .order_by(Observation.effective_on, Observation.recorded_at)
)
CONFIRMED_NEED = (NeedStatus.confirmed, NeedStatus.being_addressed)
# The step into "confirmed" (or straight to being addressed) from outside them: when the need
# was confirmed with the patient, however it moved between the two since.
_CONFIRMING = and_(
    NeedEvent.need_id == Need.id,
    NeedEvent.to_status.in_(CONFIRMED_NEED),
    or_(NeedEvent.from_status.is_(None), NeedEvent.from_status.not_in(CONFIRMED_NEED)),
)
_CONFIRMED_COLUMNS = (Need.patient_id, Need.id, Need.domain, Need.description)
_CONFIRMED = (
    select(*_CONFIRMED_COLUMNS, func.max(NeedEvent.at))
    .where(Need.status.in_(CONFIRMED_NEED))
    .group_by(*_CONFIRMED_COLUMNS, Need.created_at)
    .order_by(Need.created_at, Need.id)
)
_CONFIRMED_NEEDS = patient_filter(
    _CONFIRMED.outerjoin(NeedEvent, _CONFIRMING), Need.patient_id, outer=(NeedEvent.patient_id,)
)
_LAST_ALERTS = (
    select(SafetyAlert.patient_id, func.max(SafetyAlert.raised_at))
    .where(SafetyAlert.status != AlertStatus.entered_in_error)
    .group_by(SafetyAlert.patient_id)
)
_LAST_ALERT = patient_filter(_LAST_ALERTS, SafetyAlert.patient_id)


class ConfirmedNeedRow(NamedTuple):
    patient_id: uuid.UUID
    id: uuid.UUID
    domain: str
    description: str
    confirmed_at: datetime | None


async def confirmed_needs(session: AsyncSession, access: PatientAccess) -> list[ConfirmedNeedRow]:
    """The patient's needs confirmed (or being addressed), with when each was confirmed."""
    rows = await session.execute(_CONFIRMED_NEEDS, execution_options=as_proven(access))
    return [ConfirmedNeedRow._make(row) for row in rows.all()]


async def last_alert_raised(session: AsyncSession, access: PatientAccess) -> datetime | None:
    """When the patient's latest safety alert was raised (resolved ones count; those entered in
    error do not)."""
    row = (await session.execute(_LAST_ALERT, execution_options=as_proven(access))).first()
    return row[1] if row else None


def _both_kinds(stmt: Any, *columns: Any) -> dict[bool, Select[*tuple[Any, ...]]]:
    """A caseload statement for callers who may use emergency access, and for the others."""
    return {e: caseload_filter(stmt, *columns, emergency=e) for e in (False, True)}


_PATIENTS: BindParameter[Any] = bindparam("patients", expanding=True)
_CASELOAD_SCORES = _both_kinds(_FOLLOWED_SCORES, Observation.patient_id, Response.patient_id)
_CASELOAD_NEEDS = _both_kinds(
    _CONFIRMED.join(NeedEvent, _CONFIRMING).where(Need.patient_id.in_(_PATIENTS)),
    Need.patient_id,
    NeedEvent.patient_id,
)
_CASELOAD_ALERTS = _both_kinds(
    _LAST_ALERTS.where(SafetyAlert.patient_id.in_(_PATIENTS)), SafetyAlert.patient_id
)


async def _caseload_rows(
    session: AsyncSession,
    ctx: AccessContext,
    forms: dict[bool, Select[*tuple[Any, ...]]],
    values: dict[str, Any],
) -> Sequence[Any]:
    stmt = forms[may_use_emergency_access(ctx)]
    return (await session.execute(stmt, values, execution_options=as_caller(ctx))).all()


async def caseload_scores(
    session: AsyncSession,
    ctx: AccessContext,
    patient_ids: Sequence[uuid.UUID],
    codes: Sequence[str],
) -> dict[uuid.UUID, list[ScorePoint]]:
    """The valid total scores on ``codes`` of each of these caseload patients, oldest first."""
    values = {"patients": list(patient_ids), "codes": list(codes)}
    found: dict[uuid.UUID, list[ScorePoint]] = {}
    for row in await _caseload_rows(session, ctx, _CASELOAD_SCORES, values):
        found.setdefault(row[0], []).append(ScorePoint._make(row[1:]))
    return found


async def caseload_confirmed_needs(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ConfirmedNeedRow]]:
    """The confirmed needs of each of these caseload patients, with when each was confirmed."""
    found: dict[uuid.UUID, list[ConfirmedNeedRow]] = {}
    for row in await _caseload_rows(session, ctx, _CASELOAD_NEEDS, {"patients": list(patient_ids)}):
        found.setdefault(row[0], []).append(ConfirmedNeedRow._make(row))
    return found


async def caseload_last_alerts(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each of these caseload patients' latest safety alert was raised."""
    rows = await _caseload_rows(session, ctx, _CASELOAD_ALERTS, {"patients": list(patient_ids)})
    return {patient_id: at for patient_id, at in rows}

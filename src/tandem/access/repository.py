"""Queries of the access layer: the care relationship that decides access, the emergency-access
lookup, ending emergency grants, and reading one of a proven patient's rows by its id. Only this
module runs the access decision (the layer test).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Select, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.access.proof import PatientAccess, StaffAccess
from tandem.access.scope import (
    access_decision,
    as_proven,
    existence_probe,
    patient_filter,
    patient_key,
    scoped_for_staff,
)
from tandem.careteams.models import CareTeamMember
from tandem.people.models import Organization, Patient
from tandem.vocab import RecordStatus

M = TypeVar("M")


async def row_of_patient(
    session: AsyncSession, access: PatientAccess, model: type[M], row_id: uuid.UUID
) -> M | None:
    """One row of a patient's data by its id: None when there is none, or it is another
    patient's (the two answer the same)."""
    rows = await session.execute(
        _row_by_id(cast(Hashable, model)), {"row": row_id}, execution_options=as_proven(access)
    )
    found: M | None = rows.scalar_one_or_none()
    return found


@functools.cache
def _row_by_id(model: type[Any]) -> Select[Any]:
    """One row of ``model`` by id, its patient a parameter; built once for each model."""
    return patient_filter(
        select(model).where(model.id == bindparam("row", type_=model.id.type)), patient_key(model)
    )


@dataclass(frozen=True)
class Relationship:
    """What decides the caller's access to one patient."""

    patient: Patient
    # The caller's role on the patient's care team (their earliest active membership), or None.
    team_role: str | None
    # Whether the caller holds a live emergency (break-the-glass) grant for the patient.
    emergency: bool
    # The name of the patient's managing organisation (the chart header shows it).
    managing_organization: str | None = None


def _decision() -> Any:
    """The access decision's statement: the patient, the caller's role on the care team (their
    earliest active membership) and whether they hold a live emergency grant. Built once and
    run with the caller's values (building it costs more than running it)."""
    member = aliased(CareTeamMember, name="decision_member")
    grant = aliased(BreakGlassGrant, name="decision_grant")
    team_role = (
        select(member.role)
        .where(
            member.user_id == bindparam("user_id"),
            member.patient_id == Patient.id,
            member.status == RecordStatus.active,
            member.start_date <= bindparam("today"),
        )
        .order_by(member.start_date)
        .limit(1)
        .scalar_subquery()
    )
    broke_glass = exists().where(
        grant.user_id == bindparam("user_id"),
        grant.patient_id == Patient.id,
        grant.expires_at > bindparam("now"),
    )
    organization = (
        select(Organization.name)
        .where(Organization.id == Patient.managing_organization_id)
        .scalar_subquery()
    )
    stmt = select(Patient, team_role, broke_glass, organization).where(
        Patient.id == bindparam("patient_id")
    )
    return access_decision(stmt)


_DECISION = _decision()


async def relationship_to(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> Relationship | None:
    """One query: the patient, the caller's active membership and any live emergency grant
    (None when no such patient is registered)."""
    assert ctx.user_id is not None
    values = {
        "patient_id": patient_id,
        "user_id": ctx.user_id,
        "today": ctx.clock.today(),
        "now": ctx.now(),
    }
    row = (await session.execute(_DECISION, values)).first()
    if row is None:
        return None
    return Relationship(
        patient=row[0], team_role=row[1], emergency=bool(row[2]), managing_organization=row[3]
    )


async def active_patient_id_by_mrn_and_birth_date(
    session: AsyncSession, *, mrn: str, birth_date: date
) -> uuid.UUID | None:
    """The active patient with both this MRN and this date of birth (a yes/no probe)."""
    stmt = select(Patient.id).where(
        Patient.mrn == mrn,
        Patient.birth_date == birth_date,
        Patient.status == RecordStatus.active,
    )
    found: uuid.UUID | None = await session.scalar(existence_probe(stmt, "emergency-access lookup"))
    return found


@dataclass(frozen=True)
class EndedGrant:
    id: uuid.UUID
    patient_id: uuid.UUID


async def end_live_grants(
    session: AsyncSession, staff: StaffAccess, *, user_id: uuid.UUID, now: datetime, reason: str
) -> list[EndedGrant]:
    """End every live grant of ``user_id`` at ``now``, saying why; the grants it ended."""
    stmt = (
        update(BreakGlassGrant)
        .where(BreakGlassGrant.user_id == user_id, BreakGlassGrant.expires_at > now)
        .values(expires_at=now, ended_reason=reason[:200])
        .returning(BreakGlassGrant.id, BreakGlassGrant.patient_id)
    )
    # An administrative change to a user, not a read on a patient's behalf: it touches every
    # patient the holder broke the glass for, under the administrator's staff capability.
    rows = (await session.execute(scoped_for_staff(stmt, staff))).all()
    return sorted(
        (EndedGrant(id=row.id, patient_id=row.patient_id) for row in rows), key=lambda g: g.id
    )

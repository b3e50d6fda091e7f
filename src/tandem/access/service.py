"""Proving a care relationship before touching a patient, and break-the-glass."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.access.rules import CLINICAL_ROLES, validate_break_glass_reason
from tandem.access.scope import access_check, scoped, system_query
from tandem.audit import log as audit
from tandem.careteams.models import CareTeamMember
from tandem.dates import check_clinical_date
from tandem.errors import Forbidden, NotFound
from tandem.ids import new_id
from tandem.people.models import Patient


@dataclass(frozen=True)
class PatientAccess:
    """A patient the caller may see, and on what basis (care team or break-the-glass)."""

    patient: Patient
    basis: str

    @property
    def purpose(self) -> str:
        return "BTG" if self.basis == "break_glass" else "TREAT"

    @property
    def patient_id(self) -> uuid.UUID:
        return self.patient.id


async def require_patient(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> PatientAccess:
    """The patient if the caller has a care relationship; otherwise 404, never 403."""
    if ctx.user_id is None:
        raise NotFound("patient")
    stmt = scoped(select(Patient).where(Patient.id == patient_id), ctx, Patient.id)
    patient = (await session.execute(stmt)).scalar_one_or_none()
    if patient is None or patient.status == "entered-in-error":
        raise NotFound("patient")
    on_team = await session.scalar(
        access_check(
            select(
                exists().where(
                    CareTeamMember.user_id == ctx.user_id,
                    CareTeamMember.patient_id == patient_id,
                    CareTeamMember.status == "active",
                )
            )
        )
    )
    return PatientAccess(patient=patient, basis="care_team" if on_team else "break_glass")


async def is_lead_care_manager(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> bool:
    stmt = select(
        exists().where(
            CareTeamMember.user_id == ctx.user_id,
            CareTeamMember.patient_id == patient_id,
            CareTeamMember.role == "lead_care_manager",
            CareTeamMember.status == "active",
        )
    )
    return bool(await session.scalar(access_check(stmt)))


async def break_the_glass(
    session: AsyncSession,
    ctx: AccessContext,
    *,
    mrn: str,
    birth_date: date,
    reason: str,
    minutes: int,
) -> BreakGlassGrant:
    """Time-limited emergency access to a patient outside the caller's care teams."""
    if ctx.role not in CLINICAL_ROLES:
        raise Forbidden("Only clinical staff may use emergency access.")
    validate_break_glass_reason(reason)
    check_clinical_date(
        birth_date, field="birth_date", what="Date of birth", today=ctx.clock.today()
    )
    # Identifying the patient requires MRN *and* date of birth, so a guess reveals nothing.
    stmt = system_query(
        select(Patient).where(
            Patient.mrn == mrn.strip().upper(),
            Patient.birth_date == birth_date,
            Patient.status == "active",
        ),
        "break-the-glass lookup",
    )
    patient = (await session.execute(stmt)).scalar_one_or_none()
    if patient is None:
        audit.record(
            session,
            ctx,
            action="E",
            record_type="BreakGlass",
            outcome=4,
            purpose="BTG",
            detail={"mrn": mrn, "result": "no matching patient"},
        )
        raise NotFound("patient with that MRN and date of birth")
    now = ctx.now()
    grant = BreakGlassGrant(
        id=new_id(),
        patient_id=patient.id,
        user_id=ctx.user_id,
        reason=reason.strip(),
        started_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    session.add(grant)
    await session.flush()
    audit.record(
        session,
        ctx,
        action="E",
        record_type="BreakGlass",
        record_id=grant.id,
        patient_id=patient.id,
        purpose="BTG",
        detail={"reason": grant.reason, "expires_at": grant.expires_at.isoformat()},
    )
    return grant

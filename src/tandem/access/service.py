"""Proving access before touching a patient, staff capabilities, and break-the-glass.

:func:`require_patient` is the one question every service asks before it reads or writes a
patient's data: may this user do *this* (a capability from the permission table) for *this*
patient? It answers with one query per request and patient, audits every refusal, and returns
the proof that repositories and the scope guard ask for.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access import repository
from tandem.access.capabilities import AccessBasis, permissions
from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.access.proof import PatientAccess, Proof, StaffAccess
from tandem.access.rules import validate_break_glass_reason
from tandem.access.scope import remember_proof, remember_staff_access, remembered_proof
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.dates import check_clinical_date
from tandem.errors import Forbidden, NotFound
from tandem.ids import new_id
from tandem.people.models import Patient
from tandem.vocab import RecordStatus

LEAD = "lead_care_manager"


class NotPermitted(Forbidden):
    """The user may see this patient, but their role does not include what they asked."""

    code = "not_permitted"


def _refuse(
    session: AsyncSession,
    ctx: AccessContext,
    capability: Capability,
    *,
    patient_id: uuid.UUID | None,
    asked_for: uuid.UUID,
    result: str,
) -> None:
    """Leave the refusal on record (it survives the request's rollback: outcome 4)."""
    audit.record(
        session,
        ctx,
        action="E",
        record_type="AccessRefused",
        record_id=asked_for,
        patient_id=patient_id,
        outcome=4,
        detail={"capability": capability.value, "result": result},
    )


async def _prove(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> tuple[Proof | None, bool]:
    """The proof from the care relationship (None without one), and whether such a patient
    is registered (one query)."""
    assert ctx.user_id is not None
    found = await repository.relationship_to(session, ctx, patient_id)
    if found is None:
        return None, False
    if found.patient.status == RecordStatus.entered_in_error:
        return None, True
    patient, role, emergency = found.patient, found.team_role, found.emergency
    table = permissions()
    if role is not None:
        basis = AccessBasis.care_team
        granted = table.patient_grants(ctx.role, basis=basis, is_lead=role == LEAD)
    elif emergency:
        basis = AccessBasis.break_glass
        # Grants whose holder's role may no longer break the glass give nothing.
        granted = table.patient_grants(ctx.role, basis=basis, is_lead=False)
    else:
        return None, True
    proof = Proof(
        user_id=ctx.user_id,
        patient_id=patient.id,
        basis=basis,
        team_role=role,
        granted=granted,
        patient=patient,
        managing_organization=found.managing_organization,
    )
    return proof, True


async def require_patient(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    capability: Capability,
) -> PatientAccess:
    """The patient, if the caller may do ``capability`` for them.

    No care relationship (or a role with no business on any patient): 404, never 403, so a
    hidden patient's existence is never confirmed. A relationship whose role lacks the
    capability: 403 naming what is missing. Both are audited. Asked again for the same patient
    in the same transaction, the answer comes from the proof already made (no second query).
    """
    proof = remembered_proof(session, patient_id)
    if proof is None or proof.user_id != ctx.user_id:
        proof, registered = (
            await _prove(session, ctx, patient_id) if ctx.user_id is not None else (None, False)
        )
        if proof is None or not proof.granted:
            # On the patient's own access log when there is such a patient: their lead care
            # manager and the privacy officer see who tried (the caller learns nothing).
            _refuse(
                session,
                ctx,
                capability,
                patient_id=patient_id if registered else None,
                asked_for=patient_id,
                result="no care relationship",
            )
            raise NotFound("patient")
        remember_proof(session, proof)
    if capability not in proof.granted:
        _refuse(
            session,
            ctx,
            capability,
            patient_id=proof.patient_id,
            asked_for=patient_id,
            result="not granted on this basis",
        )
        rule = permissions().rule(capability)
        why = "emergency access" if proof.basis == AccessBasis.break_glass else "your role"
        raise NotPermitted(
            f"This is not part of {why}: {rule.label.lower()}.", capability=capability.value
        )
    return PatientAccess(patient=proof.patient, proof=proof, capability=capability)


def registrant_access(
    session: AsyncSession, ctx: AccessContext, patient: Patient, *, team_role: str
) -> PatientAccess:
    """The access of the user who has just registered ``patient`` and joined their team."""
    assert ctx.user_id is not None
    granted = permissions().patient_grants(
        ctx.role, basis=AccessBasis.care_team, is_lead=team_role == LEAD
    )
    proof = Proof(
        user_id=ctx.user_id,
        patient_id=patient.id,
        basis=AccessBasis.care_team,
        team_role=team_role,
        granted=granted,
        patient=patient,
    )
    remember_proof(session, proof)
    return PatientAccess(patient=patient, proof=proof, capability=Capability.read_chart)


def require_staff(session: AsyncSession, ctx: AccessContext, capability: Capability) -> StaffAccess:
    """A staff-wide capability (registering, reviews, administration), or 403."""
    if ctx.role != "system" and capability not in permissions().staff_grants(ctx.role):
        audit.record(
            session,
            ctx,
            action="E",
            record_type="AccessRefused",
            outcome=4,
            detail={"capability": capability.value, "result": "not granted to this role"},
        )
        rule = permissions().rule(capability)
        raise NotPermitted(
            f"This is not part of your role: {rule.label.lower()}.", capability=capability.value
        )
    access = StaffAccess(user_id=ctx.user_id, capability=capability)
    remember_staff_access(session, access)
    return access


def may(ctx: AccessContext, capability: Capability) -> bool:
    """Whether the caller's role has a staff capability (to show or hide a link)."""
    return ctx.role == "system" or capability in permissions().staff_grants(ctx.role)


def open_emergency_access_form(session: AsyncSession, ctx: AccessContext) -> None:
    """The emergency-access form opens only to roles that may break the glass (403 otherwise)."""
    require_staff(session, ctx, Capability.break_the_glass)


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
    require_staff(session, ctx, Capability.break_the_glass)
    validate_break_glass_reason(reason)
    check_clinical_date(
        birth_date, field="birth_date", what="Date of birth", today=ctx.clock.today()
    )
    # Identifying the patient requires MRN *and* date of birth, so a guess reveals nothing.
    patient_id = await repository.active_patient_id_by_mrn_and_birth_date(
        session, mrn=mrn.strip().upper(), birth_date=birth_date
    )
    if patient_id is None:
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
        patient_id=patient_id,
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
        patient_id=patient_id,
        purpose="BTG",
        detail={"reason": grant.reason, "expires_at": grant.expires_at.isoformat()},
    )
    return grant

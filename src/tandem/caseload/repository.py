"""The caseload's queries, each scoped by the caller's care relationships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.scope import scoped
from tandem.assessments.models import SafetyAlert
from tandem.capabilities import Capability
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.people.models import Patient, PatientIdentifier
from tandem.people.rules import PatientQuery
from tandem.vocab import RecordStatus


class CaseloadRow(NamedTuple):
    """One patient on my caseload as the list shows them: my role on their team, and whether a
    safety alert is open."""

    id: uuid.UUID
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str | None
    birth_date: date
    gender: str
    phone: str | None
    preferred_language: str
    my_role: str
    alert_open: bool


class CaseloadEnrolment(NamedTuple):
    """The programme and phase a caseload row shows."""

    programme: str
    phase: str


# The columns a caseload row shows, nothing more (the list never needs a whole chart row).
_SHOWN = (
    Patient.id,
    Patient.mrn,
    Patient.given_name,
    Patient.family_name,
    Patient.preferred_name,
    Patient.birth_date,
    Patient.gender,
    Patient.phone,
    Patient.preferred_language,
)


async def caseload_page(
    session: AsyncSession,
    ctx: AccessContext,
    query: PatientQuery,
    *,
    offset: int,
    limit: int,
) -> tuple[Sequence[CaseloadRow], int]:
    """Patients whose care team the caller is on, with the caller's role and whether a safety
    alert is open, one page at a time; patients with an open safety alert come first. The page
    and the number of matching patients come from one statement (a window count).

    A role that may not see safety alerts or identifiers (a community partner) gets neither:
    no flag, no ordering by it, no search by identifier."""
    granted = permissions().team_grants(ctx.role)
    # Safety rule (docs/clinical-rules.md): a positive PHQ-9 item 9 puts the patient first.
    if Capability.read_safety in granted:
        alert_open = (
            exists()
            .where(SafetyAlert.patient_id == Patient.id, SafetyAlert.status == RecordStatus.active)
            .label("alert_open")
        )
        ordering = [alert_open.desc()]
    else:
        alert_open = literal(False).label("alert_open")
        ordering = []
    stmt = (
        select(*_SHOWN, CareTeamMember.role, alert_open, func.count().over().label("total"))
        .join(CareTeamMember, CareTeamMember.patient_id == Patient.id)
        .where(
            CareTeamMember.user_id == ctx.user_id,
            CareTeamMember.status == RecordStatus.active,
            Patient.status == RecordStatus.active,
        )
    )
    if query.birth_date:
        stmt = stmt.where(Patient.birth_date == query.birth_date)
    if query.mrn:
        stmt = stmt.where(Patient.mrn == query.mrn)
    if query.name:
        # Every word must appear, in any order: "zoe adams" finds "adams zoe".
        for word in query.name.split():
            stmt = stmt.where(Patient.search_name.contains(word, autoescape=True))
    if query.identifier:
        held = (
            exists().where(
                PatientIdentifier.patient_id == Patient.id,
                PatientIdentifier.value == query.identifier,
                PatientIdentifier.status == RecordStatus.active,
            )
            if Capability.read_identifiers in granted
            else None
        )
        mrn_match = Patient.mrn == query.identifier.upper()
        stmt = stmt.where(or_(mrn_match, held) if held is not None else mrn_match)
    stmt = scoped(stmt, ctx, Patient.id, CareTeamMember.patient_id)
    rows = (
        await session.execute(
            stmt.order_by(*ordering, Patient.family_name, Patient.given_name, Patient.id)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    if rows:
        return [CaseloadRow._make(row[:-1]) for row in rows], int(rows[0].total)
    if offset == 0:
        return [], 0
    # Past the last page: the window has no row to count on, so count on their own.
    total = await session.scalar(stmt.with_only_columns(func.count(), maintain_column_froms=True))
    return [], int(total or 0)


async def caseload_enrolments(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CaseloadEnrolment]:
    """The open enrolment of each caseload patient (the latest started)."""
    if not patient_ids:
        return {}
    stmt = scoped(
        select(Enrolment.patient_id, Enrolment.programme, Enrolment.phase).where(
            Enrolment.status == RecordStatus.active, Enrolment.patient_id.in_(patient_ids)
        ),
        ctx,
        Enrolment.patient_id,
    ).order_by(Enrolment.patient_id, Enrolment.start_date)
    result: dict[uuid.UUID, CaseloadEnrolment] = {}
    for patient_id, programme, phase in await session.execute(stmt):
        result[patient_id] = CaseloadEnrolment(programme, phase)
    return result

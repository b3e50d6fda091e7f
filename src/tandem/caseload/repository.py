"""The caseload's queries, each scoped by the caller's care relationships."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, column, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.scope import (
    RELATIONSHIP_USER,
    as_caller,
    caseload_filter,
    may_use_emergency_access,
)
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


class _Search(NamedTuple):
    """What a caseload statement is built for: the caller role's reach and the search's kind
    (its values are parameters), so that each kind of statement is built once."""

    alerts: bool  # the role may see safety alerts: a flag, and alerts first
    identifiers: bool  # the role may search by identifier
    emergency: bool  # the role's emergency grants count as care relationships
    birth_date: bool
    mrn: bool
    words: int
    identifier: bool


def _like(word: str) -> str:
    """``word`` anywhere, its LIKE wildcards escaped (with ``/``, as the statement says)."""
    escaped = word.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


@functools.lru_cache(maxsize=64)
def _matching(search: _Search) -> Select[*tuple[Any, ...]]:
    """My active patients matching the search, with my role and whether an alert is open."""
    # Safety rule (docs/clinical-rules.md): a positive PHQ-9 item 9 puts the patient first.
    if search.alerts:
        alert_open = (
            exists()
            .where(SafetyAlert.patient_id == Patient.id, SafetyAlert.status == RecordStatus.active)
            .label("alert_open")
        )
    else:
        alert_open = literal(False).label("alert_open")
    stmt = (
        select(*_SHOWN, CareTeamMember.role, alert_open, func.count().over().label("total"))
        .join(CareTeamMember, CareTeamMember.patient_id == Patient.id)
        .where(
            CareTeamMember.user_id == bindparam(RELATIONSHIP_USER),
            CareTeamMember.status == RecordStatus.active,
            Patient.status == RecordStatus.active,
        )
    )
    if search.birth_date:
        stmt = stmt.where(Patient.birth_date == bindparam("birth_date"))
    if search.mrn:
        stmt = stmt.where(Patient.mrn == bindparam("mrn"))
    # Every word must appear, in any order: "zoe adams" finds "adams zoe".
    for n in range(search.words):
        stmt = stmt.where(Patient.search_name.like(bindparam(f"word_{n}"), escape="/"))
    if search.identifier:
        mrn_match = Patient.mrn == bindparam("identifier_mrn")
        if search.identifiers:
            held = exists().where(
                PatientIdentifier.patient_id == Patient.id,
                PatientIdentifier.value == bindparam("identifier"),
                PatientIdentifier.status == RecordStatus.active,
            )
            stmt = stmt.where(or_(mrn_match, held))
        else:
            stmt = stmt.where(mrn_match)
    return caseload_filter(stmt, Patient.id, CareTeamMember.patient_id, emergency=search.emergency)


@functools.lru_cache(maxsize=64)
def _page(search: _Search) -> Select[*tuple[Any, ...]]:
    ordering: list[Any] = [column("alert_open").desc()] if search.alerts else []
    return (
        _matching(search)
        .order_by(*ordering, Patient.family_name, Patient.given_name, Patient.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


@functools.lru_cache(maxsize=64)
def _count(search: _Search) -> Select[*tuple[Any, ...]]:
    return _matching(search).with_only_columns(func.count(), maintain_column_froms=True)


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
    if not granted:
        return [], 0  # a role with nothing on any patient (an administrator) has no caseload
    words = query.name.split() if query.name else []
    search = _Search(
        alerts=Capability.read_safety in granted,
        identifiers=Capability.read_identifiers in granted,
        emergency=may_use_emergency_access(ctx),
        birth_date=query.birth_date is not None,
        mrn=bool(query.mrn),
        words=len(words),
        identifier=bool(query.identifier),
    )
    values: dict[str, Any] = {f"word_{n}": _like(word) for n, word in enumerate(words)}
    if query.birth_date:
        values["birth_date"] = query.birth_date
    if query.mrn:
        values["mrn"] = query.mrn
    if query.identifier:
        values["identifier"] = query.identifier
        values["identifier_mrn"] = query.identifier.upper()
    caller = as_caller(ctx)
    page = {**values, "offset": offset, "limit": limit}
    rows = (await session.execute(_page(search), page, execution_options=caller)).all()
    if rows:
        return [CaseloadRow._make(row[:-1]) for row in rows], int(rows[0].total)
    if offset == 0:
        return [], 0
    # Past the last page: the window has no row to count on, so count on their own.
    total = await session.scalar(_count(search), values or None, execution_options=caller)
    return [], int(total or 0)


@functools.lru_cache(maxsize=2)
def _enrolments(emergency: bool) -> Select[*tuple[Any, ...]]:
    return caseload_filter(
        select(Enrolment.patient_id, Enrolment.programme, Enrolment.phase).where(
            Enrolment.status == RecordStatus.active,
            Enrolment.patient_id.in_(bindparam("patients", expanding=True)),
        ),
        Enrolment.patient_id,
        emergency=emergency,
    ).order_by(Enrolment.patient_id, Enrolment.start_date)


async def caseload_enrolments(
    session: AsyncSession, ctx: AccessContext, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CaseloadEnrolment]:
    """The open enrolment of each caseload patient (the latest started)."""
    if not patient_ids:
        return {}
    stmt = _enrolments(may_use_emergency_access(ctx))
    result: dict[uuid.UUID, CaseloadEnrolment] = {}
    rows = await session.execute(
        stmt, {"patients": list(patient_ids)}, execution_options=as_caller(ctx)
    )
    for patient_id, programme, phase in rows:
        result[patient_id] = CaseloadEnrolment(programme, phase)
    return result

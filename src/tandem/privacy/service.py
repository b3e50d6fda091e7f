"""Reading the audit trail: a patient's access log, and the privacy officer's search of the
whole trail, its refused-attempts summary and its export. Each reading is itself audited."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import StaffAccess
from tandem.access.service import require_staff
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.errors import ValidationProblem, found
from tandem.privacy import export
from tandem.privacy import repository as repo
from tandem.privacy.history import audit_log_read, log_scope
from tandem.privacy.repository import TrailRow
from tandem.privacy.search import (
    SUMMARY_DAYS,
    AuditEventRead,
    AuditSearch,
    AuditTrailEvent,
    AuditTrailPage,
    Position,
    RefusedAttempts,
    RefusedSummary,
    SummaryQuery,
    TrailFilter,
    period_of,
)
from tandem.schemas import Page

# Rows per query of an export: memory stays flat however long the trail.
EXPORT_BATCH = 1000


async def patient_access_log(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    page: int,
    page_size: int,
) -> Page[AuditEventRead]:
    """Everything on one patient's log, newest first (lead care manager, privacy officer)."""
    scope = await log_scope(session, ctx, patient_id)
    page = max(1, page)
    total = await repo.log_count(session, scope)
    rows = await repo.log_page(session, scope, offset=(page - 1) * page_size, limit=page_size)
    audit_log_read(session, ctx, scope)
    return Page(
        items=[AuditEventRead.model_validate(r) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
    )


def open_privacy_pages(session: AsyncSession, ctx: AccessContext) -> None:
    """The privacy officer's pages (the trail's search, the refused attempts, any patient's
    access log by MRN) open, before anything is asked, only to those who may read any
    patient's access log (403 otherwise)."""
    require_staff(session, ctx, Capability.read_any_access_log)


async def find_patient_id_by_mrn_for_privacy(
    session: AsyncSession, ctx: AccessContext, mrn: str
) -> uuid.UUID:
    """The patient with this MRN, for a privacy officer about to read their access log."""
    staff = require_staff(session, ctx, Capability.read_any_access_log)
    patient_id = found(await repo.patient_id_by_mrn(session, staff, mrn), "patient")
    return patient_id


# -- the privacy officer's search ----------------------------------------------------------


async def _trail_filter(
    session: AsyncSession, ctx: AccessContext, staff: StaffAccess, search: AuditSearch
) -> TrailFilter:
    """The search in the events' terms: the patient's id for an MRN, instants for days."""
    period = period_of(search, ctx.clock)
    patient_id = None
    if search.patient is not None:
        try:
            patient_id = uuid.UUID(search.patient)
        except ValueError:
            patient_id = await repo.patient_id_by_mrn(session, staff, search.patient)
            if patient_id is None:
                raise ValidationProblem("No patient has this MRN.", field="patient") from None
    return TrailFilter(
        patient_id=patient_id,
        username=search.user,
        period=period,
        outcome=search.outcome,
        purpose=search.purpose,
        action=search.action,
    )


def _audit_reading(
    session: AsyncSession,
    ctx: AccessContext,
    record_type: str,
    trail: TrailFilter,
    **detail: Any,
) -> None:
    """Reading the audit trail is on the trail; a search about one patient is on their log."""
    audit.record(
        session,
        ctx,
        action="E",
        record_type=record_type,
        record_id=trail.patient_id,
        patient_id=trail.patient_id,
        purpose="HOPERAT",
        detail={"filters": trail.described(), **detail},
    )


EVENT_COLUMNS = tuple(name for name in AuditTrailEvent.model_fields if name != "patient_mrn")


def _event(row: TrailRow) -> AuditTrailEvent:
    values = {name: getattr(row.event, name) for name in EVENT_COLUMNS}
    return AuditTrailEvent(**values, patient_mrn=row.patient_mrn)


async def search_audit_trail(
    session: AsyncSession, ctx: AccessContext, search: AuditSearch, *, page_size: int
) -> AuditTrailPage:
    """A page of the events that match, newest first (refused attempts first if asked)."""
    staff = require_staff(session, ctx, Capability.read_any_access_log)
    trail = await _trail_filter(session, ctx, staff, search)
    after = Position.decode(search.cursor) if search.cursor else None
    limit = search.limit or page_size
    rows, following = await repo.trail_page(
        session, staff, trail, refused_first=search.refused_first, after=after, limit=limit
    )
    _audit_reading(
        session,
        ctx,
        "AuditTrail",
        trail,
        refused_first=search.refused_first,
        continued=after is not None,
        returned=len(rows),
    )
    return AuditTrailPage(
        items=[_event(row) for row in rows],
        next_cursor=following.encode() if following else None,
        limit=limit,
    )


async def refused_attempts_summary(
    session: AsyncSession, ctx: AccessContext, query: SummaryQuery
) -> RefusedSummary:
    """Per user, their refused attempts over the period (30 days to today unless given), the
    most refused first: someone probing many records stands out at the top."""
    staff = require_staff(session, ctx, Capability.read_any_access_log)
    period = period_of(query, ctx.clock, default_days=SUMMARY_DAYS)
    rows = await repo.refused_by_user(session, staff, period, limit=query.limit)
    _audit_reading(session, ctx, "RefusedAttempts", TrailFilter(period=period), users=len(rows))
    assert period.start is not None and period.first_day is not None
    return RefusedSummary(
        first_day=period.first_day,
        last_day=period.last_day,
        period_start=period.start,
        period_end=period.end,
        users=[RefusedAttempts.model_validate(dict(row._mapping)) for row in rows],
    )


async def export_audit_trail(
    session: AsyncSession,
    ctx: AccessContext,
    search: AuditSearch,
    *,
    reader: Callable[[], AsyncSession],
) -> AsyncIterator[str]:
    """Every event that matches, as CSV text, read in batches as it is sent.

    The request's own transaction checks the capability and records the export before any
    row leaves (a download cut short is still on the trail); the batches are then read in
    short transactions of their own from ``reader``, so that no lock is held while the
    client downloads."""
    staff = require_staff(session, ctx, Capability.read_any_access_log)
    trail = await _trail_filter(session, ctx, staff, search)
    _audit_reading(session, ctx, "AuditTrailExport", trail, refused_first=search.refused_first)
    return export.csv_text(_batches(ctx, trail, refused_first=search.refused_first, reader=reader))


async def _batches(
    ctx: AccessContext,
    trail: TrailFilter,
    *,
    refused_first: bool,
    reader: Callable[[], AsyncSession],
) -> AsyncIterator[list[AuditTrailEvent]]:
    after: Position | None = None
    while True:
        async with reader() as session:
            staff = require_staff(session, ctx, Capability.read_any_access_log)
            rows, after = await repo.trail_page(
                session, staff, trail, refused_first=refused_first, after=after, limit=EXPORT_BATCH
            )
            batch = [_event(row) for row in rows]
        if batch:
            yield batch
        if after is None:
            return

"""JSON routes of the audit trail for the privacy officer: search, refused attempts, CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from tandem.deps import Ctx, RuntimeDep, SessionDep
from tandem.privacy import service
from tandem.privacy.search import AuditSearch, AuditTrailPage, RefusedSummary, SummaryQuery

router = APIRouter(tags=["audit trail"])


@router.get("/audit-events", response_model=AuditTrailPage)
async def search(
    session: SessionDep, ctx: Ctx, rt: RuntimeDep, query: Annotated[AuditSearch, Query()]
) -> AuditTrailPage:
    """Events newest first, filtered by patient (MRN or id), user, period (the clinic's days,
    both included), outcome, purpose and action; refused attempts first if asked. Pass
    ``next_cursor`` back as ``cursor`` for the next page. The search is itself audited."""
    return await service.search_audit_trail(session, ctx, query, page_size=rt.settings.page_size)


@router.get("/audit-events/refused-summary", response_model=RefusedSummary)
async def refused_summary(
    session: SessionDep, ctx: Ctx, query: Annotated[SummaryQuery, Query()]
) -> RefusedSummary:
    """Per user, their refused attempts over the period (the last 30 days unless given), the
    most refused first, with how many distinct patients and record ids they named."""
    return await service.refused_attempts_summary(session, ctx, query)


@router.get(
    "/audit-events.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The events as CSV"}},
)
async def export_csv(
    session: SessionDep, ctx: Ctx, rt: RuntimeDep, query: Annotated[AuditSearch, Query()]
) -> StreamingResponse:
    """Every event the same search matches (``cursor`` and ``limit`` are ignored), as CSV
    with a header row, streamed as it is read. The export is itself audited."""
    chunks = await service.export_audit_trail(session, ctx, query, reader=rt.sessionmaker)
    day = ctx.clock.today().isoformat()
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-trail-{day}.csv"'},
    )

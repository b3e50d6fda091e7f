"""The caseload use case: search and page my patients; one audited query event a page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.caseload import repository as repo
from tandem.caseload.schemas import PatientSummary
from tandem.people.rules import age_on, display_name, parse_patient_query
from tandem.schemas import Page


def rows_show_the_chart(ctx: AccessContext) -> bool:
    """Whether my caseload rows show chart details (MRN, date of birth, programme, alerts): my
    role may read the chart of the patients whose team I am on (a community partner may not)."""
    return Capability.read_chart in permissions().team_grants(ctx.role)


async def list_caseload(
    session: AsyncSession, ctx: AccessContext, *, q: str | None, page: int, page_size: int
) -> Page[PatientSummary]:
    """My caseload: the patients whose care team I am on, searchable and paged. Each row shows
    what my role may see on a team (a community partner: name and contact only)."""
    query = parse_patient_query(q)
    page = max(1, page)
    rows, total = await repo.caseload_page(
        session, ctx, query, offset=(page - 1) * page_size, limit=page_size
    )
    granted = permissions().team_grants(ctx.role)
    chart = rows_show_the_chart(ctx)
    enrolments = (
        await repo.caseload_enrolments(session, ctx, [row.id for row in rows])
        if Capability.read_enrolments in granted
        else {}
    )
    today = ctx.clock.today()
    items = []
    for row in rows:
        enrolment = enrolments.get(row.id)
        items.append(
            PatientSummary(
                id=row.id,
                mrn=row.mrn if chart else None,
                display_name=display_name(row.given_name, row.family_name, row.preferred_name),
                birth_date=row.birth_date if chart else None,
                age=age_on(row.birth_date, today) if chart else None,
                gender=row.gender if chart else None,
                phone=row.phone,
                preferred_language=row.preferred_language,
                my_role=row.my_role,
                programme=enrolment.programme if enrolment else None,
                phase=enrolment.phase if enrolment else None,
                safety_alert=row.alert_open,
            )
        )
    # One query event for the page (IHE BALP "Query"); each row is a patient already on my team.
    audit.record(
        session,
        ctx,
        action="E",
        record_type="Caseload",
        detail={"q": q or "", "page": page, "patients": [str(i.id) for i in items]},
    )
    return Page(items=items, total=total, page=page, page_size=page_size)

"""My responsibilities: every open care-plan activity the caller owes, across their caseload,
overdue first. A community partner also sees what their organisation owes, never the goals."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.careplans import repository as repo
from tandem.careplans.schemas import Responsibilities, Responsibility
from tandem.people.rules import display_name

# More than a person can work through in a day; the page says when there are more.
LIMIT = 500
# The role whose organisation, not the person, is named as responsible for activities.
PARTNER_ROLE = "community_partner"


async def my_responsibilities(session: AsyncSession, ctx: AccessContext) -> Responsibilities:
    """The caller's open activities on their patients' plans: overdue first, then by due date."""
    granted = permissions().team_grants(ctx.role)
    if Capability.read_own_activities not in granted or ctx.user_id is None:
        return Responsibilities(items=[], overdue=0, limited=False)
    with_goal = Capability.read_care_plan in granted
    organisation = ctx.organization_id if ctx.role == PARTNER_ROLE else None
    rows = await repo.my_activities(
        session, ctx, with_goal=with_goal, organisation=organisation, limit=LIMIT + 1
    )
    today = ctx.clock.today()
    items = [
        Responsibility(
            activity_id=row.id,
            patient_id=row.patient_id,
            patient=display_name(row.given_name, row.family_name, row.preferred_name),
            title=row.title,
            kind=row.kind,
            due_on=row.due_on,
            status=row.status,
            overdue=row.due_on is not None and row.due_on < today,
            owner="my organisation" if row.responsible_kind == "organisation" else "me",
            goal=row.description if with_goal else None,
        )
        for row in rows[:LIMIT]
    ]
    # One query event (IHE BALP "Query"), naming the patients whose activities were shown.
    audit.record(
        session,
        ctx,
        action="E",
        record_type="MyResponsibilities",
        detail={"patients": sorted({str(i.patient_id) for i in items})},
    )
    return Responsibilities(
        items=items, overdue=sum(i.overdue for i in items), limited=len(rows) > LIMIT
    )

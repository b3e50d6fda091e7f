"""What every page of a patient's chart shows: the header and the tabs this user may open."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.capabilities import Capability
from tandem.chart.service import open_chart


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    href: str


# Each tab opens for those whose role includes its capability (the permission table).
TABS: tuple[tuple[str, str, str, Capability], ...] = (
    ("overview", "Overview", "", Capability.read_contact),
    ("measurements", "Measurements", "/measurements", Capability.read_measurements),
    ("assessments", "Assessment", "/assessments", Capability.read_assessments),
    ("needs", "Needs", "/needs", Capability.read_needs),
    ("safety", "Safety", "/safety", Capability.read_safety),
    ("care-plan", "Care plan", "/care-plan", Capability.read_care_plan),
    ("care-team", "Care team", "/care-team", Capability.read_care_team),
    ("related-persons", "Family & caregivers", "/related-persons", Capability.read_family),
    ("enrolments", "Enrolments", "/enrolments", Capability.read_enrolments),
    ("identifiers", "Identifiers", "/identifiers", Capability.read_identifiers),
    ("access-log", "Access log", "/access-log", Capability.read_access_log),
)
TAB_CAPABILITY = {key: capability for key, _, _, capability in TABS}


async def chart_context(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    tab: str,
    *,
    capability: Capability | None = None,
) -> dict[str, Any]:
    """The chart header (an audited read) and the tabs this user may open.

    ``capability`` is what the page needs (by default its tab's); without it the page is 404
    to someone with no care relationship and 403 to a team member whose role lacks it."""
    frame = await open_chart(session, ctx, patient_id, capability or TAB_CAPABILITY[tab])
    access = frame.access
    base = f"/patients/{patient_id}"
    tabs = [
        ChartTab(key, label, base + suffix)
        for key, label, suffix, needed in TABS
        if access.can(needed)
    ]
    return {
        "patient": frame.patient,
        "access": access,
        "can": {c.value for c in access.capabilities},
        "full_chart": frame.full_chart,
        "tab": tab,
        "tabs": tabs,
        "is_lead": access.is_lead,
        "base": base,
        "can_manage_team": access.can(Capability.manage_care_team),
        "safety_alerts": frame.safety_alerts,
        "risk_screen_due": frame.risk_screen_due,
    }

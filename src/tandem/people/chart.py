"""What every page of a patient's chart shows: the header and the tabs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.rules import can_manage_care_team
from tandem.access.service import is_lead_care_manager
from tandem.assessments import repository as assessment_repo
from tandem.people import service


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    href: str


TABS = (
    ("overview", "Overview", ""),
    ("measurements", "Measurements", "/measurements"),
    ("assessments", "Assessment", "/assessments"),
    ("needs", "Needs", "/needs"),
    ("safety", "Safety", "/safety"),
    ("care-team", "Care team", "/care-team"),
    ("related-persons", "Family & caregivers", "/related-persons"),
    ("enrolments", "Enrolments", "/enrolments"),
    ("identifiers", "Identifiers", "/identifiers"),
    ("access-log", "Access log", "/access-log"),
)


async def chart_context(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, tab: str
) -> dict[str, Any]:
    """The chart header (an audited read) and the tabs this user may open."""
    patient = await service.chart_header(session, ctx, patient_id)
    # The chart header's audited read covers the banner: the same patient, the same page.
    alerts = [a for a, _ in await assessment_repo.alerts(session, patient_id, active_only=True)]
    screened_at = await assessment_repo.last_recorded(session, patient_id, "suicide-risk")
    is_lead = await is_lead_care_manager(session, ctx, patient_id)
    base = f"/patients/{patient_id}"
    tabs = [
        ChartTab(key, label, base + suffix)
        for key, label, suffix in TABS
        # Only the lead care manager may read a patient's access log.
        if key != "access-log" or is_lead
    ]
    return {
        "patient": patient,
        "tab": tab,
        "tabs": tabs,
        "is_lead": is_lead,
        "base": base,
        "can_manage_team": can_manage_care_team(basis=patient.access_basis, role=ctx.role),
        "safety_alerts": alerts,
        # A safety alert asks for a suicide-risk screen until one is recorded after it.
        "risk_screen_due": any(screened_at is None or screened_at < a.raised_at for a in alerts),
    }

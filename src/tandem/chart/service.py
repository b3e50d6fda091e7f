"""Opening a patient's chart: one access check, one audited read, the header and the banner
(open safety alerts, and whether there is a safety plan to go through while one is open)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments import service as assessments
from tandem.assessments.models import SafetyAlert
from tandem.capabilities import Capability
from tandem.careplans import service as careplans
from tandem.careteams.service import patients as care_team
from tandem.people.schemas import PatientContactRead, PatientRead


@dataclass(frozen=True)
class ChartFrame:
    """What the chart shows above every tab. ``patient`` is the full header for those who may
    read the chart, the contact card otherwise (a community partner)."""

    access: PatientAccess
    patient: PatientRead | PatientContactRead
    safety_alerts: list[SafetyAlert]
    # When the suicide-risk screen was last recorded (None: never).
    screened_at: datetime | None
    # Whether the care plan has a safety plan with anything on it: asked only while a safety
    # alert is open and the user may read the plan (None: not asked).
    has_safety_plan: bool | None = None

    @property
    def safety_plan_missing(self) -> bool:
        """A safety alert is open and the patient has no safety plan to go through."""
        return bool(self.safety_alerts) and self.has_safety_plan is False

    @property
    def full_chart(self) -> bool:
        return self.access.can(Capability.read_chart)

    @property
    def risk_screen_due(self) -> bool:
        """A safety alert asks for a suicide-risk screen until one is recorded after it."""
        return any(
            self.screened_at is None or self.screened_at < a.raised_at for a in self.safety_alerts
        )


async def open_chart(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, capability: Capability
) -> ChartFrame:
    """The chart's frame for a page that needs ``capability``: 404 to someone with no care
    relationship, 403 to a team member whose role lacks it. The header's read is audited once
    and covers the banner (the same patient, the same page)."""
    access = await require_patient(session, ctx, patient_id, capability=capability)
    audit_patient(session, ctx, access, "Patient")
    patient: PatientRead | PatientContactRead = (
        await care_team.patient_read(session, ctx, access)
        if access.can(Capability.read_chart)
        else await care_team.contact_read(session, access)
    )
    alerts, screened_at = (
        await assessments.safety_banner(session, access)
        if access.can(Capability.read_safety)
        else ([], None)
    )
    has_safety_plan = (
        await careplans.has_safety_plan(session, access)
        if alerts and access.can(Capability.read_care_plan)
        else None
    )
    return ChartFrame(access, patient, alerts, screened_at, has_safety_plan)

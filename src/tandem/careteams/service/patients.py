"""The patient in care: registering a patient (the registrant joins the care team), and the
chart header and contact card, which add the programme and the lead care manager to the people
record."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.careteams import repository as repo
from tandem.careteams.models import CareTeamMember
from tandem.careteams.rules import care_team_role_for
from tandem.ids import new_id
from tandem.people import service as people
from tandem.people.schemas import (
    CareContact,
    EnrolmentSummary,
    PatientContactRead,
    PatientCreate,
    PatientRead,
    PatientUpdate,
)
from tandem.vocab import RecordStatus


async def patient_read(
    session: AsyncSession, ctx: AccessContext, access: PatientAccess
) -> PatientRead:
    """The chart header of a patient already proven (read_chart) and audited by the caller: the
    patient's record, their current programme (for those who may read enrolments) and their lead
    care manager."""
    header = await people.patient_read(session, ctx, access)
    enrolment = (
        await repo.current_enrolment(session, access)
        if access.can(Capability.read_enrolments)
        else None
    )
    lead = await repo.lead_care_manager(session, access)
    return header.model_copy(
        update={
            "enrolment": EnrolmentSummary.model_validate(enrolment) if enrolment else None,
            "lead_care_manager": lead.full_name if lead else None,
        }
    )


async def contact_read(session: AsyncSession, access: PatientAccess) -> PatientContactRead:
    """Who the patient is, how to reach them, and whom to call at the clinic."""
    card = await people.contact_read(session, access)
    lead = await repo.lead_care_manager(session, access)
    contact = CareContact(name=lead.full_name, phone=lead.phone, email=lead.email) if lead else None
    return card.model_copy(update={"lead_care_manager": contact})


async def chart_header(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> PatientRead:
    """The chart header and demographics (staff who may open the chart)."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_chart)
    audit_patient(session, ctx, access, "Patient")
    return await patient_read(session, ctx, access)


async def contact_card(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> PatientContactRead:
    """Who the patient is and how to reach them: what every team member may see."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_contact)
    audit_patient(session, ctx, access, "Patient", detail={"view": "contact"})
    return await contact_read(session, access)


async def create_patient(
    session: AsyncSession, ctx: AccessContext, data: PatientCreate
) -> PatientRead:
    """Register a patient; the registrant joins the care team (as lead if a care manager)."""
    role = care_team_role_for(ctx.role)
    access, hidden = await people.register_patient(session, ctx, data, team_role=role)
    member = CareTeamMember(
        id=new_id(),
        patient_id=access.patient_id,
        role=role,
        user_id=ctx.user_id,
        organization_id=ctx.organization_id,
        start_date=ctx.clock.today(),
        status=RecordStatus.active,
        created_at=ctx.now(),
    )
    session.add(member)
    await session.flush()
    audit_patient(
        session, ctx, access, "CareTeamMember", member.id, action="C", detail={"role": member.role}
    )
    await people.queue_hidden_duplicates(session, ctx, access, hidden)
    return await patient_read(session, ctx, access)


async def update_patient(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: PatientUpdate
) -> PatientRead:
    """Change a patient's demographics and return the chart header as it now stands."""
    access = await people.update_patient(session, ctx, patient_id, data)
    return await patient_read(session, ctx, access)

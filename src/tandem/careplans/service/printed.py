"""Printing the care plan: the patient's plain-language copy and the team's full copy, as a
page or a PDF; each is an export of the patient's plan, and audited as one."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.capabilities import Capability
from tandem.careplans import repository as repo
from tandem.careplans.printout import (
    PatientFacts,
    PrintedPlan,
    SafetyPlanSection,
    printout,
    safety_plan_section,
)
from tandem.careplans.schemas import VersionSummary
from tandem.careplans.service import load, plan_read
from tandem.careplans.service.progress import View, read_facts
from tandem.careteams import service as careteams
from tandem.errors import NotFound


class Edition(StrEnum):
    patient = "patient"  # plain words, for the patient and family
    clinical = "clinical"  # every field, status and version, for the care team


class Form(StrEnum):
    page = "page"
    pdf = "pdf"


# Reads the patient's safety plan as it is printed (None when they have none); without one,
# the plan's own safety plan (read with it) is printed.
SafetyPlanReader = Callable[[AsyncSession, PatientAccess], Awaitable[SafetyPlanSection | None]]


async def printed_plan(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    edition: Edition,
    form: Form,
    safety_plan: SafetyPlanReader | None = None,
    settings: TrajectorySettings | None = None,
) -> PrintedPlan:
    """The patient's current plan as printed, with the care team to call and, for the team's
    copy, every version; audited as an export of the plan (which copy, which form)."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)
    loaded = await load(session, access)
    if loaded is None:
        raise NotFound("care plan")
    plan = loaded.plan
    team = await careteams.current_team(session, access)
    versions = (
        [
            VersionSummary(version=number, changed_at=at, changed_by=by, reason=reason)
            for number, at, by, reason in await repo.versions(session, access, plan.id)
        ]
        if edition == Edition.clinical
        else []
    )
    # The team's copy shows each measurable goal's achievement as its scores give it.
    view = (
        View(await read_facts(session, access), ctx, settings or TrajectorySettings())
        if edition == Edition.clinical
        else None
    )
    read = plan_read(loaded, view)
    section = (
        await safety_plan(session, access)
        if safety_plan is not None
        else safety_plan_section(
            read.safety_plan,
            updated_on=ctx.clock.day_of(read.safety_plan.updated_at) if read.safety_plan else None,
        )
    )
    audit_patient(
        session,
        ctx,
        access,
        "CarePlanPrint",
        action="E",
        detail={
            "plan": str(plan.id),
            "version": plan.version,
            "edition": edition.value,
            "form": form.value,
        },
    )
    patient = access.patient
    return printout(
        read,
        patient=PatientFacts(
            given_name=patient.given_name,
            family_name=patient.family_name,
            preferred_name=patient.preferred_name,
            mrn=patient.mrn,
            birth_date=patient.birth_date,
            clinic=access.proof.managing_organization,
        ),
        team=team,
        today=ctx.clock.today(),
        versions=versions,
        safety_plan=section,
    )

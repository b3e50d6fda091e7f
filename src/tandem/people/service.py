"""Patient use cases: authorise → rules → repository → audit. Flushes, never commits."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import registrant_access, require_patient, require_staff
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.careteams.models import CareTeamMember
from tandem.careteams.rules import care_team_role_for
from tandem.dates import check_clinical_date
from tandem.errors import Conflict, ValidationProblem
from tandem.ids import new_id
from tandem.people import duplicates
from tandem.people import repository as repo
from tandem.people.models import Patient
from tandem.people.rules import age_on, display_name, parse_patient_query, search_name
from tandem.people.schemas import (
    CareContact,
    DuplicateWarning,
    EnrolmentSummary,
    EnteredInError,
    IdentifierRead,
    PatientContactRead,
    PatientCreate,
    PatientRead,
    PatientSummary,
    PatientUpdate,
)
from tandem.records import check_version, reject_cleared
from tandem.schemas import Page
from tandem.vocab import RecordStatus


class PossibleDuplicate(Conflict):
    """Same name and date of birth as an existing patient; confirm to create anyway."""

    code = "possible_duplicate"


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
    chart = Capability.read_chart in granted
    enrolments = (
        await repo.caseload_enrolments(session, ctx, [p.id for p, _, _ in rows])
        if Capability.read_enrolments in granted
        else {}
    )
    today = ctx.clock.today()
    items = []
    for patient, role, alert_open in rows:
        enrolment = enrolments.get(patient.id)
        items.append(
            PatientSummary(
                id=patient.id,
                mrn=patient.mrn if chart else None,
                display_name=display_name(
                    patient.given_name, patient.family_name, patient.preferred_name
                ),
                birth_date=patient.birth_date if chart else None,
                age=age_on(patient.birth_date, today) if chart else None,
                gender=patient.gender if chart else None,
                phone=patient.phone,
                preferred_language=patient.preferred_language,
                my_role=role,
                programme=enrolment.programme if enrolment else None,
                phase=enrolment.phase if enrolment else None,
                safety_alert=alert_open,
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


async def contact_read(session: AsyncSession, access: PatientAccess) -> PatientContactRead:
    """The contact view of a patient already proven and audited by the caller."""
    patient = access.patient
    lead = await repo.lead_care_manager(session, access)
    return PatientContactRead.model_validate(
        {
            **{
                c: getattr(patient, c)
                for c in PatientContactRead.model_fields
                if hasattr(patient, c)
            },
            "display_name": display_name(
                patient.given_name, patient.family_name, patient.preferred_name
            ),
            "lead_care_manager": (
                CareContact(name=lead.full_name, phone=lead.phone, email=lead.email)
                if lead
                else None
            ),
            "access_basis": access.basis.value,
            "capabilities": sorted(access.capabilities),
        }
    )


async def patient_read(
    session: AsyncSession, ctx: AccessContext, access: PatientAccess
) -> PatientRead:
    """The chart header of a patient already proven (read_chart) and audited by the caller;
    identifiers and the programme only for those who may read them."""
    patient = access.patient
    enrolment = (
        await repo.current_enrolment(session, access)
        if access.can(Capability.read_enrolments)
        else None
    )
    identifiers = (
        [
            IdentifierRead.model_validate(i)
            for i in await repo.identifiers(session, access)
            if i.status == "active"
        ]
        if access.can(Capability.read_identifiers)
        else []
    )
    lead = await repo.lead_care_manager(session, access)
    return PatientRead.model_validate(
        {
            **{c: getattr(patient, c) for c in PatientRead.model_fields if hasattr(patient, c)},
            "display_name": display_name(
                patient.given_name, patient.family_name, patient.preferred_name
            ),
            "age": age_on(patient.birth_date, ctx.clock.today()),
            "managing_organization": await repo.organization_name(
                session, patient.managing_organization_id
            ),
            "identifiers": identifiers,
            "enrolment": EnrolmentSummary.model_validate(enrolment) if enrolment else None,
            "lead_care_manager": lead.full_name if lead else None,
            "access_basis": access.basis.value,
            "capabilities": sorted(access.capabilities),
        }
    )


async def _new_mrn(session: AsyncSession) -> str:
    for _ in range(10):
        candidate = f"T{secrets.randbelow(10**10):010d}"
        if not await repo.mrn_taken(session, candidate):
            return candidate
    raise RuntimeError("could not allocate a unique MRN")  # pragma: no cover - 1e10 space


NAME_AND_BIRTH = ["given_name", "family_name", "birth_date"]


def may_register(session: AsyncSession, ctx: AccessContext) -> None:
    """403 unless the caller's role registers patients (the registration form asks first)."""
    require_staff(session, ctx, Capability.register_patient)


async def create_patient(
    session: AsyncSession, ctx: AccessContext, data: PatientCreate
) -> PatientRead:
    """Register a patient; the creator joins the care team (as lead if a care manager).

    A possible duplicate the creator may see is shown and must be confirmed; one they may not
    see is registered without a word and queued for the privacy officer, so the check never
    reveals that a hidden patient exists."""
    require_staff(session, ctx, Capability.register_patient)
    today = ctx.clock.today()
    check_clinical_date(data.birth_date, field="birth_date", what="Date of birth", today=today)
    if data.managing_organization_id and not await repo.organization_exists(
        session, data.managing_organization_id
    ):
        raise ValidationProblem("No such organisation.", field="managing_organization_id")
    matches = await repo.same_name_and_birth_date(
        session, given=data.given_name, family=data.family_name, birth_date=data.birth_date
    )
    visible = [pid for pid, _ in await repo.visible_to(session, ctx, matches)]
    hidden = [pid for pid in matches if pid not in visible]
    if visible and not data.confirm_not_duplicate:
        warning = DuplicateWarning(
            message=(
                "A patient with the same name and date of birth is already registered. "
                "If this is the same person, open their record; "
                "if not, confirm to register a new patient."
            ),
            visible_matches=visible,
        )
        audit.record(
            session,
            ctx,
            action="E",
            record_type="DuplicateCheck",
            outcome=4,
            detail={"visible": [str(v) for v in visible]},
        )
        raise PossibleDuplicate(
            warning.message,
            field="confirm_not_duplicate",
            visible_matches=[str(v) for v in visible],
        )
    now = ctx.now()
    values = data.model_dump(exclude={"confirm_not_duplicate"})
    patient = Patient(
        id=new_id(),
        mrn=await _new_mrn(session),
        search_name=search_name(data.given_name, data.family_name, data.preferred_name),
        status="active",
        created_at=now,
        updated_at=now,
        **values,
    )
    member = CareTeamMember(
        id=new_id(),
        patient_id=patient.id,
        role=care_team_role_for(ctx.role),
        user_id=ctx.user_id,
        organization_id=ctx.organization_id,
        start_date=today,
        status="active",
        created_at=now,
    )
    access = registrant_access(session, ctx, patient, team_role=member.role)
    session.add(patient)
    await session.flush()
    session.add(member)
    await session.flush()
    audit_patient(session, ctx, access, "Patient", action="C")
    audit_patient(
        session, ctx, access, "CareTeamMember", member.id, action="C", detail={"role": member.role}
    )
    await duplicates.open_questions(session, ctx, access, hidden, matched=NAME_AND_BIRTH)
    return await patient_read(session, ctx, access)


async def update_patient(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: PatientUpdate
) -> PatientRead:
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.edit_demographics
    )
    patient = access.patient
    check_version(patient, data.version)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "birth_date" in changes and changes["birth_date"] is None:
        raise ValidationProblem("Date of birth is required.", field="birth_date")
    if changes.get("birth_date"):
        today = ctx.clock.today()
        check_clinical_date(
            changes["birth_date"], field="birth_date", what="Date of birth", today=today
        )
    reject_cleared(
        changes,
        (
            "given_name",
            "family_name",
            "gender",
            "preferred_language",
            "contact_preference",
            "interpreter_needed",
        ),
    )
    org_id = changes.get("managing_organization_id")
    if org_id and not await repo.organization_exists(session, org_id):
        raise ValidationProblem("No such organisation.", field="managing_organization_id")
    changed = {k: v for k, v in changes.items() if getattr(patient, k) != v}
    for key, value in changed.items():
        setattr(patient, key, value)
    if changed:
        patient.search_name = search_name(
            patient.given_name, patient.family_name, patient.preferred_name
        )
        patient.updated_at = ctx.now()
        await session.flush()
    audit_patient(session, ctx, access, "Patient", action="U", detail={"changed": sorted(changed)})
    return await patient_read(session, ctx, access)


async def mark_patient_entered_in_error(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: EnteredInError
) -> None:
    """A registration made by mistake (e.g. a duplicate): hidden from lists, never deleted."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.mark_registration_in_error
    )
    check_version(access.patient, data.version)
    access.patient.status = RecordStatus.entered_in_error
    access.patient.updated_at = ctx.now()
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "Patient",
        action="U",
        detail={"status": RecordStatus.entered_in_error, "reason": data.reason},
    )


# -- what other domains ask of people (their named surface; never this package's repository) --


async def organization_exists(session: AsyncSession, org_id: uuid.UUID) -> bool:
    """Whether an organisation is in the directory (a reference another record makes)."""
    return await repo.organization_exists(session, org_id)


async def active_related_person_name(
    session: AsyncSession, access: PatientAccess, person_id: uuid.UUID
) -> str | None:
    """The name of one of the patient's family members or caregivers, if still active."""
    person = await repo.related_person(session, access, person_id)
    return person.name if person is not None and person.status == "active" else None

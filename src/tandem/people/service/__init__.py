"""Patient use cases: authorise → rules → repository → audit. Flushes, never commits."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient, end_record
from tandem.access.service import registrant_access, require_patient, require_staff
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.dates import check_clinical_date
from tandem.errors import Conflict, ValidationProblem
from tandem.ids import new_id
from tandem.people import repository as repo
from tandem.people.models import Patient
from tandem.people.rules import age_on, display_name, search_name
from tandem.people.schemas import (
    DuplicateWarning,
    EnteredInError,
    IdentifierRead,
    PatientContactRead,
    PatientCreate,
    PatientRead,
    PatientUpdate,
)
from tandem.people.service import duplicates
from tandem.records import check_version, reject_cleared
from tandem.vocab import RecordStatus


class PossibleDuplicate(Conflict):
    """Same name and date of birth as an existing patient; confirm to create anyway."""

    code = "possible_duplicate"


async def contact_read(session: AsyncSession, access: PatientAccess) -> PatientContactRead:
    """The contact view of a patient already proven and audited by the caller (the care team
    adds whom to call: careteams.service.contact_read)."""
    patient = access.patient
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
            "access_basis": access.basis,
            "capabilities": sorted(access.capabilities),
        }
    )


async def patient_read(
    session: AsyncSession, ctx: AccessContext, access: PatientAccess
) -> PatientRead:
    """The chart header of a patient already proven (read_chart) and audited by the caller;
    identifiers only for those who may read them. The care team adds the programme and the lead
    care manager (careteams.service.patient_read)."""
    patient = access.patient
    identifiers = (
        [
            IdentifierRead.model_validate(i)
            for i in await repo.identifiers(session, access)
            if i.status == RecordStatus.active
        ]
        if access.can(Capability.read_identifiers)
        else []
    )
    return PatientRead.model_validate(
        {
            **{c: getattr(patient, c) for c in PatientRead.model_fields if hasattr(patient, c)},
            "display_name": display_name(
                patient.given_name, patient.family_name, patient.preferred_name
            ),
            "age": age_on(patient.birth_date, ctx.clock.today()),
            "managing_organization": await _managing_organization(session, access),
            "identifiers": identifiers,
            "access_basis": access.basis,
            "capabilities": sorted(access.capabilities),
        }
    )


async def _managing_organization(session: AsyncSession, access: PatientAccess) -> str | None:
    """The managing organisation's name: read with the access decision, else asked for."""
    patient = access.patient
    known = access.proof.managing_organization
    if known is not None or patient.managing_organization_id is None:
        return known
    return await repo.organization_name(session, patient.managing_organization_id)


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


async def register_patient(
    session: AsyncSession, ctx: AccessContext, data: PatientCreate, *, team_role: str
) -> tuple[PatientAccess, list[uuid.UUID]]:
    """Register a patient, to be joined by the registrant on the care team as ``team_role``
    (careteams.service.create_patient does both). Returns the registrant's proof of access and
    the hidden same-name patients for :func:`queue_hidden_duplicates`.

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
        status=RecordStatus.active,
        created_at=now,
        updated_at=now,
        **values,
    )
    access = registrant_access(session, ctx, patient, team_role=team_role)
    session.add(patient)
    await session.flush()
    audit_patient(session, ctx, access, "Patient", action="C")
    return access, hidden


async def queue_hidden_duplicates(
    session: AsyncSession, ctx: AccessContext, access: PatientAccess, hidden: list[uuid.UUID]
) -> None:
    """Put the same-name patients the registrant may not see in the privacy officer's queue."""
    await duplicates.open_questions(session, ctx, access, hidden, matched=NAME_AND_BIRTH)


async def update_patient(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: PatientUpdate
) -> PatientAccess:
    """Change a patient's demographics; returns the proof, for the caller's read of the result
    (careteams.service.update_patient)."""
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
    return access


async def mark_patient_entered_in_error(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: EnteredInError
) -> None:
    """A registration made by mistake (e.g. a duplicate): hidden from lists, never deleted."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.mark_registration_in_error
    )
    check_version(access.patient, data.version)
    await end_record(
        session,
        ctx,
        access,
        access.patient,
        "Patient",
        status=RecordStatus.entered_in_error,
        reason=data.reason,
        updated_at=ctx.now(),
    )


# -- what other domains ask of people (their named surface; never this package's repository) --


async def organization_exists(session: AsyncSession, org_id: uuid.UUID) -> bool:
    """Whether an organisation is in the directory (a reference another record makes)."""
    return await repo.organization_exists(session, org_id)


async def organization_name(session: AsyncSession, org_id: uuid.UUID) -> str | None:
    """The name of an organisation in the directory, or None when there is none."""
    return await repo.organization_name(session, org_id)


async def active_related_person_name(
    session: AsyncSession, access: PatientAccess, person_id: uuid.UUID
) -> str | None:
    """The name of one of the patient's family members or caregivers, if still active."""
    person = await repo.related_person(session, access, person_id)
    return person.name if person is not None and person.status == RecordStatus.active else None


async def active_related_persons(
    session: AsyncSession, access: PatientAccess
) -> list[tuple[uuid.UUID, str, str]]:
    """The patient's active family members and caregivers, as (id, name, relationship)."""
    return [
        (person.id, person.name, person.relationship)
        for person in await repo.related_persons(session, access)
        if person.status == RecordStatus.active
    ]

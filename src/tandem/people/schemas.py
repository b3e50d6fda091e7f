"""Input and output shapes for patients, identifiers and related persons."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from tandem.access.capabilities import AccessBasis
from tandem.people.vocab import (
    ContactPreference,
    DuplicateOutcome,
    Gender,
    IdentifierSystem,
    Relationship,
)
from tandem.schemas import (
    ClinicalDate,
    Email,
    InputModel,
    Name,
    OptionalText,
    OutputModel,
    Phone,
    Reason,
    Version,
)

Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)]
Pronouns = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=40)]


class PatientCreate(InputModel):
    given_name: Name
    family_name: Name
    preferred_name: OptionalText = None
    birth_date: ClinicalDate
    gender: Gender
    pronouns: Pronouns = None
    preferred_language: Language = "English"
    interpreter_needed: bool = False
    phone: Phone = None
    email: Email = None
    address: OptionalText = None
    contact_preference: ContactPreference = ContactPreference.phone
    managing_organization_id: uuid.UUID | None = None
    confirm_not_duplicate: bool = Field(
        default=False,
        description="Set after reviewing the duplicate warning to create the patient anyway",
    )


class PatientUpdate(InputModel):
    version: Version
    given_name: Name | None = None
    family_name: Name | None = None
    preferred_name: OptionalText = None
    birth_date: ClinicalDate | None = None
    gender: Gender | None = None
    pronouns: Pronouns = None
    preferred_language: Language | None = None
    interpreter_needed: bool | None = None
    phone: Phone = None
    email: Email = None
    address: OptionalText = None
    contact_preference: ContactPreference | None = None
    managing_organization_id: uuid.UUID | None = None


class EnteredInError(InputModel):
    version: Version
    reason: Reason


class IdentifierCreate(InputModel):
    system: IdentifierSystem
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    assigner: OptionalText = None


class IdentifierRead(OutputModel):
    id: uuid.UUID
    system: str
    value: str
    assigner: str | None
    status: str
    version: int


class RelatedPersonCreate(InputModel):
    name: Name
    relationship: Relationship
    phone: Phone = None
    email: Email = None
    is_emergency_contact: bool = False
    notes: OptionalText = None


class RelatedPersonUpdate(InputModel):
    version: Version
    name: Name | None = None
    relationship: Relationship | None = None
    phone: Phone = None
    email: Email = None
    is_emergency_contact: bool | None = None
    notes: OptionalText = None


class RelatedPersonEnd(InputModel):
    version: Version
    end_date: ClinicalDate | None = None
    entered_in_error: bool = False
    reason: Reason


class RelatedPersonRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    name: str
    relationship: str
    phone: str | None
    email: str | None
    is_emergency_contact: bool
    start_date: date | None
    end_date: date | None
    status: str
    notes: str | None
    version: int


class EnrolmentSummary(OutputModel):
    id: uuid.UUID
    programme: str
    phase: str
    start_date: date


class PatientRead(OutputModel):
    """The chart header and demographics."""

    id: uuid.UUID
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str | None
    display_name: str
    birth_date: date
    age: int
    gender: str
    pronouns: str | None
    preferred_language: str
    interpreter_needed: bool
    phone: str | None
    email: str | None
    address: str | None
    contact_preference: str
    managing_organization_id: uuid.UUID | None
    managing_organization: str | None = None
    status: str
    version: int
    identifiers: list[IdentifierRead] = Field(default_factory=list)
    enrolment: EnrolmentSummary | None = None
    lead_care_manager: str | None = None
    access_basis: AccessBasis = AccessBasis.care_team
    # What the caller may do on this patient (the permission table's capabilities).
    capabilities: list[str] = Field(default_factory=list)


class CareContact(OutputModel):
    """Whom to call about the patient at the clinic."""

    name: str
    phone: str | None
    email: str | None


class PatientContactRead(OutputModel):
    """The minimum necessary for a team member outside clinical care (a community partner):
    who the patient is, how to reach them, and whom to call at the clinic."""

    id: uuid.UUID
    display_name: str
    given_name: str
    family_name: str
    preferred_name: str | None
    pronouns: str | None
    preferred_language: str
    interpreter_needed: bool
    phone: str | None
    email: str | None
    address: str | None
    contact_preference: str
    lead_care_manager: CareContact | None = None
    access_basis: AccessBasis = AccessBasis.care_team
    capabilities: list[str] = Field(default_factory=list)


class DuplicateWarning(OutputModel):
    code: str = "possible_duplicate"
    message: str
    visible_matches: list[uuid.UUID]


class DuplicateParty(OutputModel):
    """Who one side of a possible duplicate is (shown to the privacy officer only)."""

    id: uuid.UUID
    mrn: str
    display_name: str
    birth_date: date
    status: str


class PotentialDuplicateRead(OutputModel):
    """One question in the potential-duplicates queue. Administrators see the ids and the
    fields that matched; the privacy officer also sees who the two patients are."""

    id: uuid.UUID
    patient_id: uuid.UUID
    other_patient_id: uuid.UUID
    matched: list[str]
    status: str
    raised_at: datetime
    raised_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None
    version: int
    patient: DuplicateParty | None = None
    other: DuplicateParty | None = None


class DuplicateResolve(InputModel):
    """The privacy officer's decision: the same person (linked), not (dismissed), or the same
    person to be merged later."""

    outcome: DuplicateOutcome
    note: Reason
    version: Version

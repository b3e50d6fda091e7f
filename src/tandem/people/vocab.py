"""Code lists for people; values follow FHIR R4 where one exists (CLINICAL.md §1)."""

from __future__ import annotations

from enum import StrEnum


class OrganizationKind(StrEnum):
    primary_care = "primary_care"
    behavioural_health = "behavioural_health"
    community_partner = "community_partner"
    hospital = "hospital"
    other = "other"


class ProfessionalRole(StrEnum):
    care_manager = "care_manager"
    primary_care_provider = "primary_care_provider"
    psychiatric_consultant = "psychiatric_consultant"
    therapist = "therapist"
    social_worker = "social_worker"
    peer_specialist = "peer_specialist"
    community_partner = "community_partner"
    administrator = "administrator"
    privacy_officer = "privacy_officer"


class Gender(StrEnum):
    """FHIR administrative-gender."""

    male = "male"
    female = "female"
    other = "other"
    unknown = "unknown"


class ContactPreference(StrEnum):
    phone = "phone"
    text = "text"
    email = "email"
    post = "post"
    no_contact = "no_contact"


class RecordStatus(StrEnum):
    """Lifecycle shared by records that are ended or marked in error, never deleted."""

    active = "active"
    inactive = "inactive"
    entered_in_error = "entered-in-error"


class DuplicateStatus(StrEnum):
    """Where a possible duplicate stands in the privacy officer's queue."""

    open = "open"
    linked = "linked"
    dismissed = "dismissed"
    merge_later = "merge_later"


class DuplicateOutcome(StrEnum):
    linked = "linked"
    dismissed = "dismissed"
    merge_later = "merge_later"


class Relationship(StrEnum):
    """A subset of HL7 v3 RoleCode used for family and caregivers."""

    spouse_or_partner = "spouse_or_partner"
    parent = "parent"
    child = "child"
    sibling = "sibling"
    grandparent = "grandparent"
    friend = "friend"
    guardian = "guardian"
    caregiver = "caregiver"
    other = "other"


class IdentifierSystem(StrEnum):
    mrn = "mrn"
    clinic_mrn = "clinic_mrn"
    medicaid = "medicaid"
    medicare = "medicare"
    insurance = "insurance"
    other = "other"


LABELS: dict[str, str] = {
    "care_manager": "Care manager",
    "primary_care_provider": "Primary care provider",
    "psychiatric_consultant": "Psychiatric consultant",
    "therapist": "Therapist",
    "social_worker": "Social worker",
    "peer_specialist": "Peer specialist",
    "community_partner": "Community partner",
    "administrator": "Administrator",
    "privacy_officer": "Privacy officer",
    "primary_care": "Primary care",
    "behavioural_health": "Behavioural health",
    "hospital": "Hospital",
    "other": "Other",
    "male": "Male",
    "female": "Female",
    "unknown": "Unknown",
    "phone": "Phone call",
    "text": "Text message",
    "email": "E-mail",
    "post": "Post",
    "no_contact": "Do not contact",
    "active": "Active",
    "inactive": "Ended",
    "entered-in-error": "Entered in error",
    "spouse_or_partner": "Spouse or partner",
    "parent": "Parent",
    "child": "Child",
    "sibling": "Sibling",
    "grandparent": "Grandparent",
    "friend": "Friend",
    "guardian": "Legal guardian",
    "caregiver": "Caregiver",
    "mrn": "Tandem MRN",
    "clinic_mrn": "Clinic MRN",
    "medicaid": "Medicaid ID",
    "medicare": "Medicare ID",
    "insurance": "Insurance member ID",
    "open": "Open",
    "linked": "Same person (linked)",
    "dismissed": "Not the same person",
    "merge_later": "Same person — merge later",
    "given_name": "Given name",
    "family_name": "Family name",
    "birth_date": "Date of birth",
}


def label(value: str) -> str:
    """The words a care manager would use for a code."""
    return LABELS.get(value, value.replace("_", " ").capitalize())

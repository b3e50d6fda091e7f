"""Code lists for people; values follow HL7 FHIR R4 where one exists (administrative-gender)."""

from __future__ import annotations

from enum import StrEnum

from tandem.vocab import LABELS as SHARED_LABELS


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
    **SHARED_LABELS,
    "male": "Male",
    "female": "Female",
    "unknown": "Unknown",
    "phone": "Phone call",
    "text": "Text message",
    "email": "E-mail",
    "post": "Post",
    "no_contact": "Do not contact",
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

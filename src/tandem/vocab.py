"""Vocabularies every layer shares: who a user is (their professional role), what an organisation
is, and the lifecycle of a record that is ended or marked in error, never deleted. They sit in the
core so that the access layer can name roles without importing a domain.

Values follow the HL7 FHIR R4 specification (hl7.org/fhir/R4) where a code system exists.
"""

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


class RecordStatus(StrEnum):
    """Lifecycle shared by records that are ended or marked in error, never deleted."""

    active = "active"
    inactive = "inactive"
    entered_in_error = "entered-in-error"


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
    "active": "Active",
    "inactive": "Ended",
    "entered-in-error": "Entered in error",
}


def label(value: str) -> str:
    """The words a care manager would use for a code."""
    return LABELS.get(value, value.replace("_", " ").capitalize())

"""Care-team roles, programmes and phases."""

from __future__ import annotations

from enum import StrEnum


class CareTeamRole(StrEnum):
    lead_care_manager = "lead_care_manager"
    primary_care_provider = "primary_care_provider"
    psychiatric_consultant = "psychiatric_consultant"
    therapist = "therapist"
    social_worker = "social_worker"
    peer_specialist = "peer_specialist"
    family_caregiver = "family_caregiver"
    community_partner = "community_partner"


class Phase(StrEnum):
    """Collaborative-care phases (AIMS Center): active treatment, relapse prevention, discharged."""

    active = "active"
    relapse_prevention = "relapse_prevention"
    discharged = "discharged"


PROGRAMMES = (
    "Collaborative care — depression and anxiety",
    "Serious mental illness — integrated care",
    "Perinatal mental health",
    "Substance use — integrated care",
)

ROLE_LABELS = {
    "lead_care_manager": "Lead care manager",
    "primary_care_provider": "Primary care provider",
    "psychiatric_consultant": "Psychiatric consultant",
    "therapist": "Therapist",
    "social_worker": "Social worker",
    "peer_specialist": "Peer specialist",
    "family_caregiver": "Family caregiver",
    "community_partner": "Community partner",
    "active": "Active treatment",
    "relapse_prevention": "Relapse prevention",
    "discharged": "Discharged",
}

"""Pure access rules: who counts as clinical staff, what a break-the-glass reason needs."""

from __future__ import annotations

from tandem.errors import ValidationProblem
from tandem.people.vocab import ProfessionalRole

# Roles that treat patients and so may be on a care team in a clinical capacity, create
# patients and use emergency access. Administrators manage the system but see clinical data
# only when they are on a care team (HIPAA minimum necessary, 45 CFR 164.514(d)).
CLINICAL_ROLES = frozenset(
    {
        ProfessionalRole.care_manager,
        ProfessionalRole.primary_care_provider,
        ProfessionalRole.psychiatric_consultant,
        ProfessionalRole.therapist,
        ProfessionalRole.social_worker,
        ProfessionalRole.peer_specialist,
    }
)

MIN_BREAK_GLASS_REASON = 15


def can_manage_care_team(*, basis: str, role: str) -> bool:
    """Clinical members of the team change it; emergency (break-the-glass) access cannot."""
    return basis == "care_team" and role in CLINICAL_ROLES


def validate_break_glass_reason(reason: str) -> str:
    """A stated reason is required (42 CFR 2.51 asks for the nature of the emergency)."""
    cleaned = " ".join(reason.split())
    if len(cleaned) < MIN_BREAK_GLASS_REASON:
        raise ValidationProblem(
            f"Describe the emergency in at least {MIN_BREAK_GLASS_REASON} characters.",
            field="reason",
        )
    return cleaned

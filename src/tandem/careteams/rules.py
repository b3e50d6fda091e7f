"""Pure care-team rules: roles, the single lead, enrolment phases."""

from __future__ import annotations

from datetime import date

from tandem.careteams.vocab import CareTeamRole, Phase
from tandem.dates import check_clinical_date
from tandem.errors import ValidationProblem

_ROLE_FOR_PROFESSION = {
    "care_manager": CareTeamRole.lead_care_manager,
    "primary_care_provider": CareTeamRole.primary_care_provider,
    "psychiatric_consultant": CareTeamRole.psychiatric_consultant,
    "therapist": CareTeamRole.therapist,
    "social_worker": CareTeamRole.social_worker,
    "peer_specialist": CareTeamRole.peer_specialist,
    "community_partner": CareTeamRole.community_partner,
}


def care_team_role_for(professional_role: str) -> str:
    """The care-team role a professional takes when they register a patient."""
    return _ROLE_FOR_PROFESSION.get(professional_role, CareTeamRole.social_worker).value


def check_member_kind(role: str, *, has_user: bool, has_related_person: bool) -> None:
    """Family caregivers are related persons; every other role is a Tandem user."""
    if has_user == has_related_person:
        raise ValidationProblem(
            "Choose either a staff member or a family member, not both.", field="user_id"
        )
    if role == CareTeamRole.family_caregiver and not has_related_person:
        raise ValidationProblem(
            "A family caregiver must be one of the patient's related persons.",
            field="related_person_id",
        )
    if role != CareTeamRole.family_caregiver and has_related_person:
        raise ValidationProblem(
            "A related person can only join the team as a family caregiver.", field="role"
        )


def check_start(start: date, *, today: date, born: date) -> None:
    """A membership or an enrolment starts between the patient's birth and today."""
    check_clinical_date(start, field="start_date", what="Start date", today=today, born=born)


def check_end(start: date, end: date, *, today: date, born: date) -> None:
    """A period ends on or after its start, and by today. The start is the stored one and is not
    judged again: a period an older version let start oddly can still be ended."""
    if end < start:
        raise ValidationProblem("End date is before the start date.", field="end_date")
    check_clinical_date(end, field="end_date", what="End date", today=today, born=born)


def check_phase_dates(phase: str, end_date: date | None) -> None:
    """Discharged means the episode has an end date; the other phases are open."""
    if phase == Phase.discharged and end_date is None:
        raise ValidationProblem("A discharge needs an end date.", field="end_date")
    if phase != Phase.discharged and end_date is not None:
        raise ValidationProblem(
            "Only a discharged enrolment has an end date; set the phase to discharged.",
            field="phase",
        )

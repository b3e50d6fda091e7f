"""The care plan's vocabularies: goal and activity lifecycles, achievement, activity kinds and
who may be responsible for an activity (FHIR Goal and CarePlan.activity, simplified)."""

from __future__ import annotations

from enum import StrEnum


class PlanStatus(StrEnum):
    active = "active"
    entered_in_error = "entered-in-error"


class GoalStatus(StrEnum):
    """FHIR Goal.lifecycleStatus, the values a care team uses."""

    proposed = "proposed"
    active = "active"
    on_hold = "on-hold"
    completed = "completed"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"


class Achievement(StrEnum):
    """FHIR Goal.achievementStatus; set by hand in this slice."""

    in_progress = "in-progress"
    improving = "improving"
    worsening = "worsening"
    no_change = "no-change"
    achieved = "achieved"
    sustaining = "sustaining"
    not_achieved = "not-achieved"


class ActivityKind(StrEnum):
    therapy = "therapy"
    medication_review = "medication-review"
    housing_application = "housing-application"
    check_in_call = "check-in-call"
    peer_support = "peer-support"
    referral = "referral"
    other = "other"


class ActivityStatus(StrEnum):
    """FHIR CarePlan.activity status."""

    not_started = "not-started"
    scheduled = "scheduled"
    in_progress = "in-progress"
    on_hold = "on-hold"
    completed = "completed"
    cancelled = "cancelled"
    stopped = "stopped"
    entered_in_error = "entered-in-error"


class ResponsibleKind(StrEnum):
    """Who does an activity: exactly one party."""

    team_member = "team_member"
    organisation = "organisation"
    patient = "patient"
    related_person = "related_person"


class AgreedBy(StrEnum):
    """Who agreed to a version of the plan: the patient, or a family member with consent."""

    patient = "patient"
    related_person = "related_person"


class AgreementMethod(StrEnum):
    """How the agreement was given."""

    in_person = "in-person"
    phone = "phone"
    video = "video"
    in_writing = "in-writing"

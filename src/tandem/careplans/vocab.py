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
    """FHIR Goal.achievementStatus: worked out from the scores for a goal with a measurable
    target (careplans.rules.achievement), set by hand for the others."""

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


class TargetMeasure(StrEnum):
    """The instruments a goal's measurable target can be on: those followed over time (their
    codes in ``assessments/instruments``)."""

    phq_9 = "phq-9"
    gad_7 = "gad-7"


# The scores each measure can take (the instruments' own ranges), held by a CHECK constraint too.
MEASURE_RANGES: dict[TargetMeasure, tuple[int, int]] = {
    TargetMeasure.phq_9: (0, 27),
    TargetMeasure.gad_7: (0, 21),
}


class Comparator(StrEnum):
    """How the score must compare with the target score (FHIR Quantity.comparator: <, <=, >=,
    >)."""

    below = "below"
    at_most = "at-most"
    at_least = "at-least"
    above = "above"


class CheckCode(StrEnum):
    """What a check of the plan found."""

    duplicate_activity = "duplicate-activity"
    need_without_goal = "need-without-goal"
    goal_without_activity = "goal-without-activity"
    responsible_left_team = "responsible-left-team"
    activity_overdue = "activity-overdue"
    contradicting_targets = "contradicting-targets"


class Fix(StrEnum):
    """The change a check suggests, for the page to offer as one click."""

    add_goal_for_need = "add-goal-for-need"
    add_activity = "add-activity"
    reassign_activity = "reassign-activity"
    mark_duplicate_entered_in_error = "mark-duplicate-entered-in-error"
    complete_activity = "complete-activity"
    set_due_date = "set-due-date"
    change_goal_target = "change-goal-target"


class ReviewReason(StrEnum):
    """Why a plan is due for review."""

    review_date_passed = "review-date-passed"
    not_improving = "not-improving"
    safety_alert = "safety-alert"
    new_need = "new-need"


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

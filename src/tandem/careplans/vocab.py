"""The care plan's vocabularies: goal and activity lifecycles, achievement, activity kinds and
who may be responsible for an activity (FHIR Goal and CarePlan.activity, simplified)."""

from __future__ import annotations

from dataclasses import dataclass
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


# An activity in one of these is owed by nobody and is never overdue (entered in error never
# shows). The plan's checks, who does what and My responsibilities all go by it.
ENDED_ACTIVITY = frozenset(
    {
        ActivityStatus.completed,
        ActivityStatus.cancelled,
        ActivityStatus.stopped,
        ActivityStatus.entered_in_error,
    }
)


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


class SafetySection(StrEnum):
    """The parts of a safety plan, in the order of the steps of the Safety Planning
    Intervention (Stanley & Brown, Cognitive and Behavioral Practice 2012), then reasons for
    living, which many programmes add. Each holds entries in the patient's own words."""

    warning_signs = "warning_signs"
    coping_strategies = "coping_strategies"
    people_and_places = "people_and_places"
    people_to_ask = "people_to_ask"
    professionals = "professionals"
    making_safe = "making_safe"
    reasons_for_living = "reasons_for_living"


# Sections whose entries are someone (or somewhere) to reach: a name and a phone number.
CONTACT_SECTIONS = frozenset(
    {SafetySection.people_and_places, SafetySection.people_to_ask, SafetySection.professionals}
)


class EntryStatus(StrEnum):
    """A safety plan entry taken off the plan is ended; the plan's versions keep what it said."""

    active = "active"
    ended = "ended"


@dataclass(frozen=True)
class SectionWords:
    """How the pages name a section and ask for its lines, in Tandem's own words."""

    section: SafetySection
    heading: str
    prompt: str
    line: str  # the label of one line ("Warning sign", "Name")

    @property
    def contact(self) -> bool:
        return self.section in CONTACT_SECTIONS


# The steps of the Safety Planning Intervention (Stanley & Brown 2012), in our own words (the
# published form is not reproduced), then reasons for living: the headings the pages and the
# printed plan give them, and what each asks for.
SAFETY_SECTIONS = (
    SectionWords(
        SafetySection.warning_signs,
        "Signs that a crisis may be coming",
        "Thoughts, moods, situations or things I do that tell me a crisis may be starting.",
        "Warning sign",
    ),
    SectionWords(
        SafetySection.coping_strategies,
        "Things I can do on my own",
        "What I can do by myself to take my mind off things, without contacting anyone.",
        "Something I can do",
    ),
    SectionWords(
        SafetySection.people_and_places,
        "People and places that take my mind off things",
        "People to be with and places to go where I feel better, without having to talk about "
        "how I feel.",
        "Person or place",
    ),
    SectionWords(
        SafetySection.people_to_ask,
        "People I can ask for help",
        "People I trust and can tell that I am not safe.",
        "Name",
    ),
    SectionWords(
        SafetySection.professionals,
        "Professionals and services to contact",
        "My clinicians and the services I can call, at any hour. The crisis line is always on "
        "this list.",
        "Name or service",
    ),
    SectionWords(
        SafetySection.making_safe,
        "Making my surroundings safer",
        "What I, and the people around me, will do to keep anything I could use to hurt myself "
        "out of reach.",
        "Step",
    ),
    SectionWords(
        SafetySection.reasons_for_living,
        "My reasons for living",
        "What matters most to me, and is worth living for.",
        "Reason",
    ),
)

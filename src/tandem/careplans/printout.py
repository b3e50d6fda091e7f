"""The care plan as it is printed: the patient's copy in plain words (goals first, who does
what with names, whom to call, the crisis line, the safety plan when there is one) and the
team's copy with every field, status and version. Pure: the HTML page and the PDF both draw
from what :func:`printout` builds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from tandem.careplans.schemas import (
    ActivityRead,
    GoalRead,
    PlanRead,
    SafetyPlanRead,
    VersionSummary,
)
from tandem.careplans.vocab import (
    SAFETY_SECTIONS,
    ActivityStatus,
    GoalStatus,
    ResponsibleKind,
    SafetySection,
)
from tandem.careteams.schemas import MemberRead
from tandem.careteams.vocab import CareTeamRole

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# What the patient's copy shows: goals and activities that are planned, under way or done.
PATIENT_GOALS: dict[str, str] = {
    GoalStatus.proposed: "To agree together",
    GoalStatus.active: "Working on it",
    GoalStatus.on_hold: "On hold for now",
    GoalStatus.completed: "Done",
}
PATIENT_ACTIVITIES: dict[str, str] = {
    ActivityStatus.not_started: "Not started yet",
    ActivityStatus.scheduled: "Booked",
    ActivityStatus.in_progress: "Under way",
    ActivityStatus.on_hold: "On hold for now",
    ActivityStatus.completed: "Done",
}
# An activity still to be done; one on hold was paused on purpose and is not overdue.
OPEN_ACTIVITIES: set[str] = {
    ActivityStatus.not_started,
    ActivityStatus.scheduled,
    ActivityStatus.in_progress,
}
# Team members in the order a patient would call them, in the patient's words.
ROLE_WORDS = {
    CareTeamRole.lead_care_manager: "care manager",
    CareTeamRole.primary_care_provider: "primary care provider",
    CareTeamRole.psychiatric_consultant: "psychiatrist who advises your team",
    CareTeamRole.therapist: "therapist",
    CareTeamRole.social_worker: "social worker",
    CareTeamRole.peer_specialist: "peer support worker",
    CareTeamRole.community_partner: "community partner",
}


@dataclass(frozen=True)
class CrisisLine:
    name: str
    number: str
    how: str


# US crisis lines. 988 Suicide & Crisis Lifeline: call or text 988, nationwide since 16 July
# 2022 (National Suicide Hotline Designation Act of 2020; FCC 20-100).
CRISIS_LINES = (
    CrisisLine(
        "988 Suicide & Crisis Lifeline",
        "988",
        "Call or text 988 at any time, day or night, if you are thinking about suicide or are "
        "in crisis.",
    ),
    CrisisLine("Emergency", "911", "Call 911 if you or someone else is in danger right now."),
)


@dataclass(frozen=True)
class Contact:
    """Someone on the care team to call: "Your care manager: Dana Cho, 555 0100"."""

    role: str
    name: str
    phone: str | None
    organisation: str | None
    team_role: str


@dataclass(frozen=True)
class PrintedActivity:
    title: str
    who: str  # in the patient's words: "You", "Dana Cho, your care manager"
    responsible: str  # as the team says it: "Dana Cho", "The patient"
    due_on: date | None
    status: str
    status_code: str
    kind: str
    responsible_kind: str
    overdue: bool


@dataclass(frozen=True)
class PrintedGoal:
    description: str
    target: str | None
    target_date: date | None
    status: str
    status_code: str
    achievement: str
    addresses: int
    activities: tuple[PrintedActivity, ...]


@dataclass(frozen=True)
class SafetyPlanStep:
    heading: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class SafetyPlanSection:
    """The patient's safety plan as printed: its steps in order, each with what the patient
    wrote; filled from the safety plan, never made up."""

    steps: tuple[SafetyPlanStep, ...]
    updated_on: date | None = None


@dataclass(frozen=True)
class PrintedPlan:
    patient_name: str
    mrn: str
    birth_date: date
    clinic: str | None
    printed_on: date
    version: int
    status: str
    next_review_on: date | None
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    goals: tuple[PrintedGoal, ...]
    contacts: tuple[Contact, ...]
    versions: tuple[VersionSummary, ...]
    safety_plan: SafetyPlanSection | None
    crisis_lines: tuple[CrisisLine, ...] = CRISIS_LINES

    @property
    def patient_goals(self) -> tuple[PrintedGoal, ...]:
        """The goals and activities the patient's copy shows (nothing cancelled or stopped)."""
        return tuple(
            replace(
                goal,
                activities=tuple(a for a in goal.activities if a.status_code in PATIENT_ACTIVITIES),
            )
            for goal in self.goals
            if goal.status_code in PATIENT_GOALS
        )


def plain_day(day: date | None) -> str:
    """4 March 2026: no abbreviations on the patient's copy."""
    if day is None:
        return ""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# Codes whose hyphen belongs in the words.
HYPHENATED = {"check-in-call": "Check-in call"}


def words(code: str) -> str:
    """A code as the team's copy shows it: "in-progress" -> "In progress"."""
    return HYPHENATED.get(code) or code.replace("-", " ").replace("_", " ").capitalize()


def full_name(given: str, family: str, preferred: str | None) -> str:
    """The name the patient's copy is addressed to: "Walt Walker" (the preferred first name)."""
    return f"{preferred or given} {family}"


def _who(activity: ActivityRead, roles: dict[str, str]) -> str:
    party = activity.responsible
    if party.kind == ResponsibleKind.patient:
        return "You"
    role = roles.get(str(party.user_id)) if party.user_id else None
    return f"{party.name}, your {role}" if role else party.name


def _activity(activity: ActivityRead, roles: dict[str, str], today: date) -> PrintedActivity:
    status = activity.status
    return PrintedActivity(
        title=activity.title,
        who=_who(activity, roles),
        responsible=activity.responsible.name,
        due_on=activity.due_on,
        status=PATIENT_ACTIVITIES.get(status, words(status)),
        status_code=status,
        kind=activity.kind,
        responsible_kind=activity.responsible.kind,
        overdue=(
            activity.due_on is not None and activity.due_on < today and status in OPEN_ACTIVITIES
        ),
    )


def _goal(goal: GoalRead, roles: dict[str, str], today: date) -> PrintedGoal:
    return PrintedGoal(
        description=goal.description,
        target=goal.target,
        target_date=goal.target_date,
        status=PATIENT_GOALS.get(goal.status, words(goal.status)),
        status_code=goal.status,
        achievement=words(goal.achievement),
        addresses=len(goal.addresses),
        activities=tuple(_activity(a, roles, today) for a in goal.activities),
    )


def contacts(team: Sequence[MemberRead]) -> tuple[Contact, ...]:
    """The staff of the care team, the lead care manager first (the patient's first call)."""
    order = list(ROLE_WORDS)
    staff = sorted(
        (m for m in team if m.user_id is not None and m.role in ROLE_WORDS),
        key=lambda m: (order.index(CareTeamRole(m.role)), m.name),
    )
    return tuple(
        Contact(
            role=f"Your {ROLE_WORDS[CareTeamRole(m.role)]}",
            name=m.name,
            phone=m.phone,
            organisation=m.organization,
            team_role=m.role,
        )
        for m in staff
    )


@dataclass(frozen=True)
class PatientFacts:
    given_name: str
    family_name: str
    preferred_name: str | None
    mrn: str
    birth_date: date
    clinic: str | None


def safety_plan_section(
    safety_plan: SafetyPlanRead | None, *, updated_on: date | None
) -> SafetyPlanSection | None:
    """The safety plan as printed: each step with what the patient wrote (a contact with their
    number), the crisis lines first among the professionals; a step with nothing in it is left
    out, and a plan with nothing of the patient's own is not printed."""
    if safety_plan is None:
        return None
    steps = []
    written = False
    for words in SAFETY_SECTIONS:
        entries = getattr(safety_plan, words.section.value)
        items = [_said(entry, contact=words.contact) for entry in entries]
        written = written or bool(items)
        if words.section == SafetySection.professionals:
            items = [f"{line.name} — {line.how}" for line in safety_plan.crisis_lines] + items
        if items:
            steps.append(SafetyPlanStep(words.heading, tuple(items)))
    return SafetyPlanSection(tuple(steps), updated_on=updated_on) if written else None


def _said(entry: Any, *, contact: bool) -> str:
    if not contact:
        return str(entry.text)
    return f"{entry.name} — {entry.phone}" if entry.phone else str(entry.name)


def printout(
    plan: PlanRead,
    *,
    patient: PatientFacts,
    team: Sequence[MemberRead],
    today: date,
    versions: Sequence[VersionSummary] = (),
    safety_plan: SafetyPlanSection | None = None,
) -> PrintedPlan:
    """What both copies of the plan print, from the plan as read, the care team and today."""
    roles = {
        str(m.user_id): ROLE_WORDS[CareTeamRole(m.role)]
        for m in team
        if m.user_id is not None and m.role in ROLE_WORDS
    }
    return PrintedPlan(
        patient_name=full_name(patient.given_name, patient.family_name, patient.preferred_name),
        mrn=patient.mrn,
        birth_date=patient.birth_date,
        clinic=patient.clinic,
        printed_on=today,
        version=plan.version,
        status=plan.status,
        next_review_on=plan.next_review_on,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        updated_by=plan.updated_by,
        goals=tuple(_goal(g, roles, today) for g in plan.goals),
        contacts=contacts(team),
        versions=tuple(versions),
        safety_plan=safety_plan,
    )

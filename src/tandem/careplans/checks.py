"""Checks of a care plan: redundant, missing and conflicting items, each said in words with
what it concerns and the change that would put it right (pure: no I/O).

"Live" is what the team is still doing: a goal proposed, active or on hold, and an activity of
a live goal that is neither completed, cancelled nor stopped (entered in error is never shown).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from itertools import combinations

from tandem.careplans.rules.review import ConfirmedNeed
from tandem.careplans.rules.targets import allowed_scores, on_day, target_words
from tandem.careplans.schemas import ActivityRead, GoalRead, PlanCheck
from tandem.careplans.vocab import (
    ENDED_ACTIVITY,
    ActivityKind,
    CheckCode,
    Fix,
    GoalStatus,
)

LIVE_GOAL = frozenset({GoalStatus.proposed, GoalStatus.active, GoalStatus.on_hold})
# A goal on hold is paused: it needs no activity until it is taken up again.
WORKED_GOAL = frozenset({GoalStatus.proposed, GoalStatus.active})
# "Other" names no service: two of them for one person are not the same service twice.
SERVICES: dict[str, str] = {
    ActivityKind.therapy: "therapy",
    ActivityKind.medication_review: "medication reviews",
    ActivityKind.housing_application: "housing applications",
    ActivityKind.check_in_call: "check-in calls",
    ActivityKind.peer_support: "peer support",
    ActivityKind.referral: "referrals",
}
_NOT_A_WORD = re.compile(r"[\W_]+")


def normalised(title: str) -> str:
    """A title as two titles are compared: case, punctuation and spacing left out."""
    return " ".join(_NOT_A_WORD.sub(" ", title.casefold()).split())


def _quoted(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}”"


def _fix(fix: Fix, **ids: uuid.UUID) -> dict[str, str]:
    return {"fix": fix.value, **{name: str(value) for name, value in ids.items()}}


def _live(goals: Sequence[GoalRead]) -> list[tuple[GoalRead, ActivityRead]]:
    return [
        (goal, activity)
        for goal in goals
        if goal.status in LIVE_GOAL
        for activity in goal.activities
        if activity.status not in ENDED_ACTIVITY
    ]


def duplicate_activities(goals: Sequence[GoalRead]) -> Iterator[PlanCheck]:
    """Two live activities that are the same service: the same kind by the same responsible
    party, or the same title, anywhere in the plan. The later one is suggested for marking
    entered in error."""
    live = _live(goals)
    for index, (goal, activity) in enumerate(live):
        for first_goal, first in live[:index]:
            service = SERVICES.get(activity.kind) if activity.kind == first.kind else None
            same_party = service is not None and _party(activity) == _party(first)
            same_title = normalised(activity.title) == normalised(first.title)
            if not (same_party or same_title):
                continue
            why = (
                f"both {service}, by {_who(activity)}" if same_party else "they have the same title"
            )
            yield PlanCheck(
                code=CheckCode.duplicate_activity,
                message=(
                    f"{_quoted(activity.title)} ({_where(goal)}) looks like the same service as "
                    f"{_quoted(first.title)} ({_where(first_goal)}): {why}."
                ),
                goal_ids=sorted({first_goal.id, goal.id}, key=str),
                activity_ids=[first.id, activity.id],
                fix=_fix(
                    Fix.mark_duplicate_entered_in_error,
                    activity_id=activity.id,
                    duplicate_of=first.id,
                ),
            )
            break


def _party(activity: ActivityRead) -> tuple[object, ...]:
    who = activity.responsible
    return (who.kind, who.user_id, who.organization_id, who.related_person_id)


def _who(activity: ActivityRead) -> str:
    name = activity.responsible.name
    return "the patient" if activity.responsible.kind == "patient" else name


def _where(goal: GoalRead) -> str:
    return f"goal {_quoted(goal.description, 40)}"


def needs_without_goals(
    goals: Sequence[GoalRead], needs: Sequence[ConfirmedNeed]
) -> Iterator[PlanCheck]:
    """A confirmed need that no live goal addresses."""
    addressed = {need for goal in goals if goal.status in LIVE_GOAL for need in goal.addresses}
    for need in needs:
        if need.id not in addressed:
            yield PlanCheck(
                code=CheckCode.need_without_goal,
                message=f"The confirmed need {_quoted(need.label)} has no goal in the plan.",
                need_ids=[need.id],
                fix=_fix(Fix.add_goal_for_need, need_id=need.id),
            )


def goals_without_activities(goals: Sequence[GoalRead]) -> Iterator[PlanCheck]:
    """A goal being worked towards (proposed or active) with no live activity."""
    busy = {goal.id for goal, _ in _live(goals)}
    for goal in goals:
        if goal.status in WORKED_GOAL and goal.id not in busy:
            yield PlanCheck(
                code=CheckCode.goal_without_activity,
                message=(
                    f"The goal {_quoted(goal.description)} has no activity: nobody is doing "
                    "anything towards it yet."
                ),
                goal_ids=[goal.id],
                fix=_fix(Fix.add_activity, goal_id=goal.id),
            )


def owners_who_left(goals: Sequence[GoalRead]) -> Iterator[PlanCheck]:
    """A live activity whose responsible team member is no longer on the care team."""
    for goal, activity in _live(goals):
        if activity.responsible.kind == "team_member" and activity.responsible.on_team is False:
            yield PlanCheck(
                code=CheckCode.responsible_left_team,
                message=(
                    f"{_quoted(activity.title)} is {activity.responsible.name}'s, who is no "
                    "longer on the care team: give it to someone who is."
                ),
                goal_ids=[goal.id],
                activity_ids=[activity.id],
                fix=_fix(Fix.reassign_activity, activity_id=activity.id),
            )


def overdue_activities(goals: Sequence[GoalRead], today: date) -> Iterator[PlanCheck]:
    """A live activity whose due date is before the clinic's today."""
    for goal, activity in _live(goals):
        if activity.due_on is not None and activity.due_on < today:
            yield PlanCheck(
                code=CheckCode.activity_overdue,
                message=(
                    f"{_quoted(activity.title)} was due on {on_day(activity.due_on)} and is not "
                    "done: record it as completed, or give it a new date."
                ),
                goal_ids=[goal.id],
                activity_ids=[activity.id],
                fix=_fix(Fix.complete_activity, activity_id=activity.id),
                alternatives=[_fix(Fix.set_due_date, activity_id=activity.id)],
            )


def contradicting_targets(goals: Sequence[GoalRead]) -> Iterator[PlanCheck]:
    """Two live goals with targets on the same measure that no score can meet together (PHQ-9
    below 5 and PHQ-9 above 14). The later goal's target is suggested for changing."""
    measured = [g for g in goals if g.status in LIVE_GOAL and g.target_measure is not None]
    for first, later in combinations(measured, 2):
        if first.target_measure != later.target_measure:
            continue
        if set(_allowed(first)) & set(_allowed(later)):
            continue
        yield PlanCheck(
            code=CheckCode.contradicting_targets,
            message=(
                f"The goals {_quoted(first.description, 40)} ({_target(first)}) and "
                f"{_quoted(later.description, 40)} ({_target(later)}) cannot both be met: "
                "no score meets both targets."
            ),
            goal_ids=[first.id, later.id],
            fix=_fix(Fix.change_goal_target, goal_id=later.id),
        )


def _allowed(goal: GoalRead) -> range:
    assert goal.target_measure and goal.target_comparator and goal.target_score is not None
    return allowed_scores(goal.target_measure, goal.target_comparator, goal.target_score)


def _target(goal: GoalRead) -> str:
    assert goal.target_measure and goal.target_comparator and goal.target_score is not None
    return target_words(goal.target_measure, goal.target_comparator, goal.target_score)


def plan_checks(
    goals: Sequence[GoalRead], needs: Sequence[ConfirmedNeed], *, today: date
) -> list[PlanCheck]:
    """Every check of the plan as shown (goals and activities entered in error left out), the
    most pressing first: owners gone, overdue, needs and goals left unserved, then conflicts."""
    return [
        *owners_who_left(goals),
        *overdue_activities(goals, today),
        *needs_without_goals(goals, needs),
        *goals_without_activities(goals),
        *contradicting_targets(goals),
        *duplicate_activities(goals),
    ]

"""Checks of a care plan (careplans.checks): each finds what it should and nothing more, in
words a care manager understands, with the ids it concerns and a fix the page can offer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from tandem.careplans.checks import (
    contradicting_targets,
    duplicate_activities,
    goals_without_activities,
    needs_without_goals,
    normalised,
    overdue_activities,
    owners_who_left,
    plan_checks,
)
from tandem.careplans.rules.review import ConfirmedNeed
from tandem.careplans.schemas import ActivityRead, GoalRead, ResponsibleRead

TODAY = date(2026, 12, 2)
DANA = uuid.UUID("00000000-0000-0000-0000-00000000da7a")
RAY = uuid.UUID("00000000-0000-0000-0000-000000000ea1")


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def member(user_id: uuid.UUID = DANA, name: str = "Dana Lee", on_team: bool = True) -> Any:
    return ResponsibleRead(
        kind="team_member",
        user_id=user_id,
        organization_id=None,
        related_person_id=None,
        name=name,
        on_team=on_team,
    )


PATIENT = ResponsibleRead(
    kind="patient", user_id=None, organization_id=None, related_person_id=None, name="The patient"
)


def activity(
    n: int,
    title: str = "Weekly check-in call",
    kind: str = "check-in-call",
    *,
    goal: int = 1,
    responsible: ResponsibleRead | None = None,
    due_on: date | None = None,
    status: str = "scheduled",
) -> ActivityRead:
    return ActivityRead(
        id=uid(100 + n),
        goal_id=uid(goal),
        title=title,
        kind=kind,
        responsible=responsible or member(),
        due_on=due_on,
        status=status,
    )


def goal(
    n: int,
    *activities: ActivityRead,
    status: str = "active",
    addresses: tuple[uuid.UUID, ...] = (),
    target: tuple[str, str, int] | None = None,
    description: str | None = None,
) -> GoalRead:
    measure, comparator, score = target or (None, None, None)
    return GoalRead(
        id=uid(n),
        description=description or f"Goal number {n}",
        target=None,
        target_date=None,
        target_measure=measure,
        target_comparator=comparator,
        target_score=score,
        status=status,
        achievement="in-progress",
        addresses=list(addresses),
        activities=list(activities),
    )


HOUSING = ConfirmedNeed(
    id=uid(900),
    label="Housing: behind on rent",
    confirmed_at=datetime(2026, 11, 20, 17, 0),
    confirmed_on=date(2026, 11, 20),
)


class TestDuplicates:
    def test_the_same_kind_by_the_same_person_across_goals_is_a_duplicate(self) -> None:
        first, second = activity(1, "Mood check-in"), activity(2, "Housing check-in", goal=2)
        [found] = duplicate_activities([goal(1, first), goal(2, second)])
        assert found.code == "duplicate-activity"
        assert found.activity_ids == [first.id, second.id]
        assert found.goal_ids == sorted([uid(1), uid(2)], key=str)
        assert found.fix == {
            "fix": "mark-duplicate-entered-in-error",
            "activity_id": str(second.id),
            "duplicate_of": str(first.id),
        }
        assert "both check-in calls, by Dana Lee" in found.message

    def test_the_same_kind_by_two_people_is_not(self) -> None:
        first = activity(1, "Mood check-in")
        second = activity(2, "Housing check-in", responsible=member(RAY, "Ray Ng"))
        assert list(duplicate_activities([goal(1, first, second)])) == []

    def test_two_kinds_by_the_same_person_are_not(self) -> None:
        first = activity(1, "Mood check-in")
        second = activity(2, "Talking therapy", "therapy")
        assert list(duplicate_activities([goal(1, first, second)])) == []

    def test_two_others_by_the_patient_are_not_one_service(self) -> None:
        walk = activity(1, "Walk every day", "other", responsible=PATIENT)
        journal = activity(2, "Keep a mood diary", "other", responsible=PATIENT)
        assert list(duplicate_activities([goal(1, walk, journal)])) == []

    def test_the_same_title_whatever_its_case_spacing_and_punctuation_is_a_duplicate(
        self,
    ) -> None:
        first = activity(1, "Food bank referral", "referral")
        second = activity(2, "  food-bank   Referral!", "other", responsible=PATIENT)
        [found] = duplicate_activities([goal(1, first), goal(2, second)])
        assert "the same title" in found.message

    def test_an_ended_activity_or_one_of_an_ended_goal_is_no_duplicate(self) -> None:
        done = activity(1, status="completed")
        live = activity(2)
        cancelled_goal = goal(2, activity(3), status="cancelled")
        assert list(duplicate_activities([goal(1, done, live), cancelled_goal])) == []

    def test_three_alike_give_two_duplicates_of_the_first(self) -> None:
        found = list(duplicate_activities([goal(1, activity(1), activity(2), activity(3))]))
        assert [c.fix["activity_id"] for c in found] == [str(uid(102)), str(uid(103))]
        assert {c.fix["duplicate_of"] for c in found} == {str(uid(101))}

    def test_titles_are_compared_without_case_or_punctuation(self) -> None:
        assert normalised("  Food-bank   REFERRAL!! ") == "food bank referral"


class TestNeedsWithoutGoals:
    def test_a_confirmed_need_no_goal_addresses(self) -> None:
        [found] = needs_without_goals([goal(1, activity(1))], [HOUSING])
        assert (found.code, found.need_ids) == ("need-without-goal", [HOUSING.id])
        assert found.fix == {"fix": "add-goal-for-need", "need_id": str(HOUSING.id)}
        assert (
            found.message == "The confirmed need “Housing: behind on rent” has no goal in the plan."
        )

    def test_a_need_a_live_goal_addresses_is_fine(self) -> None:
        assert list(needs_without_goals([goal(1, addresses=(HOUSING.id,))], [HOUSING])) == []

    def test_a_need_only_a_cancelled_goal_addressed_counts_as_unaddressed(self) -> None:
        ended = goal(1, addresses=(HOUSING.id,), status="cancelled")
        assert [c.need_ids for c in needs_without_goals([ended], [HOUSING])] == [[HOUSING.id]]


class TestGoalsWithoutActivities:
    def test_an_active_goal_with_no_activity(self) -> None:
        [found] = goals_without_activities([goal(1)])
        assert (found.code, found.goal_ids) == ("goal-without-activity", [uid(1)])
        assert found.fix == {"fix": "add-activity", "goal_id": str(uid(1))}

    def test_a_goal_whose_only_activity_ended_has_none_live(self) -> None:
        assert len(list(goals_without_activities([goal(1, activity(1, status="stopped"))]))) == 1

    def test_a_goal_with_a_live_activity_is_fine(self) -> None:
        assert list(goals_without_activities([goal(1, activity(1, status="on-hold"))])) == []

    def test_goals_on_hold_completed_or_cancelled_need_no_activity(self) -> None:
        ended = [goal(n, status=s) for n, s in enumerate(("on-hold", "completed", "cancelled"))]
        assert list(goals_without_activities(ended)) == []

    def test_a_proposed_goal_needs_one(self) -> None:
        assert len(list(goals_without_activities([goal(1, status="proposed")]))) == 1


class TestOwnersWhoLeft:
    def test_an_activity_of_someone_no_longer_on_the_team(self) -> None:
        gone = activity(1, responsible=member(on_team=False))
        [found] = owners_who_left([goal(1, gone)])
        assert (found.code, found.activity_ids) == ("responsible-left-team", [gone.id])
        assert found.fix == {"fix": "reassign-activity", "activity_id": str(gone.id)}
        assert "Dana Lee's, who is no longer on the care team" in found.message

    def test_a_member_still_on_the_team_or_another_party_is_fine(self) -> None:
        plan = [goal(1, activity(1), activity(2, "Go to the group", "other", responsible=PATIENT))]
        assert list(owners_who_left(plan)) == []

    def test_a_completed_activity_of_someone_who_left_is_history(self) -> None:
        done = activity(1, responsible=member(on_team=False), status="completed")
        assert list(owners_who_left([goal(1, done)])) == []


class TestOverdue:
    def test_due_yesterday_and_not_done(self) -> None:
        late = activity(1, due_on=date(2026, 12, 1))
        [found] = overdue_activities([goal(1, late)], TODAY)
        assert found.code == "activity-overdue"
        assert found.fix == {"fix": "complete-activity", "activity_id": str(late.id)}
        assert found.alternatives == [{"fix": "set-due-date", "activity_id": str(late.id)}]
        assert "was due on 1 Dec 2026" in found.message

    def test_due_today_is_not_overdue(self) -> None:
        assert list(overdue_activities([goal(1, activity(1, due_on=TODAY))], TODAY)) == []

    def test_no_due_date_is_never_overdue(self) -> None:
        assert list(overdue_activities([goal(1, activity(1))], TODAY)) == []

    def test_completed_cancelled_or_stopped_is_not_overdue(self) -> None:
        past = date(2026, 11, 1)
        ended = [
            activity(n, due_on=past, status=s)
            for n, s in enumerate(("completed", "cancelled", "stopped"))
        ]
        assert list(overdue_activities([goal(1, *ended)], TODAY)) == []


class TestContradictingTargets:
    def test_below_5_and_above_14_on_the_phq9_cannot_both_be_met(self) -> None:
        low = goal(1, target=("phq-9", "below", 5), description="Feel like myself")
        high = goal(2, target=("phq-9", "above", 14), description="Typed the wrong way")
        [found] = contradicting_targets([low, high])
        assert (found.code, found.goal_ids) == ("contradicting-targets", [uid(1), uid(2)])
        assert found.fix == {"fix": "change-goal-target", "goal_id": str(uid(2))}
        assert "(PHQ-9 below 5)" in found.message and "(PHQ-9 above 14)" in found.message

    def test_at_most_5_and_at_least_5_share_the_score_5(self) -> None:
        both = [goal(1, target=("phq-9", "at-most", 5)), goal(2, target=("phq-9", "at-least", 5))]
        assert list(contradicting_targets(both)) == []

    def test_below_5_and_at_least_5_do_not(self) -> None:
        both = [goal(1, target=("phq-9", "below", 5)), goal(2, target=("phq-9", "at-least", 5))]
        assert len(list(contradicting_targets(both))) == 1

    def test_two_targets_to_fall_are_compatible(self) -> None:
        both = [goal(1, target=("phq-9", "below", 5)), goal(2, target=("phq-9", "below", 10))]
        assert list(contradicting_targets(both)) == []

    def test_different_measures_never_contradict(self) -> None:
        both = [goal(1, target=("phq-9", "below", 5)), goal(2, target=("gad-7", "above", 14))]
        assert list(contradicting_targets(both)) == []

    def test_an_ended_goal_does_not_contradict(self) -> None:
        both = [
            goal(1, target=("phq-9", "below", 5)),
            goal(2, target=("phq-9", "above", 14), status="completed"),
        ]
        assert list(contradicting_targets(both)) == []


def test_a_tidy_plan_has_no_checks() -> None:
    tidy = [
        goal(1, activity(1), addresses=(HOUSING.id,), target=("phq-9", "below", 5)),
        goal(2, activity(2, "Housing application", "housing-application", goal=2)),
    ]
    assert plan_checks(tidy, [HOUSING], today=TODAY) == []


def test_the_checks_come_most_pressing_first() -> None:
    plan = [
        goal(
            1,
            activity(
                1, "Therapy", "therapy", responsible=member(on_team=False), due_on=date(2026, 11, 1)
            ),
        ),
        goal(2),
        goal(3, activity(2, goal=3), activity(3, goal=3)),
    ]
    codes = [c.code for c in plan_checks(plan, [HOUSING], today=TODAY)]
    assert codes == [
        "responsible-left-team",
        "activity-overdue",
        "need-without-goal",
        "goal-without-activity",
        "duplicate-activity",
    ]

"""A goal with a measurable target (PHQ-9 below 5) has its achievement worked out from the
scores (FHIR goal-achievement): the thresholds are the PHQ-9's data file's, a 5-point change
(Löwe et al., Med Care 2004), relapse back to 10 or 5 above the lowest, a score current for
35 days, the baseline up to 14 days before the target was set. Every history below is crafted
by hand, as (days before today, score)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.assessments.rules import Measurement
from tandem.careplans.rules.targets import (
    Judgement,
    MeasureRules,
    Target,
    Why,
    allowed_scores,
    check_target,
    judge_goal,
    meets,
    retarget,
)
from tandem.careplans.vocab import Achievement
from tandem.errors import ValidationProblem

TODAY = date(2026, 12, 2)
PHQ9 = MeasureRules(
    significant_change=5,
    current_for_days=35,
    relapse_at_least=10,
    relapse_rise=5,
    baseline_lookback_days=14,
)
A = Achievement


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def judge(
    *history: tuple[int, int],
    comparator: str = "below",
    score: int = 5,
    set_days_ago: int = 60,
    due_days_ago: int | None = None,
    rules: MeasureRules = PHQ9,
) -> Judgement:
    target = Target(
        measure="phq-9",
        comparator=comparator,
        score=score,
        set_on=ago(set_days_ago),
        due_on=ago(due_days_ago) if due_days_ago is not None else None,
    )
    scores = [Measurement(ago(days), total) for days, total in history]
    return judge_goal(target, scores, today=TODAY, rules=rules)


def outcome(*history: tuple[int, int], **kwargs: object) -> tuple[Achievement, Why]:
    found = judge(*history, **kwargs)  # type: ignore[arg-type]
    return found.achievement, found.why


class TestTooFewOrTooOldScores:
    def test_no_score_at_all_is_in_progress(self) -> None:
        assert outcome() == (A.in_progress, Why.no_score_since_set)

    def test_a_baseline_alone_is_in_progress(self) -> None:
        found = judge((60, 18))
        assert (found.achievement, found.why) == (A.in_progress, Why.no_score_since_set)
        assert found.baseline == Measurement(ago(60), 18)

    def test_a_score_on_the_day_the_target_was_set_is_its_baseline_not_a_follow_up(self) -> None:
        assert outcome((60, 3)) == (A.in_progress, Why.no_score_since_set)

    def test_one_score_after_without_a_baseline_shows_no_trend_yet(self) -> None:
        assert outcome((10, 12)) == (A.in_progress, Why.one_score_so_far)

    def test_a_score_35_days_old_is_still_current(self) -> None:
        assert outcome((60, 18), (35, 4)) == (A.achieved, Why.met)

    def test_a_score_36_days_old_is_out_of_date_even_when_it_met_the_target(self) -> None:
        found = judge((60, 18), (36, 4))
        assert (found.achievement, found.why) == (A.in_progress, Why.score_out_of_date)
        assert found.latest == Measurement(ago(36), 4)


class TestBaseline:
    def test_a_score_14_days_before_the_target_was_set_is_the_baseline(self) -> None:
        found = judge((74, 18), (0, 13))
        assert found.baseline == Measurement(ago(74), 18)
        assert found.achievement == A.improving

    def test_a_score_15_days_before_is_too_old_and_the_first_score_after_stands_in(self) -> None:
        found = judge((75, 18), (30, 13), (0, 12))
        assert found.baseline == Measurement(ago(30), 13)
        assert found.achievement == A.no_change

    def test_the_last_score_before_the_target_was_set_is_the_baseline(self) -> None:
        found = judge((70, 20), (62, 15), (0, 10))
        assert found.baseline == Measurement(ago(62), 15)
        assert found.achievement == A.improving

    def test_scores_given_out_of_order_are_put_in_date_order(self) -> None:
        assert outcome((0, 4), (60, 18), (30, 9)) == (A.achieved, Why.met)


class TestAchievedAndSustaining:
    def test_four_is_below_five_achieved(self) -> None:
        assert outcome((60, 18), (0, 4)) == (A.achieved, Why.met)

    def test_five_is_not_below_five(self) -> None:
        assert outcome((60, 18), (0, 5))[0] != A.achieved

    def test_five_is_at_most_five(self) -> None:
        assert outcome((60, 18), (0, 5), comparator="at-most") == (A.achieved, Why.met)

    def test_met_twice_in_a_row_is_sustaining(self) -> None:
        assert outcome((60, 18), (28, 4), (0, 3)) == (A.sustaining, Why.met_again)

    def test_met_after_a_score_that_did_not_is_achieved_not_sustaining(self) -> None:
        assert outcome((60, 18), (56, 4), (28, 6), (0, 3)) == (A.achieved, Why.met)

    def test_a_baseline_that_already_met_it_counts_towards_sustaining(self) -> None:
        # "Stay below 10" set when the PHQ-9 was 6: relapse prevention.
        assert outcome((60, 6), (0, 7), score=10) == (A.sustaining, Why.met_again)

    def test_met_after_the_target_date_is_still_achieved(self) -> None:
        assert outcome((60, 18), (0, 4), due_days_ago=10) == (A.achieved, Why.met)


class TestNotAchieved:
    def test_the_target_date_passed_yesterday_unmet(self) -> None:
        assert outcome((60, 18), (0, 8), due_days_ago=1) == (A.not_achieved, Why.target_date_passed)

    def test_on_the_target_date_itself_the_goal_is_still_being_sought(self) -> None:
        assert outcome((60, 18), (0, 8), due_days_ago=0) == (A.improving, Why.better)

    def test_no_score_since_the_target_was_set_and_its_date_passed(self) -> None:
        assert outcome((60, 18), due_days_ago=1) == (A.not_achieved, Why.target_date_passed)

    def test_scores_out_of_date_and_never_met_by_the_target_date(self) -> None:
        assert outcome((60, 18), (40, 9), due_days_ago=20) == (
            A.not_achieved,
            Why.target_date_passed,
        )

    def test_scores_out_of_date_but_met_before_the_target_date_is_in_progress(self) -> None:
        assert outcome((60, 18), (40, 4), due_days_ago=20) == (A.in_progress, Why.score_out_of_date)

    def test_a_score_meeting_it_only_after_the_target_date_does_not_count_as_in_time(self) -> None:
        assert outcome((60, 18), (40, 4), due_days_ago=45) == (
            A.not_achieved,
            Why.target_date_passed,
        )


class TestImprovingWorseningNoChange:
    def test_five_points_down_from_the_baseline_is_improving(self) -> None:
        assert outcome((60, 15), (0, 10)) == (A.improving, Why.better)

    def test_four_points_down_is_no_change(self) -> None:
        assert outcome((60, 15), (0, 11)) == (A.no_change, Why.about_the_same)

    def test_five_points_up_is_worsening(self) -> None:
        assert outcome((60, 15), (0, 20)) == (A.worsening, Why.worse)

    def test_four_points_up_is_no_change(self) -> None:
        assert outcome((60, 15), (0, 19)) == (A.no_change, Why.about_the_same)

    def test_the_change_is_against_the_baseline_not_the_previous_score(self) -> None:
        assert outcome((60, 15), (28, 8), (0, 11)) == (A.no_change, Why.about_the_same)

    def test_a_target_to_rise_to_counts_a_rise_as_improving(self) -> None:
        assert outcome((60, 2), (0, 7), comparator="at-least", score=10) == (
            A.improving,
            Why.better,
        )
        assert outcome((60, 12), (0, 7), comparator="above", score=14) == (A.worsening, Why.worse)

    def test_the_gad7_counts_4_points_as_a_change(self) -> None:
        gad7 = MeasureRules(4, 35, 10, 4, 14)
        assert outcome((60, 15), (0, 11), rules=gad7) == (A.improving, Why.better)
        assert outcome((60, 15), (0, 12), rules=gad7) == (A.no_change, Why.about_the_same)


class TestPossibleRelapse:
    def test_back_to_10_after_meeting_the_target(self) -> None:
        assert outcome((60, 18), (28, 4), (0, 10)) == (A.worsening, Why.possible_relapse)

    def test_5_above_the_lowest_since_is_a_relapse_though_still_below_10(self) -> None:
        assert outcome((60, 18), (28, 4), (0, 9)) == (A.worsening, Why.possible_relapse)

    def test_4_above_the_lowest_and_below_10_is_not_a_relapse(self) -> None:
        # 8 against the baseline of 18 is ten points better.
        assert outcome((60, 18), (28, 4), (0, 8)) == (A.improving, Why.better)

    def test_a_score_of_10_that_never_met_the_target_is_no_relapse(self) -> None:
        # Eight points better than the baseline of 18.
        assert outcome((60, 18), (28, 12), (0, 10)) == (A.improving, Why.better)

    def test_a_baseline_that_met_the_target_counts_as_met_before(self) -> None:
        assert outcome((60, 6), (0, 12), score=10) == (A.worsening, Why.possible_relapse)

    def test_a_target_to_rise_to_has_no_relapse_rule(self) -> None:
        assert outcome((60, 2), (28, 12), (0, 8), comparator="at-least", score=10) == (
            A.improving,
            Why.better,
        )


class TestTheTargetItself:
    def test_no_target_at_all_is_fine(self) -> None:
        check_target(None, None, None)

    @pytest.mark.parametrize(
        ("measure", "comparator", "score", "field"),
        [
            (None, "below", 5, "target_measure"),
            ("phq-9", None, 5, "target_comparator"),
            ("phq-9", "below", None, "target_score"),
        ],
    )
    def test_a_part_missing_is_named(
        self, measure: str | None, comparator: str | None, score: int | None, field: str
    ) -> None:
        with pytest.raises(ValidationProblem) as refused:
            check_target(measure, comparator, score)
        assert refused.value.field == field

    @pytest.mark.parametrize(
        ("measure", "score"), [("phq-9", 28), ("phq-9", -1), ("gad-7", 22), ("gad-7", -1)]
    )
    def test_a_score_outside_the_instruments_range_is_refused(
        self, measure: str, score: int
    ) -> None:
        with pytest.raises(ValidationProblem) as refused:
            check_target(measure, "at-most", score)
        assert refused.value.field == "target_score"

    @pytest.mark.parametrize(
        ("measure", "comparator", "score"),
        [("phq-9", "below", 27), ("gad-7", "below", 21), ("phq-9", "above", 0)],
    )
    def test_the_ends_of_the_range_are_scores(
        self, measure: str, comparator: str, score: int
    ) -> None:
        check_target(measure, comparator, score)

    @pytest.mark.parametrize(
        ("comparator", "score", "problem"),
        [
            ("below", 0, "No PHQ-9 score is below 0."),
            ("above", 27, "No PHQ-9 score is above 27."),
            ("at-most", 27, "Every PHQ-9 score is at most 27"),
            ("at-least", 0, "Every PHQ-9 score is at least 0"),
        ],
    )
    def test_a_target_no_score_or_every_score_meets_is_refused(
        self, comparator: str, score: int, problem: str
    ) -> None:
        with pytest.raises(ValidationProblem, match=problem) as refused:
            check_target("phq-9", comparator, score)
        assert refused.value.field == "target_score"

    @pytest.mark.parametrize(
        ("comparator", "score"), [("below", 1), ("above", 26), ("at-most", 26), ("at-least", 1)]
    )
    def test_a_target_one_score_from_either_end_is_allowed(
        self, comparator: str, score: int
    ) -> None:
        check_target("phq-9", comparator, score)

    def test_the_scores_that_meet_each_kind_of_target(self) -> None:
        assert list(allowed_scores("phq-9", "below", 3)) == [0, 1, 2]
        assert list(allowed_scores("phq-9", "at-most", 3)) == [0, 1, 2, 3]
        assert list(allowed_scores("gad-7", "at-least", 19)) == [19, 20, 21]
        assert list(allowed_scores("gad-7", "above", 19)) == [20, 21]
        assert list(allowed_scores("phq-9", "above", 27)) == []

    @pytest.mark.parametrize(
        ("comparator", "score", "met"),
        [
            ("below", 4, True),
            ("below", 5, False),
            ("at-most", 5, True),
            ("at-most", 6, False),
            ("at-least", 5, True),
            ("at-least", 4, False),
            ("above", 6, True),
            ("above", 5, False),
        ],
    )
    def test_meeting_a_target_of_5(self, comparator: str, score: int, met: bool) -> None:
        assert meets(comparator, score, 5) is met


histories = st.lists(
    st.tuples(st.integers(min_value=0, max_value=120), st.integers(min_value=0, max_value=27)),
    max_size=8,
)
comparators = st.sampled_from(["below", "at-most", "at-least", "above"])


@given(history=histories, comparator=comparators, score=st.integers(1, 26))
def test_a_current_score_since_the_target_that_meets_it_is_always_achieved_or_sustained(
    history: list[tuple[int, int]], comparator: str, score: int
) -> None:
    found = judge(*history, comparator=comparator, score=score)
    latest = found.latest
    if (
        latest is not None
        and (TODAY - latest.on).days <= 35
        and meets(comparator, latest.score, score)
    ):
        assert found.achievement in (A.achieved, A.sustaining)
    else:
        assert found.achievement not in (A.achieved, A.sustaining)


@given(history=histories, comparator=comparators, score=st.integers(1, 26))
def test_without_a_target_date_a_goal_is_never_not_achieved(
    history: list[tuple[int, int]], comparator: str, score: int
) -> None:
    assert judge(*history, comparator=comparator, score=score).achievement != A.not_achieved


@given(history=histories)
def test_the_latest_score_is_the_last_one_after_the_target_was_set(
    history: list[tuple[int, int]],
) -> None:
    after = sorted((d, s) for d, s in history if d < 60)
    found = judge(*history)
    if not after:
        assert found.latest is None
    else:
        assert found.latest is not None and found.latest.on == ago(after[0][0])


class TestAChangeOfTarget:
    NONE = dict.fromkeys(("target_measure", "target_comparator", "target_score"))
    BELOW_5 = {"target_measure": "phq-9", "target_comparator": "below", "target_score": 5}

    def test_the_parts_a_change_gives_go_over_the_goals_own_and_the_target_is_set_today(
        self,
    ) -> None:
        assert retarget(self.BELOW_5, {"target_score": 10}, today=TODAY) == {
            **self.BELOW_5,
            "target_score": 10,
            "target_set_on": TODAY,
        }

    def test_the_same_target_again_changes_nothing(self) -> None:
        assert retarget(self.BELOW_5, {"target_score": 5, "description": "x"}, today=TODAY) == {}

    def test_removing_the_measure_removes_the_target_and_the_achievement_starts_again(
        self,
    ) -> None:
        assert retarget(self.BELOW_5, {"target_measure": None}, today=TODAY) == {
            **self.NONE,
            "target_set_on": None,
            "achievement": A.in_progress,
        }

    def test_removing_it_with_an_achievement_keeps_that_achievement(self) -> None:
        found = retarget(
            self.BELOW_5, {"target_measure": None, "achievement": "improving"}, today=TODAY
        )
        assert found["achievement"] == "improving"

    def test_a_first_target_on_a_goal_without_one(self) -> None:
        assert retarget(self.NONE, self.BELOW_5, today=TODAY)["target_set_on"] == TODAY

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"target_comparator": None}, "target_comparator"),
            ({"target_measure": None, "target_score": 5}, "target_measure"),
            ({"achievement": "achieved"}, "achievement"),
            ({"target_measure": "gad-7", "target_score": 22}, "target_score"),
        ],
    )
    def test_the_target_a_change_leaves_is_checked_whole(
        self, changes: dict[str, object], field: str
    ) -> None:
        with pytest.raises(ValidationProblem) as refused:
            retarget(self.BELOW_5, changes, today=TODAY)
        assert refused.value.field == field

    def test_a_new_target_with_an_achievement_set_by_hand_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as refused:
            check_target("phq-9", "below", 5, achievement_given=True)
        assert refused.value.field == "achievement"

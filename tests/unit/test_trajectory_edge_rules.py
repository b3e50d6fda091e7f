"""assessments.rules.summarise at its edges: a baseline of 1, rounding of the percent change,
whole weeks since the baseline, and the baseline when no look-back is given (NCQA HEDIS DRR;
docs/clinical-rules.md)."""

from __future__ import annotations

from datetime import date

import pytest

from tandem.assessments.rules import Measurement, TrajectorySummary, summarise

TODAY = date(2026, 11, 30)


def course(*points: tuple[date, int], enrolled_on: date | None = None) -> TrajectorySummary:
    """PHQ-9 judgements (remission below 5, response a 50 % drop, not improving at 10 weeks),
    with the default baseline look-back."""
    return summarise(
        [Measurement(on, s) for on, s in points],
        today=TODAY,
        enrolled_on=enrolled_on,
        remission_below=5,
        response_drop=0.5,
        not_improving_weeks=10,
    )


class TestPercentChange:
    def test_from_one_to_zero_is_minus_one_hundred_percent(self) -> None:
        summary = course((date(2026, 10, 1), 1), (date(2026, 11, 1), 0))
        assert summary.change == -1
        assert summary.percent_change == -100.0

    def test_from_one_to_two_is_plus_one_hundred_percent(self) -> None:
        summary = course((date(2026, 10, 1), 1), (date(2026, 11, 1), 2))
        assert summary.percent_change == 100.0

    def test_from_zero_there_is_no_percent_change(self) -> None:
        summary = course((date(2026, 10, 1), 0), (date(2026, 11, 1), 3))
        assert summary.change == 3
        assert summary.percent_change is None

    @pytest.mark.parametrize(
        ("baseline", "latest", "percent"),
        [(3, 2, -33.3), (3, 1, -66.7), (6, 5, -16.7), (7, 8, 14.3)],
    )
    def test_is_rounded_to_one_decimal(self, baseline: int, latest: int, percent: float) -> None:
        summary = course((date(2026, 10, 1), baseline), (date(2026, 11, 1), latest))
        assert summary.percent_change == percent
        assert isinstance(summary.percent_change, float)


class TestWeeksSinceBaseline:
    @pytest.mark.parametrize(
        ("baseline_on", "weeks"),
        [
            (date(2026, 11, 30), 0),
            (date(2026, 11, 24), 0),
            (date(2026, 11, 23), 1),
            (date(2026, 11, 20), 1),
            (date(2026, 11, 17), 1),
            (date(2026, 11, 16), 2),
        ],
    )
    def test_counts_whole_weeks(self, baseline_on: date, weeks: int) -> None:
        summary = course((baseline_on, 12), (TODAY, 12))
        assert summary.weeks_since_baseline == weeks
        assert isinstance(summary.weeks_since_baseline, int)

    def test_sixty_nine_days_without_improvement_is_not_yet_ten_weeks(self) -> None:
        summary = course((date(2026, 9, 22), 12), (TODAY, 12))
        assert summary.weeks_since_baseline == 9
        assert not summary.not_improving

    def test_seventy_days_without_improvement_is_not_improving(self) -> None:
        summary = course((date(2026, 9, 21), 12), (TODAY, 12))
        assert summary.weeks_since_baseline == 10
        assert summary.not_improving


class TestBaselineWithoutLookBack:
    def test_a_screen_the_day_before_enrolment_is_not_the_baseline(self) -> None:
        summary = course(
            (date(2026, 9, 30), 20),
            (date(2026, 10, 1), 16),
            (date(2026, 11, 1), 8),
            enrolled_on=date(2026, 10, 1),
        )
        assert summary.baseline == Measurement(date(2026, 10, 1), 16)
        assert summary.change == -8
        assert summary.percent_change == -50.0
        assert summary.response

    def test_a_screen_on_the_day_of_enrolment_is_the_baseline(self) -> None:
        summary = course(
            (date(2026, 10, 1), 16), (date(2026, 11, 1), 9), enrolled_on=date(2026, 10, 1)
        )
        assert summary.baseline == Measurement(date(2026, 10, 1), 16)
        assert summary.count == 2

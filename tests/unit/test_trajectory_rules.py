"""Measurement-based care judgements (NCQA HEDIS DRR): baseline, response (≥ 50 % drop),
remission (PHQ-9 < 5) and not improving (≥ 10 weeks from baseline without either)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.assessments.rules import Measurement, TrajectorySummary, summarise

TODAY = date(2026, 11, 30)


def judge(
    *points: tuple[int, int],
    enrolled_days_ago: int | None = None,
    weeks: int = 10,
    lookback: int = 14,
) -> TrajectorySummary:
    """Points as (days ago, score)."""
    return summarise(
        [Measurement(TODAY - timedelta(days=d), s) for d, s in points],
        today=TODAY,
        enrolled_on=TODAY - timedelta(days=enrolled_days_ago) if enrolled_days_ago else None,
        remission_below=5,
        response_drop=0.5,
        not_improving_weeks=weeks,
        baseline_lookback_days=lookback,
    )


class TestResponse:
    def test_exactly_half_the_baseline_is_a_response(self) -> None:
        assert judge((56, 20), (0, 10)).response

    def test_one_point_short_of_half_is_not_a_response(self) -> None:
        assert not judge((56, 20), (0, 11)).response

    def test_an_odd_baseline_needs_the_score_at_or_below_half(self) -> None:
        assert judge((56, 15), (0, 7)).response
        assert not judge((56, 15), (0, 8)).response

    def test_a_baseline_of_zero_cannot_respond(self) -> None:
        assert not judge((56, 0), (0, 0)).response

    def test_a_single_measurement_is_neither_response_nor_remission(self) -> None:
        summary = judge((0, 3))
        assert (summary.response, summary.remission, summary.change) == (False, False, None)


class TestRemission:
    def test_four_is_remission(self) -> None:
        assert judge((56, 12), (0, 4)).remission

    def test_five_is_not_remission(self) -> None:
        assert not judge((56, 12), (0, 5)).remission


class TestNotImproving:
    def test_at_ten_weeks_without_response_or_remission(self) -> None:
        assert judge((70, 16), (0, 12)).not_improving

    def test_one_day_short_of_ten_weeks_is_too_early(self) -> None:
        assert not judge((69, 16), (0, 12)).not_improving

    def test_a_response_at_ten_weeks_is_improving(self) -> None:
        assert not judge((70, 16), (0, 8)).not_improving

    def test_remission_at_ten_weeks_is_improving(self) -> None:
        assert not judge((70, 6), (0, 4)).not_improving

    def test_the_threshold_is_configuration(self) -> None:
        assert judge((56, 16), (0, 12), weeks=8).not_improving
        assert not judge((56, 16), (0, 12), weeks=9).not_improving


class TestBaseline:
    def test_the_baseline_is_the_first_measurement_of_the_current_enrolment(self) -> None:
        summary = judge((300, 22), (100, 18), (0, 9), enrolled_days_ago=120)
        assert summary.baseline == Measurement(TODAY - timedelta(days=100), 18)
        assert summary.weeks_in_treatment == 120 // 7

    def test_a_screen_up_to_14_days_before_enrolment_is_the_baseline(self) -> None:
        summary = judge((134, 20), (0, 9), enrolled_days_ago=120)
        assert summary.baseline is not None and summary.baseline.score == 20

    def test_a_screen_15_days_before_enrolment_is_not(self) -> None:
        summary = judge((135, 20), (60, 15), (0, 9), enrolled_days_ago=120)
        assert summary.baseline is not None and summary.baseline.score == 15

    def test_without_an_enrolment_the_first_measurement_is_the_baseline(self) -> None:
        summary = judge((300, 22), (0, 9))
        assert summary.baseline is not None and summary.baseline.score == 22
        assert summary.weeks_in_treatment is None

    def test_days_since_last_and_the_change(self) -> None:
        summary = judge((56, 20), (3, 12))
        assert (summary.days_since_last, summary.change, summary.percent_change) == (3, -8, -40.0)


@given(
    baseline=st.integers(1, 27),
    latest=st.integers(0, 27),
    days=st.integers(1, 400),
)
def test_response_and_remission_follow_their_definitions(
    baseline: int, latest: int, days: int
) -> None:
    summary = judge((days, baseline), (0, latest))
    assert summary.response == (latest * 2 <= baseline)
    assert summary.remission == (latest < 5)
    assert summary.not_improving == (
        days // 7 >= 10 and not summary.response and not summary.remission
    )


@pytest.mark.parametrize("count", [0, 1])
def test_no_follow_up_has_no_change(count: int) -> None:
    summary = judge(*[(10, 12)] * count)
    assert summary.change is None and summary.percent_change is None


def stored(points: list[date], enrolled_on: date | None, lookback: int = 14) -> TrajectorySummary:
    """The summary of measurements (all scored 12) on whatever dates were stored."""
    return summarise(
        [Measurement(day, 12) for day in points],
        today=TODAY,
        enrolled_on=enrolled_on,
        remission_below=5,
        response_drop=0.5,
        not_improving_weeks=10,
        baseline_lookback_days=lookback,
    )


class TestStoredOddDates:
    """Records an older version or an import left behind are judged, never a crash."""

    def test_an_enrolment_in_year_1_counts_every_measurement_in_the_episode(self) -> None:
        summary = stored([date(2026, 1, 5), date(2026, 11, 2)], date(1, 1, 1))
        assert summary.baseline == Measurement(date(2026, 1, 5), 12)
        assert summary.weeks_in_treatment == (TODAY - date(1, 1, 1)).days // 7

    def test_measurements_at_the_ends_of_the_calendar_are_judged(self) -> None:
        summary = stored([date.min, date.max], date.max)
        assert summary.baseline == summary.latest == Measurement(date.max, 12)
        assert summary.days_since_last is not None and summary.days_since_last < 0


@given(
    points=st.lists(st.dates(), max_size=5),
    enrolled_on=st.none() | st.dates(),
    lookback=st.integers(min_value=0, max_value=90),
)
def test_any_stored_dates_are_summarised_without_error(
    points: list[date], enrolled_on: date | None, lookback: int
) -> None:
    assert stored(points, enrolled_on, lookback).count == len(points)

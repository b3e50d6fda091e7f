"""tandem.dates: the bounds on clinical dates, at every boundary, and overflow-free arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tandem.dates import shifted

TODAY = date(2026, 3, 10)


class TestShifted:
    def test_within_the_calendar_it_is_plain_arithmetic(self) -> None:
        assert shifted(TODAY, -14) == TODAY - timedelta(days=14)
        assert shifted(TODAY, 30) == TODAY + timedelta(days=30)

    def test_before_year_1_it_stops_at_the_first_day(self) -> None:
        assert shifted(date(1, 1, 3), -14) == date.min

    def test_after_year_9999_it_stops_at_the_last_day(self) -> None:
        assert shifted(date(9999, 12, 30), 14) == date.max

    @given(day=st.dates(), days=st.integers(min_value=-(10**7), max_value=10**7))
    def test_it_never_overflows(self, day: date, days: int) -> None:
        assert date.min <= shifted(day, days) <= date.max

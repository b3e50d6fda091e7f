"""The trajectory chart draws whatever dates are stored, the ends of the calendar included."""

from __future__ import annotations

from datetime import date

import pytest

from tandem.assessments.chart import ChartData, Point, render_chart

TODAY = date(2026, 3, 10)
BANDS = [{"code": "minimal", "label": "Minimal", "min": 0, "max": 4, "level": 0}]


@pytest.mark.parametrize(
    ("points", "enrolled_on"),
    [
        ([date(2026, 1, 5)], date(1, 1, 1)),
        ([date(1, 1, 1), date(2026, 1, 5)], None),
        ([date(2026, 1, 5)], date(9999, 12, 31)),
        ([date(9999, 12, 31)], None),
        ([date(1, 1, 1), date(9999, 12, 31)], date(1, 1, 1)),
        ([], date(1, 1, 1)),
    ],
    ids=[
        "enrolled-in-year-1",
        "answered-in-year-1",
        "enrolled-in-9999",
        "answered-in-9999",
        "both-ends",
        "no-points-enrolled-in-year-1",
    ],
)
def test_a_chart_with_extreme_stored_dates_is_drawn(
    points: list[date], enrolled_on: date | None
) -> None:
    data = ChartData(
        points=[Point(day, 7) for day in points],
        bands=BANDS,
        score_max=27,
        remission_below=5,
        today=TODAY,
        enrolled_on=enrolled_on,
    )
    svg = render_chart(data, caption_id="phq-9-chart-caption")
    assert svg.startswith("<svg") and 'aria-labelledby="phq-9-chart-caption"' in svg

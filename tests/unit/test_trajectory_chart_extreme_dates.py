"""The trajectory chart draws whatever dates are stored, the ends of the calendar included: no
OverflowError, and every point and the enrolment line where their dates are, inside the plot."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.drawn_chart import MONTHS, NS, axis, by_id, has_id, parse, plot_edges, x_of

from tandem.assessments.chart import ChartData, Point, render_chart

TODAY = date(2026, 3, 10)
BANDS = [{"code": "minimal", "label": "Minimal", "min": 0, "max": 4, "level": 0}]


def drawn(days: list[date], enrolled_on: date | None, today: date = TODAY) -> str:
    data = ChartData(
        points=[Point(day, 7) for day in days],
        bands=BANDS,
        score_max=27,
        remission_below=5,
        today=today,
        enrolled_on=enrolled_on,
    )
    return render_chart(data, caption_id="phq-9-chart-caption")


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
    svg = drawn(points, enrolled_on)
    assert svg.startswith("<svg") and 'aria-labelledby="phq-9-chart-caption"' in svg
    root = parse(svg)
    x = x_of(root)
    left, right = plot_edges(root)
    markers = list(root.iter(f"{NS}circle"))
    assert [m.findtext(f"{NS}title") for m in markers] == [
        f"{day.day} {MONTHS[day.month - 1]} {day.year:04d}: score 7" for day in sorted(points)
    ]
    for marker, day in zip(markers, sorted(points), strict=True):
        cx = float(marker.get("cx", "nan"))
        assert cx == pytest.approx(x(day), abs=0.05)
        assert left <= cx <= right
    if enrolled_on is not None:
        line_x = float(by_id(root, "enrolment").get("x1", "nan"))
        assert line_x == pytest.approx(x(enrolled_on), abs=0.05)
        assert left <= line_x <= right
    assert has_id(root, "empty") == (not points)


@given(
    days=st.lists(st.dates(), max_size=12),
    enrolled_on=st.none() | st.dates(),
    today=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
)
def test_any_stored_dates_draw_one_to_eight_date_marks_in_order_inside_the_plot(
    days: list[date], enrolled_on: date | None, today: date
) -> None:
    root = parse(drawn(days, enrolled_on, today))
    left, right = plot_edges(root)
    marks = [float(t.get("x", "nan")) for t in axis(root, "date-axis")]
    assert 1 <= len(marks) <= 8
    assert marks == sorted(set(marks))
    assert all(left <= x <= right for x in marks)
    assert len(list(root.iter(f"{NS}circle"))) == len(days)

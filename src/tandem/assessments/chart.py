"""The trajectory chart: a patient's scores on one instrument over time, drawn on the server as
an accessible SVG (shaded severity bands, the remission line, the enrolment date).

Written straight from the points as SVG text: a plotting library cost 25-38 ms a chart, most of
the Measurements page. The page's Content-Security-Policy allows no inline style, in an inline
SVG either (CONTRIBUTING 23a), so everything is drawn with presentation attributes, and text
takes the page's font. Nothing is shared between calls, so charts are drawn in worker threads.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from operator import attrgetter
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from tandem.assessments.schemas import TrajectoryRead
from tandem.dates import shifted

# Band fills by level, 0 (nothing of concern) to 4 (most severe): light, so that the line and
# its markers keep their contrast; the band's name is always written beside it as well.
BAND_FILLS = ("#dcefe3", "#eef3d2", "#fdf0c8", "#fbdcc4", "#f8cfcb")
LINE = "#0f4c5c"
INK = "#17252e"
MUTED = "#4b5b66"
EMPTY_MESSAGE = "No measurements yet"

# The drawing in viewBox units (CSS gives it the page's width), and its plot area: room on the
# left for the score axis, on the right for the band names, below for the dates.
WIDTH, HEIGHT = 520, 245
LEFT, RIGHT, TOP, BOTTOM = 40.0, 415.0, 12.0, 215.0
TICK = 3.5
# Between three and eight dates along the bottom stay readable at the chart's smallest width.
MOST_DATE_TICKS = 8
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
LAST_YEAR = date.max.year

_NOT_IN_AN_ID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Point:
    on: date
    score: int


@dataclass(frozen=True)
class ChartData:
    """What one chart shows: the scores, the instrument's bands and remission threshold."""

    points: Sequence[Point]
    bands: Sequence[Mapping[str, Any]]
    score_max: int
    remission_below: int
    today: date
    enrolled_on: date | None = None
    title: str = "Score"

    @classmethod
    def of(cls, trajectory: TrajectoryRead, *, today: date) -> ChartData:
        return cls(
            points=[Point(p.on, p.score) for p in trajectory.points],
            bands=trajectory.bands,
            score_max=trajectory.score_max,
            remission_below=trajectory.remission_below,
            today=today,
            enrolled_on=trajectory.enrolled_on,
            title=trajectory.title,
        )


@dataclass(frozen=True)
class _Scale:
    """Dates and scores to viewBox units."""

    first_day: int
    days: int
    score_max: int

    def x(self, day: date) -> float:
        return LEFT + (day.toordinal() - self.first_day) * (RIGHT - LEFT) / self.days

    def y(self, score: float) -> float:
        # Scores are whole numbers and the axis runs from -0.5 to score_max + 0.5: a band covers
        # min - 0.5 to max + 0.5, so that every score sits inside its band, never on a border.
        return BOTTOM - (score + 0.5) * (BOTTOM - TOP) / (self.score_max + 1)


def render_chart(data: ChartData, *, caption_id: str) -> str:
    """An inline SVG (no XML prolog) labelled by the element ``caption_id``."""
    start, end = _date_range(data.points, data.enrolled_on, data.today)
    scale = _Scale(start.toordinal(), max(1, (end - start).days), data.score_max)
    labelled_by = _NOT_IN_AN_ID.sub("", caption_id)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'class="trajectory-svg" role="img" aria-labelledby="{labelled_by}" '
            'focusable="false">',
            *_bands(data.bands, scale),
            *_score_axis(data.title, scale),
            *_date_axis(start, end, scale),
            *_remission(data.remission_below, scale),
            *_enrolment(data.enrolled_on, scale),
            *(_scores(data.points, scale) if data.points else _empty()),
            "</svg>",
        ]
    )


def _date_range(
    points: Sequence[Point], enrolled_on: date | None, today: date
) -> tuple[date, date]:
    days = [p.on for p in points] + ([enrolled_on] if enrolled_on else [])
    first = min(days, default=shifted(today, -84))
    last = max([*days, today])
    # A little room either side, and at least four weeks shown, so that one point is not
    # squeezed against an edge. Held inside the calendar: a stored year 1 or 9999 is drawn
    # where it is, never an OverflowError.
    span = max((last - first).days, 28)
    pad = max(3, span // 25)
    return shifted(first, -pad), shifted(max(last, shifted(first, span)), pad)


def _bands(bands: Sequence[Mapping[str, Any]], scale: _Scale) -> Iterator[str]:
    labels = []
    for band in sorted(bands, key=lambda b: int(b["min"])):
        high, low = scale.y(int(band["max"]) + 0.5), scale.y(int(band["min"]) - 0.5)
        fill = BAND_FILLS[max(0, min(4, int(band.get("level", 0))))]
        band_id = quoteattr(f"band-{band['code']}")
        yield (
            f'<rect data-part={band_id} x="{_n(LEFT)}" y="{_n(high)}" width="{_n(RIGHT - LEFT)}" '
            f'height="{_n(low - high)}" fill="{fill}"/>'
        )
        labels.append(
            f'<text x="{_n(RIGHT + 4)}" y="{_n((low + high) / 2)}" dominant-baseline="central">'
            f"{escape(str(band['label']))}</text>"
        )
    if labels:
        yield f'<g font-size="9" fill="{INK}">'
        yield from labels
        yield "</g>"


def _score_axis(title: str, scale: _Scale) -> Iterator[str]:
    ticks = [(score, scale.y(score)) for score in range(0, scale.score_max + 1, 5)]
    marks = "".join(f"M{_n(LEFT - TICK)} {_n(y)}H{_n(LEFT)}" for _, y in ticks)
    yield f'<g class="score-axis" font-size="8.5" fill="{INK}" text-anchor="end">'
    yield f'<path d="{marks}" stroke="{MUTED}" stroke-width="0.8"/>'
    x = _n(LEFT - TICK - 3.5)
    for score, y in ticks:
        yield f'<text x="{x}" y="{_n(y)}" dominant-baseline="central">{score}</text>'
    yield "</g>"
    middle = _n((TOP + BOTTOM) / 2)
    yield (
        f'<text transform="translate(12 {middle}) rotate(-90)" text-anchor="middle" '
        f'dominant-baseline="central" font-size="9" fill="{INK}">{escape(f"{title} score")}</text>'
    )
    # The left and bottom axis lines, drawn over the bands' edges.
    yield (
        f'<path d="M{_n(LEFT)} {_n(TOP)}V{_n(BOTTOM)}H{_n(RIGHT)}" fill="none" '
        f'stroke="{MUTED}" stroke-width="0.8"/>'
    )


def _date_axis(start: date, end: date, scale: _Scale) -> Iterator[str]:
    ticks = [(scale.x(day), label) for day, label in _date_ticks(start, end)]
    marks = "".join(f"M{_n(x)} {_n(BOTTOM)}v{TICK}" for x, _ in ticks)
    yield f'<g class="date-axis" font-size="8.5" fill="{INK}" text-anchor="middle">'
    if marks:
        yield f'<path d="{marks}" stroke="{MUTED}" stroke-width="0.8"/>'
    y = _n(BOTTOM + TICK + 3.5)
    for x, label in ticks:
        yield f'<text x="{_n(x)}" y="{y}" dominant-baseline="hanging">{label}</text>'
    yield "</g>"


def _date_ticks(start: date, end: date) -> list[tuple[date, str]]:
    """The dates marked along the bottom, with their labels: the finest steps (days, weeks,
    months, years) that mark at most eight dates; the year is written on the first mark and
    where it changes."""
    candidates: list[tuple[Iterator[date], bool]] = [
        (_days_of_month(start, end, range(1, 32)), True),
        (_days_of_month(start, end, (1, 8, 15, 22)), True),
        (_days_of_month(start, end, (1, 15)), True),
        *((_months(start, end, step), False) for step in (1, 2, 3, 4, 6)),
    ]
    for days, with_day in candidates:
        marked = list(islice(days, MOST_DATE_TICKS + 1))
        if len(marked) <= MOST_DATE_TICKS:
            return _labelled(marked, with_day=with_day)
    for step in YEAR_STEPS:
        years = list(islice(_years(start, end, step), MOST_DATE_TICKS + 1))
        if len(years) <= MOST_DATE_TICKS:
            return [(day, str(day.year)) for day in years]
    return []  # not reached: steps of 5000 years mark at most two dates of the calendar


def _labelled(days: list[date], *, with_day: bool) -> list[tuple[date, str]]:
    out = []
    for n, day in enumerate(days):
        label = f"{day.day} {MONTHS[day.month - 1]}" if with_day else MONTHS[day.month - 1]
        if n == 0 or day.year != days[n - 1].year:
            label += f" {day.year:04d}"
        out.append((day, label))
    return out


def _days_of_month(start: date, end: date, days: Sequence[int]) -> Iterator[date]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        for day in days:
            if day <= monthrange(year, month)[1] and start <= (marked := date(year, month, day)):
                if marked > end:
                    return
                yield marked
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _months(start: date, end: date, step: int) -> Iterator[date]:
    # Steps start from January, so that a quarter's marks fall on January, April, July, October.
    index = start.year * 12 + start.month - 1 + (start.day > 1)
    index += -index % step
    while index // 12 <= LAST_YEAR and (marked := date(index // 12, index % 12 + 1, 1)) <= end:
        yield marked
        index += step


def _years(start: date, end: date, step: int) -> Iterator[date]:
    year = start.year + (start > date(start.year, 1, 1))
    year += -year % step
    while year <= min(end.year, LAST_YEAR):
        yield date(year, 1, 1)
        year += step


def _remission(remission_below: int, scale: _Scale) -> Iterator[str]:
    at = remission_below - 0.5
    y = _n(scale.y(at))
    yield (
        f'<line data-part="remission-line" x1="{_n(LEFT)}" y1="{y}" x2="{_n(RIGHT)}" y2="{y}" '
        f'stroke="{INK}" stroke-width="1.2" stroke-dasharray="6 3.6"/>'
    )
    yield (
        f'<text x="{_n(RIGHT - 4)}" y="{_n(scale.y(at + 0.35))}" text-anchor="end" '
        f'font-size="8.5" fill="{INK}">Remission: below {remission_below}</text>'
    )


def _enrolment(enrolled_on: date | None, scale: _Scale) -> Iterator[str]:
    if enrolled_on is None:
        return
    x = scale.x(enrolled_on)
    yield (
        f'<line data-part="enrolment" x1="{_n(x)}" y1="{_n(TOP)}" x2="{_n(x)}" y2="{_n(BOTTOM)}" '
        f'stroke="{MUTED}" stroke-width="1.2" stroke-dasharray="1.2 2.4"/>'
    )
    # Written to the left of the line when it is near the right edge, to stay inside the plot.
    near_the_end = x > RIGHT - 50
    label_x, anchor = (x - 3, "end") if near_the_end else (x + 3, "start")
    yield (
        f'<text x="{_n(label_x)}" y="{_n(TOP + 4)}" text-anchor="{anchor}" '
        f'dominant-baseline="hanging" font-size="8.5" fill="{MUTED}">Enrolled</text>'
    )


def _scores(points: Sequence[Point], scale: _Scale) -> Iterator[str]:
    placed = [(p, _n(scale.x(p.on)), _n(scale.y(p.score))) for p in sorted(points, key=_ON)]
    line = " ".join(f"{x},{y}" for _, x, y in placed)
    yield (
        f'<polyline data-part="scores" points="{line}" fill="none" stroke="{LINE}" '
        'stroke-width="2" stroke-linejoin="round"/>'
    )
    yield f'<g fill="#ffffff" stroke="{LINE}" stroke-width="2">'
    for p, x, y in placed:
        when = f"{p.on.day} {MONTHS[p.on.month - 1]} {p.on.year:04d}"
        yield f'<circle cx="{x}" cy="{y}" r="3"><title>{when}: score {p.score}</title></circle>'
    yield "</g>"


def _empty() -> Iterator[str]:
    yield (
        f'<text data-part="empty" x="{_n((LEFT + RIGHT) / 2)}" y="{_n((TOP + BOTTOM) / 2)}" '
        f'text-anchor="middle" dominant-baseline="central" font-size="12" fill="{INK}">'
        f"{EMPTY_MESSAGE}</text>"
    )


_ON = attrgetter("on")


def _n(value: float) -> str:
    """A coordinate to two decimals, without trailing zeros (a hundredth of a unit is finer
    than a pixel at any width the page gives the chart)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")

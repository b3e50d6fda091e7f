"""The trajectory chart is an inline SVG on the Measurements page: well-formed, sized by the page,
labelled by its caption, drawn without inline style (the page's Content-Security-Policy refuses
it), and every band, line and point sits where its scores and dates say, read back through the
chart's own labelled axes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from tests.drawn_chart import (
    NS,
    axis,
    by_id,
    date_labels,
    has_id,
    parse,
    presentation,
    score_at,
    tag,
    x_of,
)
from tests.page_checks import inline_code

from tandem.assessments.chart import ChartData, Point, render_chart

# PHQ-9 severity bands (Kroenke, Spitzer & Williams 2001), with the levels that colour them.
BANDS: list[dict[str, Any]] = [
    {"min": 0, "max": 4, "code": "minimal", "label": "Minimal", "level": 0},
    {"min": 5, "max": 9, "code": "mild", "label": "Mild", "level": 1},
    {"min": 10, "max": 14, "code": "moderate", "label": "Moderate", "level": 2},
    {"min": 15, "max": 19, "code": "moderately_severe", "label": "Moderately severe", "level": 3},
    {"min": 20, "max": 27, "code": "severe", "label": "Severe", "level": 4},
]
FILL_BY_LEVEL = ["#dcefe3", "#eef3d2", "#fdf0c8", "#fbdcc4", "#f8cfcb"]
TODAY = date(2026, 3, 10)
TWO = [Point(date(2026, 1, 5), 18), Point(date(2026, 3, 2), 7)]
NEAR = 0.05  # viewBox units: coordinates are written to a hundredth


def chart_data(points: list[Point], **changes: object) -> ChartData:
    data = ChartData(
        points=points,
        bands=BANDS,
        score_max=27,
        remission_below=5,
        today=TODAY,
        enrolled_on=date(2026, 1, 5),
        title="PHQ-9",
    )
    return replace(data, **changes)


def chart(points: list[Point], **changes: object) -> str:
    return render_chart(chart_data(points, **changes), caption_id="phq-9-chart-caption")


def test_the_chart_is_an_svg_element_sized_by_the_page_and_labelled_by_its_caption() -> None:
    svg = chart(TWO)
    assert svg.startswith("<svg ")  # no XML prolog: it is inlined in the page
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert len(root.get("viewBox", "").split()) == 4
    assert root.get("width") is None and root.get("height") is None
    assert root.get("class") == "trajectory-svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "phq-9-chart-caption"
    assert root.get("focusable") == "false"


def test_a_chart_names_no_element_id_so_two_charts_on_a_page_never_collide() -> None:
    # The Measurements page draws PHQ-9 and GAD-7 side by side: parts are marked with
    # data-part, never with an id that the second chart would repeat.
    for points in (TWO, []):
        assert all(e.get("id") is None for e in parse(chart(points)).iter())


def test_the_caption_id_keeps_only_the_characters_of_an_id() -> None:
    svg = render_chart(chart_data(TWO), caption_id='phq-9" onload="alert(1)')
    assert parse(svg).get("aria-labelledby") == "phq-9onloadalert1"


@pytest.mark.parametrize("points", [TWO, TWO[:1], []], ids=["two-points", "one-point", "empty"])
def test_the_chart_has_no_inline_style_and_no_font_of_its_own(points: list[Point]) -> None:
    svg = chart(points)
    assert inline_code(svg) == []
    for element in parse(svg).iter():
        assert tag(element) != "style"
        assert "style" not in element.attrib and "font-family" not in element.attrib


def test_each_band_is_shaded_in_its_colour_from_half_below_its_minimum_to_half_above_it() -> None:
    root = parse(chart(TWO))
    score = score_at(root)
    for band in BANDS:
        rect = by_id(root, f"band-{band['code']}")
        assert tag(rect) == "rect"
        assert rect.get("fill") == FILL_BY_LEVEL[int(band["level"])]
        top = float(rect.get("y", "nan"))
        bottom = top + float(rect.get("height", "nan"))
        assert score(bottom) == pytest.approx(int(band["min"]) - 0.5, abs=0.01)
        assert score(top) == pytest.approx(int(band["max"]) + 0.5, abs=0.01)


def test_each_band_is_named_to_the_right_of_the_plot_beside_its_band() -> None:
    root = parse(chart(TWO))
    score = score_at(root)
    texts = {t.text: t for t in root.iter(f"{NS}text")}
    for band in BANDS:
        rect = by_id(root, f"band-{band['code']}")
        label = texts[str(band["label"])]
        assert float(label.get("x", "nan")) > float(rect.get("x", "0")) + float(
            rect.get("width", "0")
        )
        assert int(band["min"]) - 0.5 < score(float(label.get("y", "nan"))) < int(band["max"]) + 0.5


@pytest.mark.parametrize(("remission_below", "drawn_at"), [(5, 4.5), (10, 9.5)])
def test_the_dashed_remission_line_sits_half_a_point_below_the_threshold(
    remission_below: int, drawn_at: float
) -> None:
    root = parse(chart(TWO, remission_below=remission_below))
    score = score_at(root)
    line = by_id(root, "remission-line")
    assert score(float(line.get("y1", "nan"))) == pytest.approx(drawn_at, abs=0.01)
    assert score(float(line.get("y2", "nan"))) == pytest.approx(drawn_at, abs=0.01)
    assert line.get("stroke-dasharray")
    assert f"Remission: below {remission_below}" in [t.text for t in root.iter(f"{NS}text")]


def test_the_enrolment_date_is_a_dotted_vertical_line_labelled_enrolled() -> None:
    root = parse(chart(TWO, enrolled_on=date(2026, 1, 20)))
    line = by_id(root, "enrolment")
    assert line.get("x1") == line.get("x2")
    assert float(line.get("x1", "nan")) == pytest.approx(x_of(root)(date(2026, 1, 20)), abs=NEAR)
    assert line.get("stroke-dasharray")
    assert "Enrolled" in [t.text for t in root.iter(f"{NS}text")]
    assert not has_id(parse(chart(TWO, enrolled_on=None)), "enrolment")


def test_an_enrolment_at_the_right_edge_is_labelled_on_the_left_of_its_line() -> None:
    root = parse(chart([Point(date(2026, 1, 5), 9)], enrolled_on=TODAY))
    line_x = float(by_id(root, "enrolment").get("x1", "nan"))
    (label,) = [t for t in root.iter(f"{NS}text") if t.text == "Enrolled"]
    assert label.get("text-anchor") == "end" and float(label.get("x", "nan")) < line_x


def test_the_scores_are_one_line_in_date_order_with_a_white_marker_and_a_title_per_point() -> None:
    points = [
        Point(date(2026, 3, 2), 7),
        Point(date(2026, 1, 5), 18),
        Point(date(2026, 2, 2), 12),
    ]
    root = parse(chart(points))
    x, score = x_of(root), score_at(root)
    in_order = [(date(2026, 1, 5), 18), (date(2026, 2, 2), 12), (date(2026, 3, 2), 7)]
    line = by_id(root, "scores")
    assert tag(line) == "polyline"
    drawn = [tuple(map(float, pair.split(","))) for pair in line.get("points", "").split()]
    assert len(drawn) == 3
    for (px, py), (day, expected) in zip(drawn, in_order, strict=True):
        assert px == pytest.approx(x(day), abs=NEAR)
        assert score(py) == pytest.approx(expected, abs=0.01)
    markers = list(root.iter(f"{NS}circle"))
    assert [(float(c.get("cx", "nan")), float(c.get("cy", "nan"))) for c in markers] == drawn
    assert {presentation(root, c, "fill") for c in markers} == {"#ffffff"}
    titles = [c.findtext(f"{NS}title") for c in markers]
    assert titles == ["5 Jan 2026: score 18", "2 Feb 2026: score 12", "2 Mar 2026: score 7"]


def test_a_chart_without_measurements_says_so_and_keeps_its_bands() -> None:
    root = parse(chart([]))
    assert by_id(root, "empty").text == "No measurements yet"
    assert not has_id(root, "scores") and not list(root.iter(f"{NS}circle"))
    assert has_id(root, "band-severe") and has_id(root, "remission-line")


def test_a_single_measurement_is_one_marker_where_it_belongs() -> None:
    root = parse(chart([Point(date(2026, 3, 9), 12)], enrolled_on=None))
    (marker,) = root.iter(f"{NS}circle")
    assert float(marker.get("cx", "nan")) == pytest.approx(x_of(root)(date(2026, 3, 9)), abs=NEAR)
    assert score_at(root)(float(marker.get("cy", "nan"))) == pytest.approx(12, abs=0.01)


def test_band_labels_codes_and_the_title_are_escaped() -> None:
    bands = [{"min": 0, "max": 27, "code": 'odd"&<code', "label": "Under <5 & calm", "level": 0}]
    root = parse(chart(TWO, bands=bands, title="A&B <test>"))
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "Under <5 & calm" in texts and "A&B <test> score" in texts
    assert tag(by_id(root, 'band-odd"&<code')) == "rect"


@pytest.mark.parametrize(
    ("score_max", "marks"),
    [(27, ["0", "5", "10", "15", "20", "25"]), (21, ["0", "5", "10", "15", "20"])],
)
def test_the_score_axis_is_marked_every_five_points_and_named_after_the_instrument(
    score_max: int, marks: list[str]
) -> None:
    root = parse(chart(TWO, score_max=score_max))
    assert [t.text for t in axis(root, "score-axis")] == marks
    assert "PHQ-9 score" in [t.text for t in root.iter(f"{NS}text")]


@pytest.mark.parametrize(
    ("days", "labels"),
    [
        # One measurement yesterday: four weeks are shown, marked weekly.
        ([date(2026, 3, 9)], ["8 Mar 2026", "15 Mar", "22 Mar", "1 Apr", "8 Apr"]),
        ([date(2026, 1, 5), date(2026, 3, 2)], ["15 Jan 2026", "1 Feb", "15 Feb", "1 Mar"]),
        (
            [date(2025, 9, 1), date(2026, 2, 20)],
            ["Sep 2025", "Oct", "Nov", "Dec", "Jan 2026", "Feb", "Mar"],
        ),
        (
            [date(2024, 3, 11), date(2026, 3, 9)],
            ["May 2024", "Sep", "Jan 2025", "May", "Sep", "Jan 2026"],
        ),
        ([date(2016, 3, 10), date(2026, 3, 9)], ["2016", "2018", "2020", "2022", "2024", "2026"]),
    ],
    ids=["four-weeks", "two-months", "six-months", "two-years", "ten-years"],
)
def test_the_date_axis_marks_three_to_eight_dates_with_the_year_where_it_starts_or_changes(
    days: list[date], labels: list[str]
) -> None:
    root = parse(chart([Point(day, 10) for day in days], enrolled_on=None))
    assert date_labels(root) == labels


def test_the_same_data_draws_the_same_chart() -> None:
    first = chart(TWO)
    assert chart(TWO) == first
    assert chart([Point(date(2026, 1, 5), 18), Point(date(2026, 3, 2), 7)]) == first

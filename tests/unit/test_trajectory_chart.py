"""The trajectory chart's SVG is inlined in the Measurements page, whose Content-Security-Policy
allows no inline style: matplotlib's style attributes and <style> element become attributes."""

from __future__ import annotations

import xml.dom.minidom
from datetime import date

from tandem.assessments.chart import ChartData, Point, render_chart

BANDS = [
    {"min": 0, "max": 4, "code": "minimal", "label": "Minimal", "level": 0},
    {"min": 5, "max": 27, "code": "severe", "label": "Severe", "level": 4},
]


def chart(points: list[Point]) -> str:
    data = ChartData(
        points=points,
        bands=BANDS,
        score_max=27,
        remission_below=5,
        today=date(2026, 3, 10),
        enrolled_on=date(2026, 1, 5),
        title="PHQ-9",
    )
    return render_chart(data, caption_id="phq-9-chart-caption")


def test_the_chart_has_no_style_attribute_or_element() -> None:
    for svg in (chart([Point(date(2026, 1, 5), 18), Point(date(2026, 3, 2), 7)]), chart([])):
        assert "style" not in svg
        xml.dom.minidom.parseString(svg)  # still well-formed


def test_the_styles_are_kept_as_presentation_attributes() -> None:
    svg = chart([Point(date(2026, 1, 5), 18), Point(date(2026, 3, 2), 7)])
    root = xml.dom.minidom.parseString(svg).documentElement
    # matplotlib's default line style, inherited by every element that sets none of its own.
    assert root.getAttribute("stroke-linejoin") == "round"
    assert root.getAttribute("stroke-linecap") == "butt"
    fills = {e.getAttribute("fill") for e in root.getElementsByTagName("path")}
    assert {"#dcefe3", "#f8cfcb"} <= fills  # the two bands' colours
    labels = [t for t in root.getElementsByTagName("text") if t.getAttribute("font-size")]
    assert labels, "text keeps its size"

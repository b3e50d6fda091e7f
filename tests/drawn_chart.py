"""Reading a drawn trajectory chart back: the SVG parsed as XML, and its own axes (the labelled
score and date marks) turned into the inverse of its scale, so that a test can say where a band,
a line or a point sits in scores and dates without asking the chart's code."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date

NS = "{http://www.w3.org/2000/svg}"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse(svg: str) -> ET.Element:
    """The chart as XML: parsing fails on anything that is not well-formed."""
    return ET.fromstring(svg)


def tag(element: ET.Element) -> str:
    return element.tag.removeprefix(NS)


def by_id(root: ET.Element, element_id: str) -> ET.Element:
    found = [e for e in root.iter() if e.get("data-part") == element_id]
    assert len(found) == 1, f"{len(found)} elements with data-part {element_id!r}"
    return found[0]


def has_id(root: ET.Element, element_id: str) -> bool:
    return any(e.get("data-part") == element_id for e in root.iter())


def plot_edges(root: ET.Element) -> tuple[float, float]:
    """The left and right edges of the plot, which every severity band spans."""
    band = next(root.iter(f"{NS}rect"))
    left = float(band.get("x", "nan"))
    return left, left + float(band.get("width", "nan"))


def axis(root: ET.Element, name: str) -> list[ET.Element]:
    """The labels of the axis group ``class=name`` (score-axis, date-axis)."""
    (group,) = [e for e in root.iter(f"{NS}g") if e.get("class") == name]
    return list(group.iter(f"{NS}text"))


def score_at(root: ET.Element) -> Callable[[float], float]:
    """A vertical position (viewBox units) as a score, read from the lowest and highest
    labelled marks of the score axis."""
    marks = [(float(t.get("y", "nan")), int(t.text or "")) for t in axis(root, "score-axis")]
    (y0, s0), (y1, s1) = marks[0], marks[-1]
    return lambda y: s0 + (y - y0) * (s1 - s0) / (y1 - y0)


def date_labels(root: ET.Element) -> list[str]:
    return [t.text or "" for t in axis(root, "date-axis")]


def x_of(root: ET.Element) -> Callable[[date], float]:
    """Where a date falls horizontally (viewBox units), read from the first and last labelled
    marks of the date axis."""
    marks = list(zip(_label_dates(date_labels(root)), axis(root, "date-axis"), strict=True))
    (d0, t0), (d1, t1) = marks[0], marks[-1]
    x0, x1 = float(t0.get("x", "nan")), float(t1.get("x", "nan"))
    return lambda day: (
        x0 + (day.toordinal() - d0.toordinal()) * (x1 - x0) / (d1.toordinal() - d0.toordinal())
    )


def _label_dates(labels: list[str]) -> list[date]:
    """ "15 Jan 2026", "1 Feb", "May 2024", "Sep", "2025" as dates: a label without a year has
    the year of the one before it."""
    year, days = 0, []
    for label in labels:
        words = label.split()
        # A day is always followed by its month: a number at the end is the year.
        if words[-1].isdigit():
            year = int(words.pop())
        day = int(words.pop(0)) if words and words[0].isdigit() else 1
        month = MONTHS.index(words[0]) + 1 if words else 1
        days.append(date(year, month, day))
    return days


def presentation(root: ET.Element, element: ET.Element, name: str) -> str | None:
    """The presentation attribute ``name`` that applies to ``element``: its own, or the nearest
    group's around it."""
    parents = {child: parent for parent in root.iter() for child in parent}
    found: ET.Element | None = element
    while found is not None:
        if name in found.attrib:
            return found.get(name)
        found = parents.get(found)
    return None

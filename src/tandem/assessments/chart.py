"""The trajectory chart: a patient's scores on one instrument over time, drawn on the server as
an accessible SVG (shaded severity bands, the remission line, the enrolment date).

Drawn with matplotlib's object-oriented API (``Figure`` without pyplot), which keeps no global
figure state and so is safe to call from several threads at once.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tandem.assessments.schemas import TrajectoryRead
from tandem.dates import shifted

# Read when the SVG is written, not when the figure is made; only this module draws SVG, so
# setting them once process-wide is safe. Real <text> keeps the file small and readable by
# screen readers; a fixed salt makes the element ids, and so the whole file, deterministic.
matplotlib.rcParams.update(
    {"svg.fonttype": "none", "svg.hashsalt": "tandem-trajectory", "svg.image_inline": True}
)

# Band fills by level, 0 (nothing of concern) to 4 (most severe): light, so that the line and
# its markers keep their contrast; the band's name is always written beside it as well.
BAND_FILLS = ("#dcefe3", "#eef3d2", "#fdf0c8", "#fbdcc4", "#f8cfcb")
LINE = "#0f4c5c"
INK = "#17252e"
MUTED = "#4b5b66"
SIZE_INCHES = (7.2, 3.4)
EMPTY_MESSAGE = "No measurements yet"

_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
# Text takes the page's font (inline SVG inherits it) rather than matplotlib's long list.
_FONT_FAMILY = re.compile(r"font-family: [^;\"]*;? ?")
# The page's Content-Security-Policy allows no inline style, and that covers an inline SVG's
# style attributes and <style> element too. Every property matplotlib writes there is also an
# SVG presentation attribute, which CSP does not restrict, so the styles become attributes.
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_DEFAULT_STYLE = re.compile(r"\s*<defs>\s*<style[^>]*>\*\{([^}]*)\}</style>\s*</defs>")


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


def warm_up() -> None:
    """Draw one empty chart, so that matplotlib's fonts load at start-up, not on a request."""
    render_chart(
        ChartData(points=(), bands=(), score_max=27, remission_below=5, today=date(2026, 1, 1)),
        caption_id="warm-up",
    )


def render_chart(data: ChartData, *, caption_id: str) -> str:
    """An inline SVG (no XML prolog) labelled by the element ``caption_id``."""
    return _to_svg(draw_chart(data), caption_id)


def draw_chart(data: ChartData) -> Figure:
    """The chart as a matplotlib figure (for the SVG, or a PNG when checking the design)."""
    points, enrolled_on, remission_below = data.points, data.enrolled_on, data.remission_below
    fig = Figure(figsize=SIZE_INCHES, dpi=72, layout=None)
    fig.subplots_adjust(left=0.075, right=0.8, top=0.95, bottom=0.12)
    ax = fig.add_subplot()
    start, end = _date_range(points, enrolled_on, data.today)
    # Scores are whole numbers: a band covers min - 0.5 to max + 0.5 so that every score sits
    # inside its band, never on a border.
    ax.set_ylim(-0.5, data.score_max + 0.5)
    ax.set_xlim(_x(start), _x(end))
    for band in sorted(data.bands, key=lambda b: int(b["min"])):
        low, high = int(band["min"]) - 0.5, int(band["max"]) + 0.5
        level = max(0, min(4, int(band.get("level", 0))))
        ax.axhspan(low, high, color=BAND_FILLS[level], linewidth=0, zorder=0).set_gid(
            f"band-{band['code']}"
        )
        ax.text(
            1.01,
            (low + high) / 2,
            str(band["label"]),
            transform=ax.get_yaxis_transform(),
            va="center",
            ha="left",
            fontsize=9,
            color=INK,
        )
    remission_at = remission_below - 0.5
    ax.axhline(remission_at, color=INK, linestyle=(0, (5, 3)), linewidth=1.2, zorder=2).set_gid(
        "remission-line"
    )
    ax.text(
        0.99,
        remission_at + 0.35,
        f"Remission: below {remission_below}",
        transform=ax.get_yaxis_transform(),
        fontsize=8.5,
        color=INK,
        ha="right",
        va="bottom",
        zorder=3,
    )
    if enrolled_on is not None:
        x = _x(enrolled_on)
        ax.axvline(x, color=MUTED, linewidth=1.2, linestyle=(0, (1, 2)), zorder=2).set_gid(
            "enrolment"
        )
        ax.text(
            x,
            0.98,
            " Enrolled",
            transform=ax.get_xaxis_transform(),
            fontsize=8.5,
            color=MUTED,
            va="top",
            ha="left",
            zorder=3,
        )
    if points:
        ordered = sorted(points, key=lambda p: p.on)
        (line,) = ax.plot(
            [_x(p.on) for p in ordered],
            [p.score for p in ordered],
            color=LINE,
            linewidth=2,
            marker="o",
            markersize=6,
            markerfacecolor="#ffffff",
            markeredgewidth=2,
            zorder=4,
            clip_on=False,
        )
        line.set_gid("scores")
    else:
        ax.text(
            0.5,
            0.5,
            EMPTY_MESSAGE,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color=INK,
        ).set_gid("empty")
    _style_axes(ax, data.title, data.score_max)
    return fig


def _x(day: date) -> float:
    """A date as matplotlib's day number (its dates module is untyped)."""
    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


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


def _style_axes(ax: Axes, title: str, score_max: int) -> None:
    ax.set_yticks(range(0, score_max + 1, 5))
    # matplotlib.dates is untyped; its locator and formatter are what the date axis needs.
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    concise = mdates.ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(concise)
    ax.set_ylabel(f"{title} score", fontsize=9, color=INK)
    ax.tick_params(labelsize=8.5, colors=MUTED, labelcolor=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)


def _to_svg(fig: Figure, caption_id: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, transparent=True)
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    svg = _METADATA.sub("", svg, count=1)
    svg = _FONT_FAMILY.sub("", svg)
    # matplotlib's "*{...}" default style goes on the root element instead: both properties it
    # sets (stroke-linejoin, stroke-linecap) are inherited, and an element's own attribute wins.
    default_style = _DEFAULT_STYLE.search(svg)
    svg = _DEFAULT_STYLE.sub("", svg, count=1)
    svg = _STYLE_ATTRIBUTE.sub(lambda m: _attributes(m.group(1)), svg)
    # The width follows the page (CSS); the viewBox keeps the proportions.
    head, rest = svg.split(">", 1)
    head = _SIZE.sub("", head)
    if default_style:
        head += _attributes(default_style.group(1))
    safe_id = re.sub(r"[^A-Za-z0-9_-]", "", caption_id)
    head += f' class="trajectory-svg" role="img" aria-labelledby="{safe_id}" focusable="false"'
    return (head + ">" + rest).strip()


def _attributes(declarations: str) -> str:
    """CSS declarations ("fill: #fff; stroke-width: 2") as SVG presentation attributes."""
    pairs = (d.partition(":") for d in declarations.split(";"))
    return "".join(f' {name.strip()}="{value.strip()}"' for name, _, value in pairs if name.strip())

"""Severity badges, scores, a response's status and a change in score, as template filters.

Every assessment page shows them, the Measurements page once per row of its tables: a filter in
Python costs a fraction of a template macro. Registered at start-up by tandem.app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

_NONE = Markup('<span class="muted">—</span>')
_STATUSES = {
    "entered-in-error": Markup(
        '<span class="badge status-entered-in-error">Entered in error</span>'
    ),
    "amended": Markup('<span class="badge status-amended">Amended</span>'),
}
_COMPLETED = Markup('<span class="badge status-completed">Completed</span>')


def band_badge(label: str | None, level: int | None) -> Markup:
    """A severity band in words, coloured by its level (0 nothing of concern … 4 most severe)."""
    if not label:
        return _NONE
    # f-strings with escape(): Markup.format costs several times as much, once per table row.
    shade = int(level) if level is not None else 0
    return Markup(f'<span class="badge band level-{shade}">{escape(label)}</span>')


def response_score(response: Any) -> Markup:
    """A response's total, out of the instrument's maximum when it has one."""
    total = response.total_score
    if total is None:
        return Markup('<span class="muted">No total</span>')
    out_of = (
        f'<span class="muted"> / {int(response.score_max)}</span>' if response.score_max else ""
    )
    return Markup(f'<span class="score"><strong>{int(total)}</strong>{out_of}</span>')


def response_status(status: str | None) -> Markup:
    """A response's status as a badge: completed, amended or entered in error."""
    return _STATUSES.get(status or "", _COMPLETED)


def score_change(value: int | None) -> Markup:
    """A change in score: down is better on every instrument Tandem follows."""
    if value is None:
        return Markup("—")
    if value < 0:
        return Markup(
            f'<span class="change better">▼ {-int(value)}'
            '<span class="visually-hidden"> points lower</span></span>'
        )
    if value > 0:
        return Markup(
            f'<span class="change worse">▲ {int(value)}'
            '<span class="visually-hidden"> points higher</span></span>'
        )
    return Markup('<span class="change same">No change</span>')


FILTERS: dict[str, Callable[..., str]] = {
    "band_badge": band_badge,
    "response_score": response_score,
    "response_status": response_status,
    "score_change": score_change,
}

"""The assessment pages' badges: what each filter writes, at every edge of its input."""

from __future__ import annotations

from types import SimpleNamespace

from tandem.assessments.views.badges import (
    band_badge,
    response_score,
    response_status,
    score_change,
)


def test_a_band_badge_names_its_band_and_is_coloured_by_its_level() -> None:
    assert band_badge("Moderate", 2) == '<span class="badge band level-2">Moderate</span>'
    # A band without a level is coloured as nothing of concern; no band is a dash.
    assert band_badge("Minimal", None) == '<span class="badge band level-0">Minimal</span>'
    assert band_badge(None, 3) == '<span class="muted">—</span>'
    assert band_badge("", 3) == '<span class="muted">—</span>'


def test_a_band_badge_escapes_its_label() -> None:
    assert "<script>" not in band_badge("<script>x</script>", 1)
    assert "&lt;script&gt;" in band_badge("<script>x</script>", 1)


def test_a_score_shows_its_maximum_when_the_instrument_has_one() -> None:
    scored = SimpleNamespace(total_score=14, score_max=27)
    assert response_score(scored) == (
        '<span class="score"><strong>14</strong><span class="muted"> / 27</span></span>'
    )
    assert response_score(SimpleNamespace(total_score=0, score_max=None)) == (
        '<span class="score"><strong>0</strong></span>'
    )
    assert response_score(SimpleNamespace(total_score=None, score_max=27)) == (
        '<span class="muted">No total</span>'
    )


def test_a_response_status_badge_for_each_status() -> None:
    assert "Entered in error" in response_status("entered-in-error")
    assert "Amended" in response_status("amended")
    assert "Completed" in response_status("final")
    assert "Completed" in response_status(None)


def test_a_change_down_is_better_up_is_worse_and_zero_is_no_change() -> None:
    assert score_change(-5) == (
        '<span class="change better">▼ 5<span class="visually-hidden"> points lower</span></span>'
    )
    assert score_change(1) == (
        '<span class="change worse">▲ 1<span class="visually-hidden"> points higher</span></span>'
    )
    assert score_change(0) == '<span class="change same">No change</span>'
    assert score_change(None) == "—"

"""access.rules: what a break-the-glass reason needs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.access.rules import MIN_BREAK_GLASS_REASON, validate_break_glass_reason
from tandem.errors import ValidationProblem


def test_reason_minimum_is_fifteen_characters() -> None:
    assert MIN_BREAK_GLASS_REASON == 15


def test_reason_of_fourteen_characters_is_refused_naming_reason() -> None:
    with pytest.raises(ValidationProblem) as caught:
        validate_break_glass_reason("x" * 14)
    assert caught.value.field == "reason"
    assert caught.value.status == 422


def test_reason_of_fifteen_characters_is_accepted() -> None:
    assert validate_break_glass_reason("x" * 15) == "x" * 15


def test_padding_with_spaces_does_not_make_a_reason_long_enough() -> None:
    with pytest.raises(ValidationProblem):
        validate_break_glass_reason("   crisis       now      ")


def test_reason_is_returned_with_whitespace_collapsed() -> None:
    assert (
        validate_break_glass_reason("  Patient   in crisis\n at ED  ") == "Patient in crisis at ED"
    )


@given(st.text(max_size=60))
def test_a_reason_is_accepted_exactly_when_its_collapsed_form_is_long_enough(text: str) -> None:
    collapsed = " ".join(text.split())
    if len(collapsed) >= MIN_BREAK_GLASS_REASON:
        assert validate_break_glass_reason(text) == collapsed
    else:
        with pytest.raises(ValidationProblem):
            validate_break_glass_reason(text)

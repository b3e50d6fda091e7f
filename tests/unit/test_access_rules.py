"""access.rules: what a break-the-glass reason needs."""

from __future__ import annotations

import pytest

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


# Written out by hand: what the reason says after its whitespace is collapsed, and its length.
ACCEPTED = [
    ("x" * 15, "x" * 15),
    ("a b c d e f g h", "a b c d e f g h"),  # 8 letters and 7 single spaces: 15
    ("abcdefg\t\t\t\tabcdefg", "abcdefg abcdefg"),  # a run of tabs counts as one space: 15
    ("\n  Overdose at home \n", "Overdose at home"),  # 16, edges trimmed
    ("é" * 15, "é" * 15),  # characters, not bytes
]
REFUSED = [
    "",
    " " * 15,
    "x" * 14,
    "x" * 14 + " ",
    "a b c d e f g",  # 13
    "abcdefg\n\nabcdef",  # "abcdefg abcdef": 14
    "\t  crisis  \t  now \n",  # "crisis now": 10
]


@pytest.mark.parametrize(("reason", "kept"), ACCEPTED)
def test_a_reason_of_fifteen_characters_or_more_once_collapsed_is_kept_collapsed(
    reason: str, kept: str
) -> None:
    assert validate_break_glass_reason(reason) == kept


@pytest.mark.parametrize("reason", REFUSED)
def test_a_reason_shorter_than_fifteen_characters_once_collapsed_is_refused(reason: str) -> None:
    with pytest.raises(ValidationProblem) as caught:
        validate_break_glass_reason(reason)
    assert caught.value.field == "reason"
    assert "15 characters" in caught.value.message

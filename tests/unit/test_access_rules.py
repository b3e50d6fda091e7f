"""access.rules: who is clinical staff, and what a break-the-glass reason needs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.access.rules import (
    CLINICAL_ROLES,
    MIN_BREAK_GLASS_REASON,
    can_manage_care_team,
    validate_break_glass_reason,
)
from tandem.errors import ValidationProblem
from tandem.people.vocab import ProfessionalRole


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


@pytest.mark.parametrize(
    "role",
    [ProfessionalRole.administrator, ProfessionalRole.privacy_officer, "community_partner"],
)
def test_administrators_privacy_officers_and_partners_are_not_clinical(role: str) -> None:
    assert role not in CLINICAL_ROLES


def test_care_managers_and_prescribers_are_clinical() -> None:
    assert {"care_manager", "primary_care_provider", "psychiatric_consultant"} <= CLINICAL_ROLES


@pytest.mark.parametrize("role", sorted(CLINICAL_ROLES))
def test_clinical_members_of_the_team_may_manage_it(role: str) -> None:
    assert can_manage_care_team(basis="care_team", role=role)


@pytest.mark.parametrize("role", sorted(CLINICAL_ROLES))
def test_emergency_access_never_manages_the_team(role: str) -> None:
    assert not can_manage_care_team(basis="break_glass", role=role)


@pytest.mark.parametrize("role", ["community_partner", "administrator", "privacy_officer"])
def test_non_clinical_team_members_do_not_manage_the_team(role: str) -> None:
    assert not can_manage_care_team(basis="care_team", role=role)

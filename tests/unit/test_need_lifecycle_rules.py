"""The needs lifecycle (assessments.rules.check_need_transition): which steps it refuses, which
field it names, what it says, and what counts as a reason for a dismissal or an error."""

from __future__ import annotations

import pytest

from tandem.assessments.rules import check_need_transition
from tandem.errors import ValidationProblem

ENDING = ["dismissed", "entered-in-error"]


def refusal(current: str, new: str, reason: str | None = None) -> ValidationProblem:
    with pytest.raises(ValidationProblem) as caught:
        check_need_transition(current, new, reason)
    return caught.value


class TestReasonForDismissalOrError:
    @pytest.mark.parametrize("new", ENDING)
    @pytest.mark.parametrize("reason", ["abc", "  abc  ", "Patient has stable housing now"])
    def test_three_characters_are_a_reason(self, new: str, reason: str) -> None:
        check_need_transition("confirmed", new, reason)

    @pytest.mark.parametrize("new", ENDING)
    @pytest.mark.parametrize("reason", ["ab", "  ab  ", "a", "   ", "", None])
    def test_fewer_than_three_characters_after_trimming_are_refused(
        self, new: str, reason: str | None
    ) -> None:
        problem = refusal("confirmed", new, reason)
        assert problem.field == "reason"
        assert problem.message == "Give a reason."
        assert problem.status == 422

    def test_a_forbidden_step_is_refused_on_its_status_even_without_a_reason(self) -> None:
        problem = refusal("entered-in-error", "dismissed", None)
        assert problem.field == "status"


class TestRefusedSteps:
    def test_the_same_status_again_is_refused_naming_the_status(self) -> None:
        problem = refusal("confirmed", "confirmed", "a long enough reason")
        assert problem.field == "status"
        assert problem.message == "The need already has this status."

    @pytest.mark.parametrize(
        ("current", "new", "message"),
        [
            (
                "resolved",
                "being_addressed",
                "A need that is resolved cannot become being addressed.",
            ),
            ("identified", "resolved", "A need that is unconfirmed cannot become resolved."),
            (
                "entered-in-error",
                "confirmed",
                "A need that is entered in error cannot become confirmed.",
            ),
            # An unknown status is refused, not a crash, and named as it was given.
            ("archived", "confirmed", "A need that is archived cannot become confirmed."),
            ("confirmed", "on_hold", "A need that is confirmed cannot become on hold."),
        ],
    )
    def test_a_step_the_lifecycle_does_not_allow_is_refused_in_the_teams_words(
        self, current: str, new: str, message: str
    ) -> None:
        problem = refusal(current, new)
        assert problem.field == "status"
        assert problem.message == message


class TestAllowedSteps:
    @pytest.mark.parametrize(
        ("current", "new"),
        [
            ("identified", "confirmed"),
            ("confirmed", "being_addressed"),
            ("being_addressed", "resolved"),
            ("resolved", "confirmed"),
            ("dismissed", "identified"),
            ("dismissed", "confirmed"),
        ],
    )
    def test_the_lifecycle_allows(self, current: str, new: str) -> None:
        check_need_transition(current, new, None)

"""assessments.rules at its edges: blank and unanswered items, every problem named at once, flags
without a threshold, the interpersonal-safety sum with items left out, sex-specific bands, and a
need rule after a summed one.

Expectations are written out by hand from the instrument files (social-needs.json: safety items
score Never 1 … Frequently 5, positive from a total of 11) or from the small definitions below.
"""

from __future__ import annotations

from typing import Any

import pytest

from tandem.assessments.definitions import Instrument, instrument
from tandem.assessments.rules import (
    AnswerProblems,
    Answers,
    PositiveNeed,
    band_for,
    check_answers,
    item_value,
    positive_needs,
    score,
)


def shipped(code: str) -> Instrument:
    found = instrument(code)
    assert found is not None, code
    return found


PHQ9 = shipped("phq-9")
SOCIAL = shipped("social-needs")

NOT_AT_ALL, SEVERAL_DAYS = "LA6568-5", "LA6569-3"
NINE_ITEMS_NOT_AT_ALL: dict[str, object] = {str(n): NOT_AT_ALL for n in range(1, 10)}
NEVER, RARELY, SOMETIMES, FAIRLY_OFTEN, FREQUENTLY = (
    "LA6270-8",
    "LA10066-1",
    "LA10082-8",
    "LA16644-9",
    "LA6482-9",
)
STEADY_HOME = "LA31993-1"
YES, NO = "LA33-6", "LA32-8"
IPV = PositiveNeed(
    "intimate-partner-violence",
    ("safety-hurt", "safety-insult", "safety-threaten", "safety-scream"),
)


def problems_of(inst: Instrument, raw: dict[str, object]) -> AnswerProblems:
    with pytest.raises(AnswerProblems) as caught:
        check_answers(inst, raw)
    return caught.value


def small_instrument(**parts: Any) -> Instrument:
    """A two-item summed scale (none 0, some 1, lots 2), with ``parts`` replacing its defaults."""
    data: dict[str, Any] = {
        "code": "test-scale",
        "version": "0.0.1",
        "title": "Test scale",
        "name": "A scale made up for a test",
        "purpose": "Testing",
        "source": "this test",
        "copyright": "none",
        "answer_lists": {
            "levels": [
                {"code": "none", "display": "None", "value": 0},
                {"code": "some", "display": "Some", "value": 1},
                {"code": "lots", "display": "Lots", "value": 2},
            ]
        },
        "items": [
            {"link_id": "a", "text": "A?", "short": "A", "answers": "levels"},
            {"link_id": "b", "text": "B?", "short": "B", "answers": "levels"},
        ],
        "scoring": {"method": "sum", "min": 0, "max": 4},
    }
    data.update(parts)
    return Instrument.model_validate(data)


class TestBlankAnswers:
    def test_a_whitespace_only_answer_to_an_optional_item_is_no_answer(self) -> None:
        answers = check_answers(PHQ9, {**NINE_ITEMS_NOT_AT_ALL, "difficulty": "   "})
        assert answers == {str(n): NOT_AT_ALL for n in range(1, 10)}

    def test_a_whitespace_only_answer_to_a_required_item_is_missing_not_invalid(self) -> None:
        problems = problems_of(PHQ9, {**NINE_ITEMS_NOT_AT_ALL, "3": " \t "})
        assert problems.problems == {"answers.3": "Item 3 — sleep: an answer is required."}

    def test_an_answer_is_trimmed(self) -> None:
        answers = check_answers(PHQ9, {**NINE_ITEMS_NOT_AT_ALL, "9": f"  {SEVERAL_DAYS} "})
        assert answers["9"] == SEVERAL_DAYS


class TestEveryProblemIsNamed:
    def test_every_answer_that_is_not_a_code_is_reported_not_only_the_first(self) -> None:
        problems = problems_of(PHQ9, {**NINE_ITEMS_NOT_AT_ALL, "2": 3, "5": {"x": 1}})
        assert problems.problems == {
            "answers.2": "Item 2 — feeling down or hopeless: choose one answer.",
            "answers.5": "Item 5 — appetite: choose one answer.",
        }

    def test_every_unknown_answer_code_is_reported_not_only_the_first(self) -> None:
        problems = problems_of(PHQ9, {**NINE_ITEMS_NOT_AT_ALL, "1": "bogus", "8": "LA0-0"})
        assert problems.problems == {
            "answers.1": "Item 1 — little interest or pleasure: 'bogus' is not one of its answers.",
            "answers.8": "Item 8 — moving slowly or restless: 'LA0-0' is not one of its answers.",
        }

    def test_the_error_leads_with_the_first_problem_and_carries_all_of_them(self) -> None:
        problems = problems_of(PHQ9, {**NINE_ITEMS_NOT_AT_ALL, "1": "bogus", "2": 3})
        everything = {
            "answers.1": "Item 1 — little interest or pleasure: 'bogus' is not one of its answers.",
            "answers.2": "Item 2 — feeling down or hopeless: choose one answer.",
        }
        assert problems.field == "answers.1"
        assert problems.message == (
            "Item 1 — little interest or pleasure: 'bogus' is not one of its answers."
        )
        assert problems.extra == {"errors": everything}
        assert problems.to_dict() == {
            "code": "invalid",
            "message": "Item 1 — little interest or pleasure: 'bogus' is not one of its answers.",
            "field": "answers.1",
            "errors": everything,
        }

    def test_a_long_unknown_code_is_quoted_to_its_first_forty_characters(self) -> None:
        code = "0123456789" * 5
        problems = problems_of(PHQ9, {**NINE_ITEMS_NOT_AT_ALL, "4": code})
        assert problems.problems == {
            "answers.4": "Item 4 — tired, little energy: "
            "'0123456789012345678901234567890123456789' is not one of its answers."
        }


class TestItemValue:
    def test_an_unanswered_item_has_no_value_not_zero(self) -> None:
        assert item_value(PHQ9, "1", {}) is None

    def test_an_answer_worth_zero_is_zero(self) -> None:
        assert item_value(PHQ9, "1", {"1": NOT_AT_ALL}) == 0

    def test_an_answer_without_a_value_has_no_value(self) -> None:
        assert item_value(SOCIAL, "living", {"living": STEADY_HOME}) is None

    def test_a_multiple_choice_item_with_no_valued_answer_has_no_value(self) -> None:
        assert item_value(SOCIAL, "housing-problems", {"housing-problems": ["LA9-3"]}) is None


def negative_screen(**safety: str) -> Answers:
    """A social-needs response negative in every domain but safety, with these safety answers."""
    answers: Answers = {
        "living": STEADY_HOME,
        "housing-problems": ["LA9-3"],
        "food-worry": "LA28398-8",
        "food-last": "LA28398-8",
        "transport": NO,
        "utilities": NO,
    }
    answers.update({f"safety-{k}": v for k, v in safety.items()})
    return answers


class TestInterpersonalSafetySum:
    def test_unanswered_safety_items_count_nothing_so_ten_is_below_the_threshold(self) -> None:
        answers = negative_screen(hurt=FREQUENTLY, insult=FREQUENTLY)
        assert positive_needs(SOCIAL, answers) == ()

    def test_eleven_with_an_item_unanswered_is_positive(self) -> None:
        answers = negative_screen(hurt=FREQUENTLY, insult=FREQUENTLY, threaten=NEVER)
        assert positive_needs(SOCIAL, answers) == (IPV,)

    def test_nothing_answered_on_safety_is_no_need(self) -> None:
        assert positive_needs(SOCIAL, negative_screen()) == ()

    def test_a_complete_ten_is_below_the_threshold(self) -> None:
        answers = negative_screen(
            hurt=FAIRLY_OFTEN, insult=SOMETIMES, threaten=RARELY, scream=NEVER
        )
        assert positive_needs(SOCIAL, answers) == ()

    def test_a_complete_eleven_is_positive(self) -> None:
        answers = negative_screen(
            hurt=FAIRLY_OFTEN, insult=FAIRLY_OFTEN, threaten=RARELY, scream=NEVER
        )
        assert positive_needs(SOCIAL, answers) == (IPV,)


class TestNeedRulesAfterASum:
    INSTRUMENT = small_instrument(
        answer_lists={
            "often": [
                {"code": "never", "display": "Never", "value": 1},
                {"code": "often", "display": "Often", "value": 3},
            ],
            "yesno": [
                {"code": "yes", "display": "Yes", "positive": True},
                {"code": "no", "display": "No"},
            ],
        },
        items=[
            {"link_id": "hurt", "text": "H?", "short": "Hurt", "answers": "often"},
            {"link_id": "home", "text": "S?", "short": "Home", "answers": "yesno"},
        ],
        scoring={"method": "none"},
        needs=[
            {
                "domain": "intimate-partner-violence",
                "items": ["hurt"],
                "sum_at_least": 3,
                "source": "this test",
            },
            {"domain": "housing-instability", "items": ["home"], "source": "this test"},
        ],
    )

    def test_a_rule_after_a_negative_sum_rule_still_applies(self) -> None:
        needs = positive_needs(self.INSTRUMENT, {"hurt": "never", "home": "yes"})
        assert needs == (PositiveNeed("housing-instability", ("home",)),)

    def test_a_rule_after_a_positive_sum_rule_still_applies(self) -> None:
        needs = positive_needs(self.INSTRUMENT, {"hurt": "often", "home": "yes"})
        assert needs == (
            PositiveNeed("intimate-partner-violence", ("hurt",)),
            PositiveNeed("housing-instability", ("home",)),
        )


class TestFlagWithoutAThreshold:
    INSTRUMENT = small_instrument(
        flags=[
            {
                "code": "any-a",
                "kind": "safety",
                "message": "Item A was answered.",
                "item": "a",
                "source": "this test",
            }
        ]
    )

    def test_any_answer_raises_it_even_one_worth_zero(self) -> None:
        result = score(self.INSTRUMENT, {"a": "none", "b": "none"})
        assert [f.code for f in result.flags] == ["any-a"]

    def test_an_unanswered_item_does_not_raise_it(self) -> None:
        result = score(self.INSTRUMENT, {"b": "lots"})
        assert result.flags == ()


class TestSexSpecificBands:
    INSTRUMENT = small_instrument(
        bands=[
            {"code": "low", "label": "Low", "min": 0, "max": 0, "level": 0, "sex": ["male"]},
            {"code": "high", "label": "High", "min": 1, "max": 4, "level": 2, "sex": ["male"]},
            {"code": "low", "label": "Low", "min": 0, "max": 1, "level": 0, "sex": ["female"]},
            {"code": "high", "label": "High", "min": 2, "max": 4, "level": 2, "sex": ["female"]},
            {"code": "low", "label": "Low", "min": 0, "max": 2, "level": 0, "sex": ["other"]},
            {"code": "high", "label": "High", "min": 3, "max": 4, "level": 2, "sex": ["other"]},
            {"code": "low", "label": "Low", "min": 0, "max": 3, "level": 0, "sex": ["unknown"]},
            {"code": "high", "label": "High", "min": 4, "max": 4, "level": 2, "sex": ["unknown"]},
        ]
    )

    @pytest.mark.parametrize(
        ("sex", "total", "expected"),
        [
            ("male", 1, "high"),
            ("female", 1, "low"),
            ("female", 2, "high"),
            ("other", 2, "low"),
            ("other", 3, "high"),
            ("unknown", 3, "low"),
            ("unknown", 4, "high"),
            (None, 3, "low"),
            ("not-recorded", 3, "low"),
        ],
    )
    def test_each_sex_uses_its_own_cut_off(
        self, sex: str | None, total: int, expected: str
    ) -> None:
        band = band_for(self.INSTRUMENT, total, sex=sex)
        assert band is not None
        assert band.code == expected

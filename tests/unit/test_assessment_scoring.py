"""assessments.rules: checking answers, totals and bands, safety flags, triage and social needs.

Cut-offs follow their sources. Answers are written as LOINC answer codes, as a client sends them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.assessments.definitions import Instrument, instrument
from tandem.assessments.rules import (
    AnswerProblems,
    Answers,
    band_for,
    changed_items,
    check_answers,
    positive_needs,
    score,
    triage_level,
)

NOT_AT_ALL, SEVERAL_DAYS, MORE_THAN_HALF, NEARLY_EVERY_DAY = (
    "LA6568-5",
    "LA6569-3",
    "LA6570-1",
    "LA6571-9",
)
PHQ = {NOT_AT_ALL: 0, SEVERAL_DAYS: 1, MORE_THAN_HALF: 2, NEARLY_EVERY_DAY: 3}
PHQ_BY_VALUE = {v: c for c, v in PHQ.items()}
YES, NO = "LA33-6", "LA32-8"
SEXES = ["male", "female", "other", "unknown", None]


def definition(code: str) -> Instrument:
    found = instrument(code)
    assert found is not None, code
    return found


PHQ9 = definition("phq-9")
PHQ2 = definition("phq-2")
GAD7 = definition("gad-7")
AUDIT = definition("audit-c")
SOCIAL = definition("social-needs")
CSSRS = definition("suicide-risk")


# Published severity bands: PHQ-9 (Kroenke 2001), GAD-7 (Spitzer 2006), PHQ-2 positive from 3.
PUBLISHED_BANDS = {
    "phq-9": [
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately_severe"),
        (20, 27, "severe"),
    ],
    "gad-7": [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")],
    "phq-2": [(0, 2, "negative"), (3, 6, "positive")],
}
# AUDIT-C answer values (Bush 1998), per item: frequency, quantity, binge.
AUDIT_VALUES = {
    "1": {"LA6270-8": 0, "LA18926-8": 1, "LA18927-6": 2, "LA18928-4": 3, "LA18929-2": 4},
    "2": {"LA15694-5": 0, "LA15695-2": 1, "LA18930-0": 2, "LA18931-8": 3, "LA18932-6": 4},
    "3": {"LA6270-8": 0, "LA26460-8": 1, "LA18876-5": 2, "LA18891-4": 3, "LA18934-2": 4},
}


def published_band(code: str, total: int) -> str:
    [band] = [name for low, high, name in PUBLISHED_BANDS[code] if low <= total <= high]
    return band


def answers_summing_to(inst: Instrument, total: int) -> Answers:
    """Fill the scored items in order, each as high as the remaining total allows."""
    answers: Answers = {}
    left = total
    for item in inst.items:
        if not item.scored:
            continue
        option = max(
            (o for o in inst.options(item) if (o.value or 0) <= left), key=lambda o: o.value or 0
        )
        answers[item.link_id] = option.code
        left -= option.value or 0
    assert left == 0, f"{inst.code} cannot reach {total}"
    return answers


def phq9(values: list[int], **extra: str) -> Answers:
    answers: Answers = {str(n): PHQ_BY_VALUE[v] for n, v in enumerate(values, start=1)}
    answers.update(extra)
    return answers


def answer_sets(inst: Instrument) -> st.SearchStrategy[dict[str, str]]:
    """One option, drawn at random, for every scored item."""
    return st.fixed_dictionaries(
        {
            item.link_id: st.sampled_from([o.code for o in inst.options(item)])
            for item in inst.items
            if item.scored
        }
    )


class TestTotalsAndBandsForEveryAnswerSet:
    @pytest.mark.parametrize("inst", [PHQ9, PHQ2, GAD7], ids=lambda i: i.code)
    @given(data=st.data())
    def test_phq_family_total_is_the_sum_of_loinc_values_and_falls_in_its_band(
        self, inst: Instrument, data: st.DataObject
    ) -> None:
        answers = data.draw(answer_sets(inst))
        assert check_answers(inst, answers) == answers
        result = score(inst, answers)
        total = sum(PHQ[code] for code in answers.values())
        assert result.total == total
        assert result.band is not None
        assert result.band.code == published_band(inst.code, total)

    @given(answers=answer_sets(AUDIT), sex=st.sampled_from(SEXES))
    def test_audit_c_total_is_the_sum_and_the_band_follows_sex(
        self, answers: dict[str, str], sex: str | None
    ) -> None:
        result = score(AUDIT, check_answers(AUDIT, answers), sex=sex)
        total = sum(AUDIT_VALUES[item][code] for item, code in answers.items())
        assert result.total == total
        assert result.band is not None
        cut_off = 4 if sex == "male" else 3
        assert result.band.code == ("positive" if result.total >= cut_off else "negative")
        assert bool(result.flags) is (result.total >= cut_off)

    @given(values=st.lists(st.integers(0, 3), min_size=9, max_size=9))
    def test_phq9_safety_flag_depends_only_on_item_9(self, values: list[int]) -> None:
        flags = [f.code for f in score(PHQ9, phq9(values)).flags]
        assert flags == (["phq9-item9"] if values[8] > 0 else [])


class TestPhq9Bands:
    # Item values 1-9 written out, their total summed by hand, the band from Kroenke 2001.
    @pytest.mark.parametrize(
        ("values", "total", "band"),
        [
            ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
            ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
            ([0, 0, 0, 0, 1, 1, 1, 1, 1], 5, "mild"),
            ([3, 3, 3, 0, 0, 0, 0, 0, 0], 9, "mild"),
            ([1, 1, 1, 1, 1, 1, 1, 1, 2], 10, "moderate"),
            ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
            ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe"),
            ([3, 3, 3, 2, 2, 2, 2, 1, 1], 19, "moderately_severe"),
            ([3, 3, 3, 3, 2, 2, 2, 2, 0], 20, "severe"),
            ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
        ],
    )
    def test_phq9_total_falls_in_its_clinical_band(
        self, values: list[int], total: int, band: str
    ) -> None:
        result = score(PHQ9, phq9(values))
        assert result.total == total
        assert result.band is not None
        assert result.band.code == band

    def test_phq9_total_of_10_is_moderate(self) -> None:
        result = score(PHQ9, phq9([2, 2, 2, 2, 2, 0, 0, 0, 0]))
        assert (result.total, result.band and result.band.code) == (10, "moderate")

    def test_the_difficulty_item_does_not_add_to_the_total(self) -> None:
        answers = phq9([0] * 9, difficulty="LA6574-3")
        assert score(PHQ9, answers).total == 0

    def test_a_total_outside_the_range_has_no_band(self) -> None:
        assert band_for(PHQ9, 28) is None
        assert band_for(PHQ9, -1) is None


class TestGad7Bands:
    # Item values 1-7 written out, their total summed by hand, the band from Spitzer 2006.
    @pytest.mark.parametrize(
        ("values", "total", "band"),
        [
            ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
            ([0, 1, 0, 1, 0, 1, 1], 4, "minimal"),
            ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
            ([3, 2, 1, 1, 1, 1, 0], 9, "mild"),
            ([2, 2, 2, 2, 2, 0, 0], 10, "moderate"),
            ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
            ([3, 3, 3, 3, 3, 0, 0], 15, "severe"),
            ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),
        ],
    )
    def test_gad7_total_falls_in_its_clinical_band(
        self, values: list[int], total: int, band: str
    ) -> None:
        answers = {str(n): PHQ_BY_VALUE[v] for n, v in enumerate(values, start=1)}
        result = score(GAD7, answers)
        assert result.total == total
        assert result.band is not None
        assert result.band.code == band

    def test_gad7_raises_no_flags(self) -> None:
        assert score(GAD7, answers_summing_to(GAD7, 21)).flags == ()


class TestScreens:
    @pytest.mark.parametrize(
        ("total", "band", "flags"),
        [(0, "negative", []), (2, "negative", []), (3, "positive", ["phq2-positive"])],
    )
    def test_phq2_is_positive_from_3(self, total: int, band: str, flags: list[str]) -> None:
        result = score(PHQ2, answers_summing_to(PHQ2, total))
        assert result.band is not None
        assert result.band.code == band
        assert [f.code for f in result.flags] == flags
        assert all(f.kind == "positive_screen" for f in result.flags)

    @pytest.mark.parametrize(
        ("sex", "total", "band"),
        [
            ("male", 3, "negative"),
            ("male", 4, "positive"),
            ("female", 2, "negative"),
            ("female", 3, "positive"),
            ("other", 2, "negative"),
            ("other", 3, "positive"),
            ("unknown", 2, "negative"),
            ("unknown", 3, "positive"),
            (None, 2, "negative"),
            (None, 3, "positive"),
            ("Male", 3, "positive"),
        ],
    )
    def test_audit_c_cut_off_is_4_for_men_and_3_for_everyone_else(
        self, sex: str | None, total: int, band: str
    ) -> None:
        result = score(AUDIT, answers_summing_to(AUDIT, total), sex=sex)
        assert result.total == total
        assert result.band is not None
        assert result.band.code == band
        expected = ["audit-c-positive"] if band == "positive" else []
        assert [f.code for f in result.flags] == expected


class TestPhq9Item9:
    def test_item_9_at_0_raises_no_flag(self) -> None:
        assert score(PHQ9, phq9([3, 3, 3, 3, 3, 3, 3, 3, 0])).flags == ()

    @pytest.mark.parametrize("value", [1, 2, 3])
    def test_item_9_above_0_raises_the_safety_flag_even_with_a_minimal_total(
        self, value: int
    ) -> None:
        result = score(PHQ9, phq9([0, 0, 0, 0, 0, 0, 0, 0, value]))
        assert result.band is not None
        assert result.band.code == "minimal"
        assert [(f.code, f.kind) for f in result.flags] == [("phq9-item9", "safety")]


def cssrs(**yes: str) -> Answers:
    answers: Answers = {"q1": NO, "q2": NO, "q3": NO, "q4": NO, "q5": NO, "q6": NO}
    answers.update(yes)
    return answers


class TestSuicideRiskTriage:
    def test_all_no_is_none_without_a_flag(self) -> None:
        result = score(CSSRS, cssrs())
        assert result.band is not None
        assert (result.total, result.band.code, result.flags) == (None, "none", ())

    @pytest.mark.parametrize(
        "answers",
        [cssrs(q1=YES), cssrs(q2=YES), cssrs(q1=YES, q2=YES)],
        ids=["q1", "q2", "q1-and-q2"],
    )
    def test_wish_or_thoughts_only_is_low_without_a_safety_flag(self, answers: Answers) -> None:
        result = score(CSSRS, answers)
        assert result.band is not None
        assert result.band.code == "low"
        assert result.flags == ()

    @pytest.mark.parametrize(
        "answers",
        [cssrs(q3=YES), cssrs(q6="behaviour-over-3-months"), cssrs(q1=YES, q2=YES, q3=YES)],
        ids=["method", "behaviour-over-3-months", "method-with-q1-q2"],
    )
    def test_method_or_old_behaviour_is_moderate_with_a_safety_flag(self, answers: Answers) -> None:
        result = score(CSSRS, answers)
        assert result.band is not None
        assert result.band.code == "moderate"
        assert [(f.code, f.kind) for f in result.flags] == [("cssrs-moderate-high", "safety")]

    @pytest.mark.parametrize(
        "answers",
        [cssrs(q4=YES), cssrs(q5=YES), cssrs(q6="behaviour-past-3-months")],
        ids=["intent", "plan-with-intent", "behaviour-past-3-months"],
    )
    def test_intent_plan_or_recent_behaviour_is_high_with_a_safety_flag(
        self, answers: Answers
    ) -> None:
        result = score(CSSRS, answers)
        assert result.band is not None
        assert (result.band.code, result.band.level) == ("high", 4)
        assert [(f.code, f.kind) for f in result.flags] == [("cssrs-moderate-high", "safety")]

    def test_high_beats_moderate_when_both_match(self) -> None:
        assert triage_level(CSSRS, cssrs(q1=YES, q3=YES, q4=YES)) == "high"
        assert triage_level(CSSRS, cssrs(q3=YES, q6="behaviour-past-3-months")) == "high"


def social(**changes: str | list[str]) -> Answers:
    """A social-needs screen with no need, changed where given."""
    answers: Answers = {
        "living": "LA31993-1",
        "housing-problems": ["LA9-3"],
        "food-worry": "LA28398-8",
        "food-last": "LA28398-8",
        "transport": NO,
        "utilities": NO,
        "safety-hurt": "LA6270-8",
        "safety-insult": "LA6270-8",
        "safety-threaten": "LA6270-8",
        "safety-scream": "LA6270-8",
    }
    answers.update({k.replace("_", "-"): v for k, v in changes.items()})
    return check_answers(SOCIAL, answers)


def needs(answers: Answers) -> dict[str, tuple[str, ...]]:
    return {n.domain: n.evidence for n in positive_needs(SOCIAL, answers)}


NEVER, RARELY, SOMETIMES, FAIRLY_OFTEN, FREQUENTLY = (
    "LA6270-8",
    "LA10066-1",
    "LA10082-8",
    "LA16644-9",
    "LA6482-9",
)


class TestSocialNeeds:
    def test_a_screen_without_needs_finds_none_and_has_no_score(self) -> None:
        result = score(SOCIAL, social())
        assert (result.total, result.band, result.flags, result.needs) == (None, None, (), ())

    @pytest.mark.parametrize("living", ["LA31994-9", "LA31995-6"])
    def test_housing_is_positive_from_the_living_situation(self, living: str) -> None:
        assert needs(social(living=living)) == {"housing-instability": ("living",)}

    @pytest.mark.parametrize(
        "problem",
        [
            "LA31996-4",
            "LA28580-1",
            "LA31997-2",
            "LA31998-0",
            "LA31999-8",
            "LA32000-4",
            "LA32001-2",
        ],
    )
    def test_any_housing_problem_is_positive(self, problem: str) -> None:
        assert needs(social(housing_problems=[problem])) == {
            "housing-instability": ("housing-problems",)
        }

    def test_both_housing_items_are_evidence_when_both_are_positive(self) -> None:
        answers = social(living="LA31995-6", housing_problems=["LA28580-1", "LA32001-2"])
        assert answers["housing-problems"] == ["LA28580-1", "LA32001-2"]
        assert needs(answers) == {"housing-instability": ("living", "housing-problems")}

    def test_none_of_the_above_cannot_be_combined_with_a_problem(self) -> None:
        with pytest.raises(AnswerProblems) as caught:
            social(housing_problems=["LA9-3", "LA28580-1"])
        assert caught.value.problems == {
            "answers.housing-problems": "Problems with the place you live: "
            "'None of the above' cannot be combined with other answers."
        }

    @pytest.mark.parametrize(
        ("worry", "last", "positive"),
        [
            ("LA28397-0", "LA28398-8", ("food-worry",)),
            ("LA6729-3", "LA28398-8", ("food-worry",)),
            ("LA28398-8", "LA6729-3", ("food-last",)),
            ("LA6729-3", "LA28397-0", ("food-worry", "food-last")),
        ],
    )
    def test_food_often_or_sometimes_true_is_positive(
        self, worry: str, last: str, positive: tuple[str, ...]
    ) -> None:
        assert needs(social(food_worry=worry, food_last=last)) == {"food-insecurity": positive}

    def test_food_never_true_to_both_is_negative(self) -> None:
        assert "food-insecurity" not in needs(social())

    def test_transport_yes_is_positive_and_no_is_negative(self) -> None:
        assert needs(social(transport=YES)) == {"transportation-insecurity": ("transport",)}
        assert needs(social(transport=NO)) == {}

    @pytest.mark.parametrize("answer", [YES, "LA32002-0"], ids=["yes", "already-shut-off"])
    def test_utilities_threatened_or_shut_off_is_positive(self, answer: str) -> None:
        assert needs(social(utilities=answer)) == {"utility-insecurity": ("utilities",)}

    def test_utilities_no_is_negative(self) -> None:
        assert "utility-insecurity" not in needs(social(utilities=NO))

    def test_interpersonal_safety_sum_of_10_is_negative(self) -> None:
        answers = social(
            safety_hurt=FREQUENTLY,
            safety_insult=RARELY,
            safety_threaten=RARELY,
            safety_scream=NEVER,
        )
        assert needs(answers) == {}

    def test_interpersonal_safety_sum_of_11_is_positive(self) -> None:
        answers = social(
            safety_hurt=FREQUENTLY,
            safety_insult=RARELY,
            safety_threaten=RARELY,
            safety_scream=RARELY,
        )
        assert needs(answers) == {
            "intimate-partner-violence": (
                "safety-hurt",
                "safety-insult",
                "safety-threaten",
                "safety-scream",
            )
        }

    def test_interpersonal_safety_all_sometimes_is_positive(self) -> None:
        answers = social(
            safety_hurt=SOMETIMES,
            safety_insult=SOMETIMES,
            safety_threaten=NEVER,
            safety_scream=FAIRLY_OFTEN,
        )
        assert "intimate-partner-violence" in needs(answers)


class TestCheckAnswers:
    def test_a_full_valid_set_comes_back_as_codes(self) -> None:
        answers = phq9([1, 2, 3, 0, 1, 2, 3, 0, 1], difficulty="LA6573-5")
        assert check_answers(PHQ9, answers) == answers

    def test_the_optional_difficulty_item_may_be_omitted(self) -> None:
        answers = phq9([0] * 9)
        assert check_answers(PHQ9, answers) == answers
        assert check_answers(PHQ9, {**answers, "difficulty": ""}) == answers

    def test_a_missing_required_item_is_named(self) -> None:
        answers = phq9([0] * 9)
        del answers["9"]
        with pytest.raises(AnswerProblems) as caught:
            check_answers(PHQ9, answers)
        assert caught.value.problems == {
            "answers.9": "Item 9 — thoughts of death or self-harm: an answer is required."
        }
        assert caught.value.field == "answers.9"

    def test_every_missing_item_is_named(self) -> None:
        with pytest.raises(AnswerProblems) as caught:
            check_answers(PHQ2, {})
        assert list(caught.value.problems) == ["answers.1", "answers.2"]

    def test_an_unknown_item_is_named(self) -> None:
        with pytest.raises(AnswerProblems) as caught:
            check_answers(PHQ2, {"1": NOT_AT_ALL, "2": NOT_AT_ALL, "3": NOT_AT_ALL})
        assert caught.value.problems == {"answers.3": "PHQ-2 has no item '3'."}

    def test_an_unknown_answer_code_is_named(self) -> None:
        with pytest.raises(AnswerProblems) as caught:
            check_answers(PHQ2, {"1": NOT_AT_ALL, "2": "LA6572-7"})
        assert caught.value.problems == {
            "answers.2": "Item 2 — feeling down or hopeless: 'LA6572-7' is not one of its answers."
        }

    def test_two_answers_to_a_single_choice_item_are_refused(self) -> None:
        with pytest.raises(AnswerProblems) as caught:
            check_answers(PHQ2, {"1": [NOT_AT_ALL, SEVERAL_DAYS], "2": NOT_AT_ALL})
        assert caught.value.problems == {
            "answers.1": "Item 1 — little interest or pleasure: choose only one answer."
        }

    def test_one_answer_in_a_list_counts_as_a_single_choice(self) -> None:
        assert check_answers(PHQ2, {"1": [SEVERAL_DAYS], "2": NOT_AT_ALL}) == {
            "1": SEVERAL_DAYS,
            "2": NOT_AT_ALL,
        }

    @pytest.mark.parametrize("value", [3, {"code": NOT_AT_ALL}, 1.5, True, [3]])
    def test_an_answer_that_is_not_a_code_must_choose_one_answer(self, value: object) -> None:
        with pytest.raises(AnswerProblems) as caught:
            check_answers(PHQ2, {"1": value, "2": NOT_AT_ALL})
        assert caught.value.problems == {
            "answers.1": "Item 1 — little interest or pleasure: choose one answer."
        }

    def test_whitespace_around_codes_is_trimmed(self) -> None:
        assert check_answers(PHQ2, {"1": "  LA6570-1\n", "2": "\tLA6568-5 "}) == {
            "1": MORE_THAN_HALF,
            "2": NOT_AT_ALL,
        }

    def test_a_blank_answer_to_a_required_item_is_missing(self) -> None:
        with pytest.raises(AnswerProblems) as caught:
            check_answers(PHQ2, {"1": "   ", "2": NOT_AT_ALL})
        assert list(caught.value.problems) == ["answers.1"]

    def test_a_multiple_choice_answer_given_twice_is_refused(self) -> None:
        with pytest.raises(AnswerProblems) as caught:
            social(housing_problems=["LA28580-1", " LA28580-1"])
        assert caught.value.problems == {
            "answers.housing-problems": (
                "Problems with the place you live: an answer is given twice."
            )
        }

    def test_a_single_code_to_a_multiple_choice_item_becomes_a_list(self) -> None:
        assert social(housing_problems="LA28580-1")["housing-problems"] == ["LA28580-1"]


class TestChangedItems:
    def test_only_items_whose_value_changed_are_reported(self) -> None:
        was = phq9([1, 1, 1, 1, 1, 1, 1, 1, 0])
        now = phq9([1, 3, 1, 1, 1, 0, 1, 1, 2])
        assert changed_items(PHQ9, now, was) == {"2": (1, 3), "6": (1, 0), "9": (0, 2)}

    def test_nothing_changed_reports_nothing(self) -> None:
        answers = phq9([2] * 9)
        assert changed_items(PHQ9, answers, dict(answers)) == {}

    def test_a_first_response_has_nothing_to_compare(self) -> None:
        assert changed_items(PHQ9, phq9([2] * 9), None) == {}

    def test_a_changed_difficulty_answer_is_not_a_value_change(self) -> None:
        was = phq9([0] * 9, difficulty="LA6572-7")
        now = phq9([0] * 9, difficulty="LA6574-3")
        assert changed_items(PHQ9, now, was) == {}

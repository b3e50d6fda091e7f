"""The safety plan's pure rules: the version a change that may start the care plan names, which
entries a section may name, what changed in a safety plan between two versions, the crisis
lines file; and what closing a safety alert must say."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tandem.assessments.rules import check_alert_response
from tandem.assessments.vocab import AlertAction
from tandem.careplans.crisis_lines import CRISIS_LINES, crisis_lines, load_crisis_lines
from tandem.careplans.printout import safety_plan_section
from tandem.careplans.rules import NO_PLAN_YET, based_on_or_none, check_entry_ids, diff
from tandem.careplans.schemas import SafetyPlanRead
from tandem.careplans.vocab import SafetySection
from tandem.errors import PreconditionRequired, ValidationProblem

A = uuid.UUID("00000000-0000-0000-0000-00000000000a")
B = uuid.UUID("00000000-0000-0000-0000-00000000000b")


# -- the precondition ----------------------------------------------------------------------


@pytest.mark.parametrize(("if_none_match"), ["*", " * "])
def test_if_none_match_star_says_the_patient_has_no_plan_yet(if_none_match: str) -> None:
    assert based_on_or_none(None, if_none_match) == NO_PLAN_YET == 0


@pytest.mark.parametrize(("if_match", "version"), [('"3"', 3), ('W/"1"', 1), ("0", 0)])
def test_if_match_names_the_version_as_for_any_change(if_match: str, version: int) -> None:
    assert based_on_or_none(if_match, None) == version
    assert based_on_or_none(if_match, "") == version


@pytest.mark.parametrize(("if_match", "if_none_match"), [(None, None), ("", "  "), (" ", None)])
def test_neither_header_is_428_saying_both_ways(
    if_match: str | None, if_none_match: str | None
) -> None:
    with pytest.raises(PreconditionRequired) as refused:
        based_on_or_none(if_match, if_none_match)
    assert (refused.value.status, refused.value.field) == (428, "If-Match")
    assert "If-None-Match: *" in refused.value.message


@pytest.mark.parametrize(
    ("if_match", "if_none_match", "field"),
    [
        (None, '"3"', "If-None-Match"),
        (None, "**", "If-None-Match"),
        ('"3"', "*", "If-None-Match"),
        ("three", None, "If-Match"),
    ],
)
def test_a_malformed_precondition_is_422_naming_the_header(
    if_match: str | None, if_none_match: str | None, field: str
) -> None:
    with pytest.raises(ValidationProblem) as refused:
        based_on_or_none(if_match, if_none_match)
    assert (refused.value.status, refused.value.field) == (422, field)


# -- entries a section may name --------------------------------------------------------------


def test_a_section_names_its_own_entries_each_once_and_new_ones_without_an_id() -> None:
    check_entry_ids("warning_signs", [None, A, None, B], {A, B})
    check_entry_ids("warning_signs", [], set())


@pytest.mark.parametrize(
    ("named", "field"),
    [
        ([B], "warning_signs.0.id"),
        ([None, A, A], "warning_signs.2.id"),
        ([A, B], "warning_signs.1.id"),
    ],
    ids=["not-on-the-section", "named-twice", "second-one-elsewhere"],
)
def test_an_entry_from_elsewhere_or_named_twice_is_refused_naming_it(
    named: list[uuid.UUID | None], field: str
) -> None:
    with pytest.raises(ValidationProblem) as refused:
        check_entry_ids("warning_signs", named, {A})
    assert refused.value.field == field


# -- what changed ------------------------------------------------------------------------------


def _snapshot(reviewed_on: str | None, **sections: list[dict[str, Any]]) -> dict[str, Any]:
    every = {section.value: sections.get(section.value, []) for section in SafetySection}
    return {
        "plan": {"id": "p", "status": "active", "next_review_on": None},
        "goals": [],
        "safety_plan": {
            "id": "s",
            "reviewed_on": reviewed_on,
            "reviewed_by": "Alex Rivera" if reviewed_on else None,
            "crisis_lines": [{"code": "us-988", "name": "988", "phone": "988", "how": "Call"}],
            "sections": every,
        },
    }


def test_the_diff_names_safety_plan_entries_added_taken_off_and_changed_with_their_section() -> (
    None
):
    before = _snapshot(
        None,
        warning_signs=[{"id": "w1", "text": "I stop sleeping"}, {"id": "w2", "text": "I drink"}],
        people_to_ask=[{"id": "p1", "name": "Ana", "phone": None}],
    )
    after = _snapshot(
        "2026-03-10",
        warning_signs=[{"id": "w1", "text": "I stop sleeping for two nights"}],
        people_to_ask=[{"id": "p1", "name": "Ana", "phone": "+1 555 010 4411"}],
        reasons_for_living=[{"id": "r1", "text": "My daughter"}],
    )
    found = diff(3, before, 4, after)
    assert {k: (v.before, v.after) for k, v in found.safety_plan.items()} == {
        "reviewed_on": (None, "2026-03-10"),
        "reviewed_by": (None, "Alex Rivera"),
    }
    entries = found.safety_plan_entries
    assert entries.added == [{"section": "reasons_for_living", "id": "r1", "text": "My daughter"}]
    assert entries.removed == [{"section": "warning_signs", "id": "w2", "text": "I drink"}]
    assert [
        (c.id, {k: (v.before, v.after) for k, v in c.fields.items()}) for c in entries.changed
    ] == [
        ("w1", {"text": ("I stop sleeping", "I stop sleeping for two nights")}),
        ("p1", {"phone": (None, "+1 555 010 4411")}),
    ]
    assert found.goals.added == found.goals.removed == []


def test_a_version_before_the_safety_plan_compares_as_an_empty_one() -> None:
    after = _snapshot(None, making_safe=[{"id": "m1", "text": "Pills with my brother"}])
    found = diff(1, {"plan": {}, "goals": []}, 2, after)
    assert [e["id"] for e in found.safety_plan_entries.added] == ["m1"]
    assert found.safety_plan["crisis_lines"].before is None
    assert diff(1, {"plan": {}}, 1, {"plan": {}}).safety_plan == {}


def test_an_entry_moved_to_another_section_shows_as_changed_section() -> None:
    before = _snapshot(None, coping_strategies=[{"id": "c1", "text": "Music"}])
    after = _snapshot(None, reasons_for_living=[{"id": "c1", "text": "Music"}])
    [moved] = diff(1, before, 2, after).safety_plan_entries.changed
    assert moved.fields["section"].before == "coping_strategies"


# -- the crisis lines ----------------------------------------------------------------------------


def test_every_safety_plan_lists_the_988_lifeline_call_or_text() -> None:
    [lifeline] = crisis_lines()
    assert (lifeline.name, lifeline.phone) == ("988 Suicide & Crisis Lifeline", "988")
    assert "text" in lifeline.how.lower()
    data = json.loads(CRISIS_LINES.read_text(encoding="utf-8"))
    assert "16 July 2022" in data["source"]


@pytest.mark.parametrize(
    "change",
    [
        {"lines": []},
        {"source": ""},
        {"lines": [{"code": "a", "name": "A", "phone": "1", "how": "Call"}] * 2},
        {"lines": [{"code": "Bad Code", "name": "A", "phone": "1", "how": "Call"}]},
        {"lines": [{"code": "a", "name": "A", "phone": "", "how": "Call"}]},
        {"colour": "red"},
    ],
    ids=["no-line", "no-source", "two-with-one-code", "bad-code", "no-phone", "unknown-field"],
)
def test_a_crisis_lines_file_that_would_leave_a_plan_without_a_line_is_refused(
    tmp_path: Path, change: dict[str, Any]
) -> None:
    data = {**json.loads(CRISIS_LINES.read_text(encoding="utf-8")), **change}
    path = tmp_path / "crisis_lines.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_crisis_lines(path)


# -- closing a safety alert --------------------------------------------------------------------


def test_closing_an_alert_needs_at_least_one_action() -> None:
    with pytest.raises(ValidationProblem) as refused:
        check_alert_response([], "Called her")
    assert (refused.value.status, refused.value.field) == (422, "actions")


@pytest.mark.parametrize("words", [None, "", "   ", "\n\t"])
def test_other_needs_words_saying_what(words: str | None) -> None:
    with pytest.raises(ValidationProblem) as refused:
        check_alert_response([AlertAction.crisis_line_given, AlertAction.other], words)
    assert refused.value.field == "action_taken"


def test_other_with_a_single_word_is_enough() -> None:
    assert check_alert_response([AlertAction.other], " Visited ") == (
        [AlertAction.other],
        "Visited",
    )


@pytest.mark.parametrize("action", [a for a in AlertAction if a != AlertAction.other])
def test_any_one_action_but_other_needs_no_words(action: AlertAction) -> None:
    assert check_alert_response([action], None) == ([action], None)
    assert check_alert_response([action], "  ") == ([action], None)


def test_actions_come_back_once_each_in_the_lists_order() -> None:
    chosen, words = check_alert_response(
        [
            AlertAction.other,
            AlertAction.emergency_services,
            AlertAction.safety_plan_reviewed,
            AlertAction.other,
        ],
        "Waited with her for the ambulance",
    )
    assert chosen == [
        AlertAction.safety_plan_reviewed,
        AlertAction.emergency_services,
        AlertAction.other,
    ]
    assert words == "Waited with her for the ambulance"


def test_the_seven_actions_a_closing_offers() -> None:
    assert [a.value for a in AlertAction] == [
        "safety-plan-reviewed",
        "safety-plan-created",
        "means-safety-counselling",
        "crisis-line-given",
        "same-day-clinician-contact",
        "emergency-services",
        "other",
    ]


# -- the printed safety plan -------------------------------------------------------------------


def _read(**sections: list[Any]) -> Any:
    every = {s.value: sections.get(s.value, []) for s in SafetySection}
    return SafetyPlanRead(
        id=A,
        plan_id=B,
        plan_version=2,
        reviewed_on=None,
        reviewed_by=None,
        updated_at=datetime(2026, 3, 10, 14, 30),
        updated_by="Alex Rivera",
        crisis_lines=list(crisis_lines()),
        **every,
    )


def test_the_printed_safety_plan_has_each_written_step_with_the_crisis_line_first() -> None:
    read = _read(
        warning_signs=[{"id": A, "text": "I stop sleeping"}],
        people_to_ask=[{"id": B, "name": "Ana", "phone": "+1 555 010 4411"}],
        professionals=[{"id": A, "name": "Dr Patel", "phone": None}],
    )
    section = safety_plan_section(read, updated_on=date(2026, 3, 10))
    assert section is not None
    assert [(s.heading, s.items) for s in section.steps] == [
        ("Signs that a crisis may be coming", ("I stop sleeping",)),
        ("People I can ask for help", ("Ana — +1 555 010 4411",)),
        (
            "Professionals and services to contact",
            (
                "988 Suicide & Crisis Lifeline — Call or text 988, at any hour of any day",
                "Dr Patel",
            ),
        ),
    ]
    assert section.updated_on == date(2026, 3, 10)


def test_a_safety_plan_with_nothing_of_the_patients_own_is_not_printed() -> None:
    assert safety_plan_section(_read(), updated_on=None) is None
    assert safety_plan_section(None, updated_on=None) is None

"""assessments.definitions: the shipped instrument files, their codes, and the loader's refusals.

The LOINC codes are checked against the LOINC panels. Each refusal starts from a real instrument
file, breaks one thing in it, and writes it to a temporary directory for ``load_directory``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tandem.assessments.definitions import (
    INSTRUMENT_DIR,
    LOINC,
    Instrument,
    InstrumentError,
    instrument,
    instruments,
    load_directory,
)

SHIPPED = ("phq-9", "phq-2", "gad-7", "audit-c", "social-needs", "suicide-risk")

PHQ9_ITEMS = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
GAD7_ITEMS = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
SOCIAL_NEEDS_ITEMS = (
    "71802-3",
    "96778-6",
    "88122-7",
    "88123-5",
    "93030-5",
    "96779-4",
    "95618-5",
    "95617-7",
    "95616-9",
    "95615-1",
)
PHQ_ANSWERS = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}


def shipped(code: str) -> Instrument:
    found = instrument(code)
    assert found is not None, code
    return found


def raw(code: str) -> dict[str, Any]:
    """A shipped instrument file as a plain dict, ready to be broken."""
    loaded: dict[str, Any] = json.loads((INSTRUMENT_DIR / f"{code}.json").read_text("utf-8"))
    return loaded


def write(directory: Path, name: str, data: dict[str, Any]) -> None:
    (directory / name).write_text(json.dumps(data), "utf-8")


def refused(directory: Path) -> str:
    with pytest.raises(InstrumentError) as caught:
        load_directory(directory)
    return str(caught.value)


class TestShippedInstruments:
    def test_every_shipped_instrument_loads(self) -> None:
        assert sorted(instruments()) == sorted(SHIPPED)

    def test_the_shipped_directory_loads_through_the_same_loader(self) -> None:
        assert sorted(load_directory(INSTRUMENT_DIR)) == sorted(SHIPPED)

    @pytest.mark.parametrize("code", SHIPPED)
    def test_each_instrument_is_keyed_by_its_own_code(self, code: str) -> None:
        assert shipped(code).code == code

    @pytest.mark.parametrize("code", SHIPPED)
    def test_each_instrument_names_its_source_and_copyright(self, code: str) -> None:
        definition = shipped(code)
        assert definition.source.strip()
        assert definition.copyright.strip()

    @pytest.mark.parametrize("code", SHIPPED)
    def test_each_flag_need_and_trajectory_rule_names_its_source(self, code: str) -> None:
        definition = shipped(code)
        sources = [f.source for f in definition.flags] + [n.source for n in definition.needs]
        rules = definition.trajectory
        if rules is not None:
            sources += [
                rules.source,
                rules.significant_change_source,
                rules.current_for_source,
                rules.relapse_source,
            ]
        assert all(s.strip() for s in sources)

    def test_an_unknown_instrument_code_is_none(self) -> None:
        assert instrument("phq-10") is None

    def test_only_phq9_and_gad7_are_followed_over_time(self) -> None:
        followed = sorted(c for c, i in instruments().items() if i.trajectory is not None)
        assert followed == ["gad-7", "phq-9"]


class TestLoincCodes:
    def test_phq9_panel_items_in_order_difficulty_and_total(self) -> None:
        phq9 = shipped("phq-9")
        assert phq9.panel_code == "44249-1"
        assert phq9.panel_system == LOINC
        assert tuple(i.code for i in phq9.items) == (*PHQ9_ITEMS, "69722-7")
        assert all(i.system == LOINC for i in phq9.items)
        assert phq9.scoring.code == "44261-6"
        assert (phq9.scoring.min, phq9.scoring.max) == (0, 27)

    def test_phq9_item_9_is_the_self_harm_item(self) -> None:
        assert shipped("phq-9").item("9").code == "44260-8"

    def test_phq9_difficulty_item_is_optional_and_unscored(self) -> None:
        difficulty = shipped("phq-9").item("difficulty")
        assert difficulty.code == "69722-7"
        assert difficulty.required is False
        assert difficulty.scored is False

    @pytest.mark.parametrize("code", ["phq-9", "phq-2", "gad-7"])
    def test_phq_answers_carry_their_loinc_values(self, code: str) -> None:
        definition = shipped(code)
        options = definition.answer_lists["phq"]
        assert {o.code: o.value for o in options} == PHQ_ANSWERS
        assert [o.code for o in options] == list(PHQ_ANSWERS)
        assert all(o.system == LOINC for o in options)
        assert {i.answers for i in definition.items if i.scored} == {"phq"}

    def test_phq2_panel_items_and_total(self) -> None:
        phq2 = shipped("phq-2")
        assert phq2.panel_code == "55757-9"
        assert tuple(i.code for i in phq2.items) == ("44250-9", "44255-8")
        assert phq2.scoring.code == "55758-7"
        assert (phq2.scoring.min, phq2.scoring.max) == (0, 6)

    def test_gad7_panel_items_in_order_and_total(self) -> None:
        gad7 = shipped("gad-7")
        assert gad7.panel_code == "69737-5"
        assert tuple(i.code for i in gad7.items) == GAD7_ITEMS
        assert gad7.scoring.code == "70274-6"
        assert (gad7.scoring.min, gad7.scoring.max) == (0, 21)

    def test_audit_c_panel_and_total(self) -> None:
        audit = shipped("audit-c")
        assert audit.panel_code == "72109-2"
        assert audit.scoring.code == "75626-2"
        assert (audit.scoring.min, audit.scoring.max) == (0, 12)
        assert tuple(i.code for i in audit.items) == ("68518-0", "68519-8", "68520-6")

    def test_social_needs_panel_and_items_in_order(self) -> None:
        social = shipped("social-needs")
        assert social.panel_code == "96777-8"
        assert tuple(i.code for i in social.items) == SOCIAL_NEEDS_ITEMS
        assert social.scoring.method == "none"
        assert set(social.category) == {"survey", "social-history"}

    def test_social_needs_food_answers(self) -> None:
        often = shipped("social-needs").answer_lists["often"]
        assert [(o.code, o.positive) for o in often] == [
            ("LA28397-0", True),
            ("LA6729-3", True),
            ("LA28398-8", False),
        ]

    def test_suicide_risk_panel_and_first_item(self) -> None:
        cssrs = shipped("suicide-risk")
        assert cssrs.panel_code == "93373-9"
        assert cssrs.items[0].code == "93246-7"
        assert [i.link_id for i in cssrs.items] == ["q1", "q2", "q3", "q4", "q5", "q6"]
        assert cssrs.scoring.method == "rules"


class TestBandsAndRulesInTheFiles:
    def test_phq9_bands_follow_clinical_md(self) -> None:
        bands = [(b.code, b.min, b.max) for b in shipped("phq-9").bands]
        assert bands == [
            ("minimal", 0, 4),
            ("mild", 5, 9),
            ("moderate", 10, 14),
            ("moderately_severe", 15, 19),
            ("severe", 20, 27),
        ]

    def test_gad7_bands_follow_clinical_md(self) -> None:
        bands = [(b.code, b.min, b.max) for b in shipped("gad-7").bands]
        assert bands == [
            ("minimal", 0, 4),
            ("mild", 5, 9),
            ("moderate", 10, 14),
            ("severe", 15, 21),
        ]

    def test_phq9_item9_flag_is_a_safety_flag_from_a_value_of_1(self) -> None:
        (flag,) = shipped("phq-9").flags
        assert (flag.code, flag.kind, flag.item, flag.value_at_least) == (
            "phq9-item9",
            "safety",
            "9",
            1,
        )
        assert flag.bands == ()

    @pytest.mark.parametrize("code", ["phq-9", "gad-7"])
    def test_trajectory_rules_are_50_percent_drop_and_below_5(self, code: str) -> None:
        rules = shipped(code).trajectory
        assert rules is not None
        assert (rules.response_drop, rules.remission_below) == (0.5, 5)

    def test_phq9_changes_by_5_points_and_relapses_back_to_10_or_5_above_the_lowest(self) -> None:
        # Löwe et al., Med Care 2004 (5 points); the moderate band starts at 10.
        rules = shipped("phq-9").trajectory
        assert rules is not None
        assert (rules.significant_change, rules.relapse_at_least, rules.relapse_rise) == (5, 10, 5)
        assert rules.current_for_days == 35

    def test_gad7_changes_by_4_points_its_minimal_important_difference(self) -> None:
        # Toussaint et al., J Affect Disord 2020; the probable-GAD cut-off is 10.
        rules = shipped("gad-7").trajectory
        assert rules is not None
        assert (rules.significant_change, rules.relapse_at_least, rules.relapse_rise) == (4, 10, 4)

    def test_interpersonal_safety_is_positive_from_a_sum_of_11(self) -> None:
        (ipv,) = [n for n in shipped("social-needs").needs if n.sum_at_least is not None]
        assert ipv.domain == "intimate-partner-violence"
        assert ipv.sum_at_least == 11


# --- The loader's refusals -----------------------------------------------------------------


def _band_gap(d: dict[str, Any]) -> None:
    d["bands"][1]["min"] = 6


def _band_overlap(d: dict[str, Any]) -> None:
    d["bands"][1]["min"] = 4


def _bands_stop_short(d: dict[str, Any]) -> None:
    d["bands"][-1]["max"] = 26


def _unscored_answer_on_scored_item(d: dict[str, Any]) -> None:
    d["items"][-1]["scored"] = True  # the difficulty answers carry no value


def _unscored_answer_in_list(d: dict[str, Any]) -> None:
    del d["answer_lists"]["phq"][3]["value"]


def _max_unreachable(d: dict[str, Any]) -> None:
    d["scoring"]["max"] = 30
    d["bands"][-1]["max"] = 30


def _min_unreachable(d: dict[str, Any]) -> None:
    d["scoring"]["min"] = 1
    d["bands"][0]["min"] = 1


def _flag_unknown_item(d: dict[str, Any]) -> None:
    d["flags"][0]["item"] = "10"


def _flag_unknown_band(d: dict[str, Any]) -> None:
    d["flags"][0]["bands"] = ["extreme"]


def _flag_without_condition(d: dict[str, Any]) -> None:
    d["flags"][0]["item"] = None


def _duplicate_link_id(d: dict[str, Any]) -> None:
    d["items"][1]["link_id"] = "1"


def _unknown_answer_list(d: dict[str, Any]) -> None:
    d["items"][0]["answers"] = "yes-no"


def _relapse_beyond_the_scores(d: dict[str, Any]) -> None:
    d["trajectory"]["relapse_at_least"] = 28


def _unknown_field(d: dict[str, Any]) -> None:
    d["items"][0]["reqired"] = False


BROKEN_FILES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("phq-9", _band_gap, "leave a gap"),
    ("phq-9", _band_overlap, "leave a gap"),
    ("phq-9", _bands_stop_short, "stop short"),
    ("phq-9", _unscored_answer_on_scored_item, "unscored answer"),
    ("phq-9", _unscored_answer_in_list, "unscored answer"),
    ("phq-9", _max_unreachable, "not the stated 0 to 30"),
    ("phq-9", _min_unreachable, "not the stated 1 to 27"),
    ("phq-9", _flag_unknown_item, "names unknown item"),
    ("phq-2", _flag_unknown_band, "names unknown band"),
    ("phq-9", _flag_without_condition, "has no condition"),
    ("phq-9", _duplicate_link_id, "duplicate item link ids"),
    ("phq-9", _unknown_answer_list, "unknown answer list"),
    ("phq-9", _relapse_beyond_the_scores, "relapse_at_least lies outside the scores"),
    ("phq-9", _unknown_field, "reqired"),
]


class TestLoaderRefusals:
    @pytest.mark.parametrize("code", SHIPPED)
    def test_an_unmodified_copy_of_each_file_loads(self, tmp_path: Path, code: str) -> None:
        # With the instruments its flags prompt for (and theirs), which must be there too.
        needed, pending = set(), [code]
        while pending:
            name = pending.pop()
            if name not in needed:
                needed.add(name)
                pending += [f["prompt"] for f in raw(name).get("flags", []) if f.get("prompt")]
        for name in needed:
            write(tmp_path, f"{name}.json", raw(name))
        assert sorted(load_directory(tmp_path)) == sorted(needed)

    @pytest.mark.parametrize(
        ("code", "breaks", "message"),
        BROKEN_FILES,
        ids=[b.__name__[1:] for _, b, _ in BROKEN_FILES],
    )
    def test_an_inconsistent_file_is_refused(
        self,
        tmp_path: Path,
        code: str,
        breaks: Callable[[dict[str, Any]], None],
        message: str,
    ) -> None:
        data = raw(code)
        breaks(data)
        write(tmp_path, "broken.json", data)
        problem = refused(tmp_path)
        assert problem.startswith("broken.json: ")
        assert message in problem

    def test_audit_c_female_bands_with_a_gap_are_refused(self, tmp_path: Path) -> None:
        data = raw("audit-c")
        female_positive = [b for b in data["bands"] if "female" in b["sex"]][1]
        female_positive["min"] = 4
        write(tmp_path, "audit-c.json", data)
        assert "bands for female leave a gap" in refused(tmp_path)

    def test_sex_specific_bands_that_forget_a_sex_are_refused(self, tmp_path: Path) -> None:
        data = raw("audit-c")
        for band in data["bands"]:
            if "female" in band["sex"]:
                band["sex"] = ["female", "other"]
        write(tmp_path, "audit-c.json", data)
        assert "bands for unknown" in refused(tmp_path)

    def test_a_need_naming_an_unknown_item_is_refused(self, tmp_path: Path) -> None:
        data = raw("social-needs")
        data["needs"][0]["items"].append("shelter")
        write(tmp_path, "social-needs.json", data)
        assert "need housing-instability names unknown item" in refused(tmp_path)

    def test_a_triage_level_naming_an_unknown_answer_is_refused(self, tmp_path: Path) -> None:
        data = raw("suicide-risk")
        data["scoring"]["levels"][0]["any"][0]["answers"] = ["LA99-9"]
        write(tmp_path, "suicide-risk.json", data)
        assert "rule names unknown answer for q4" in refused(tmp_path)

    def test_a_triage_level_naming_an_unknown_item_is_refused(self, tmp_path: Path) -> None:
        data = raw("suicide-risk")
        data["scoring"]["levels"][0]["any"][0]["item"] = "q7"
        write(tmp_path, "suicide-risk.json", data)
        assert "q7" in refused(tmp_path)

    def test_triage_levels_that_differ_from_the_bands_are_refused(self, tmp_path: Path) -> None:
        data = raw("suicide-risk")
        data["scoring"]["default_level"] = "minimal"
        write(tmp_path, "suicide-risk.json", data)
        assert "triage levels and bands differ" in refused(tmp_path)

    def test_a_flag_prompting_for_an_unknown_instrument_is_refused(self, tmp_path: Path) -> None:
        data = raw("phq-2")
        data["flags"][0]["prompt"] = "phq-99"
        write(tmp_path, "phq-2.json", data)
        assert (
            refused(tmp_path) == "phq-2: flag phq2-positive prompts for unknown instrument phq-99"
        )

    def test_shipped_flags_prompt_for_the_next_instrument(self) -> None:
        prompts = {f.code: f.prompt for i in instruments().values() for f in i.flags}
        assert prompts["phq2-positive"] == "phq-9"
        assert prompts["phq9-item9"] == "suicide-risk"

    def test_the_same_instrument_code_in_two_files_is_refused(self, tmp_path: Path) -> None:
        write(tmp_path, "a.json", raw("phq-9"))
        write(tmp_path, "b.json", raw("phq-9"))
        assert refused(tmp_path) == "b.json: instrument phq-9 defined twice"

    def test_invalid_json_is_refused(self, tmp_path: Path) -> None:
        write(tmp_path, "phq-9.json", raw("phq-9"))
        (tmp_path / "broken.json").write_text('{"code": "phq-9",', "utf-8")
        assert refused(tmp_path).startswith("broken.json: ")

    def test_an_empty_directory_is_refused(self, tmp_path: Path) -> None:
        assert refused(tmp_path) == f"no instrument definitions in {tmp_path}"

    def test_files_that_are_not_json_are_ignored(self, tmp_path: Path) -> None:
        (tmp_path / "README.md").write_text("not an instrument", "utf-8")
        assert "no instrument definitions" in refused(tmp_path)

    def test_one_bad_file_refuses_the_whole_directory(self, tmp_path: Path) -> None:
        write(tmp_path, "gad-7.json", raw("gad-7"))
        data = raw("phq-9")
        _band_gap(data)
        write(tmp_path, "phq-9.json", data)
        assert refused(tmp_path).startswith("phq-9.json: ")

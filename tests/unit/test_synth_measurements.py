"""Synthetic measurement histories: deterministic, scored exactly as the service scores, with
courses the measurement-based-care rules judge as intended, and safety alerts where item 9 is
positive."""

from __future__ import annotations

import functools
import random
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.assessments.definitions import instrument
from tandem.assessments.rules import (
    Measurement,
    TrajectorySummary,
    check_need_transition,
    score,
    summarise,
)
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.synth.courses import WINDOW_DAYS, Course, HistoryRates, plan_course
from tandem.synth.network import scaled_network
from tandem.synth.population import Bundle, PopulationSpec, generate

AS_OF = date(2026, 3, 10)
# The service's defaults, read from the settings (not a copy of their numbers).
DEFAULTS = TrajectorySettings()
PATIENTS = 600


def _spec(count: int = PATIENTS, seed: int = 3, **history: Any) -> PopulationSpec:
    return PopulationSpec(
        namespace="synth",
        seed=seed,
        block=seed,
        count=count,
        as_of=AS_OF,
        history=HistoryRates(**history),
    )


def _population(spec: PopulationSpec) -> list[Bundle]:
    network = scaled_network(spec.count, spec.seed, as_of=spec.as_of, password_hash="x")
    return list(generate(spec, network.pool))


@functools.cache
def population() -> list[Bundle]:
    return _population(_spec())


def _rows(bundles: list[Bundle]) -> list[Any]:
    return [(b.patient, b.members, b.enrolments, b.history) for b in bundles]


def _phq9(bundle: Bundle) -> list[dict[str, Any]]:
    return sorted(
        (r for r in bundle.history.responses if r["instrument"] == "phq-9"),
        key=lambda r: (r["answered_on"], r["recorded_at"]),
    )


def _enrolled_on(bundle: Bundle) -> date | None:
    current = bundle.enrolments[-1]
    return current["start_date"] if current["status"] == "active" else None


def _judged(bundle: Bundle) -> TrajectorySummary:
    """The trajectory judgement the service would make today, with the default settings."""
    definition = instrument("phq-9")
    assert definition is not None and definition.trajectory is not None
    return summarise(
        [Measurement(r["answered_on"], r["total_score"]) for r in _phq9(bundle)],
        today=AS_OF,
        enrolled_on=_enrolled_on(bundle),
        remission_below=definition.trajectory.remission_below,
        response_drop=definition.trajectory.response_drop,
        not_improving_weeks=DEFAULTS.not_improving_weeks,
        baseline_lookback_days=DEFAULTS.baseline_lookback_days,
    )


def _enrolled(course: Course) -> list[Bundle]:
    return [b for b in population() if b.history.course == course and _enrolled_on(b) is not None]


# --- determinism -------------------------------------------------------------------------------


def test_same_spec_gives_the_same_histories_row_for_row() -> None:
    spec = _spec(count=80)
    assert _rows(_population(spec)) == _rows(_population(spec))


def test_another_seed_gives_other_histories() -> None:
    first = [r["total_score"] for b in _population(_spec(count=40)) for r in _phq9(b)]
    other = [r["total_score"] for b in _population(_spec(count=40, seed=4)) for r in _phq9(b)]
    assert first != other


def test_histories_leave_the_rest_of_the_population_as_it_was() -> None:
    with_history = _population(_spec(count=60))
    without = _population(_spec(count=60, min_phq9=0))
    for a, b in zip(with_history, without, strict=True):
        assert not b.history.responses
        assert a.members == b.members and a.enrolments == b.enrolments
        # Only the registration moment moves, to before the first measurement.
        moved = {"created_at", "updated_at"}
        assert {k: v for k, v in a.patient.items() if k not in moved} == {
            k: v for k, v in b.patient.items() if k not in moved
        }
        assert a.patient["created_at"] <= b.patient["created_at"]


# --- the rows say what the published scoring says ------------------------------------------------

# LOINC answer list LL358-3 (PHQ-9 and GAD-7): the value of each answer code.
PHQ_VALUES = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}
YES = "LA33-6"
# Published severity bands: PHQ-9 (Kroenke 2001) and GAD-7 (Spitzer 2006).
PHQ9_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate")]
PHQ9_BANDS += [(15, 19, "moderately_severe"), (20, 27, "severe")]
GAD7_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]
# The LOINC code of each instrument's total (or triage result) observation.
RESULT_CODES = {"phq-9": "44261-6", "gad-7": "70274-6", "suicide-risk": "93373-9"}


def published_band(bands: list[tuple[int, int, str]], total: int) -> str:
    [band] = [code for low, high, code in bands if low <= total <= high]
    return band


def hand_total(answers: dict[str, Any], items: int) -> int:
    """The sum of items 1..items, from the answer list's published values."""
    return sum(PHQ_VALUES[answers[str(n)]] for n in range(1, items + 1))


def cssrs_triage(answers: dict[str, Any]) -> str:
    """C-SSRS screener triage (Columbia), written out: the highest level any answer meets."""
    if YES in (answers["q4"], answers["q5"]) or answers["q6"] == "behaviour-past-3-months":
        return "high"
    if answers["q3"] == YES or answers["q6"] == "behaviour-over-3-months":
        return "moderate"
    if YES in (answers["q1"], answers["q2"]):
        return "low"
    return "none"


def test_the_hand_oracles_agree_with_worked_examples() -> None:
    # 3+3+3+3+3+2+1+0, and item 9 at 1.
    answers = {"1": "LA6571-9", "2": "LA6571-9", "3": "LA6571-9", "4": "LA6571-9"}
    answers |= {"5": "LA6571-9", "6": "LA6570-1", "7": "LA6569-3", "8": "LA6568-5"}
    answers["9"] = "LA6569-3"
    assert hand_total(answers, 9) == 3 * 5 + 2 + 1 + 0 + 1 == 19
    assert published_band(PHQ9_BANDS, 19) == "moderately_severe"
    assert published_band(GAD7_BANDS, 15) == "severe"
    no = {f"q{n}": "LA32-8" for n in range(1, 7)}
    assert cssrs_triage(no | {"q2": YES, "q3": YES}) == "moderate"


def _check_against_the_published_scoring(bundle: Bundle) -> None:
    observations: dict[Any, list[dict[str, Any]]] = {}
    for row in bundle.history.observations:
        observations.setdefault(row["response_id"], []).append(row)
    for row in bundle.history.responses:
        answers = row["answers"]
        stored = observations.pop(row["id"], [])
        for o in stored:
            assert o["status"] == "final"
            assert o["effective_on"] == row["answered_on"]
            assert o["recorded_at"] == row["recorded_at"]
            assert o["instrument"] == row["instrument"]
        results = [o for o in stored if o["code"] == RESULT_CODES.get(row["instrument"])]
        if row["instrument"] == "phq-9":
            total = hand_total(answers, 9)
            band = published_band(PHQ9_BANDS, total)
            assert (row["total_score"], row["band"]) == (total, band)
            assert row["flags"] == (["phq9-item9"] if answers["9"] != "LA6568-5" else [])
        elif row["instrument"] == "gad-7":
            total = hand_total(answers, 7)
            band = published_band(GAD7_BANDS, total)
            assert (row["total_score"], row["band"], row["flags"]) == (total, band, [])
        elif row["instrument"] == "suicide-risk":
            band = cssrs_triage(answers)
            assert (row["total_score"], row["band"]) == (None, band)
            flagged = band in ("moderate", "high")
            assert row["flags"] == (["cssrs-moderate-high"] if flagged else [])
        else:
            assert row["instrument"] == "social-needs"
            assert (row["total_score"], row["band"]) == (None, None)
            # One coded observation per answered item that belongs to a need domain.
            assert {o["code"] for o in stored} and all(o["value_code"] for o in stored)
            continue
        [result] = results
        assert (result["value_integer"], result["value_code"]) == (row["total_score"], band)
    assert not observations, "observations without their response"


def test_every_generated_response_scores_as_the_published_scoring_says() -> None:
    for bundle in population()[:200]:
        _check_against_the_published_scoring(bundle)


@settings(max_examples=12)
@given(seed=st.integers(min_value=0, max_value=8999), index=st.integers(min_value=0, max_value=9))
def test_responses_of_any_population_score_as_published(seed: int, index: int) -> None:
    bundle = _population(_spec(count=10, seed=seed))[index]
    _check_against_the_published_scoring(bundle)


def test_phq9_answers_add_up_and_item_9_is_zero_unless_flagged() -> None:
    definition = instrument("phq-9")
    assert definition is not None
    for bundle in population()[:200]:
        for row in _phq9(bundle):
            item9 = row["answers"]["9"]
            assert (item9 != "LA6568-5") == ("phq9-item9" in row["flags"])
            assert set(row["answers"]) <= {str(n) for n in range(1, 10)} | {"difficulty"}


# --- history shape ------------------------------------------------------------------------------


def test_every_enrolled_patient_has_at_least_twelve_phq9s_within_two_years() -> None:
    enrolled = [b for b in population() if _enrolled_on(b) is not None]
    assert len(enrolled) > PATIENTS * 0.9
    for bundle in enrolled:
        days = [r["answered_on"] for r in _phq9(bundle)]
        assert len(days) >= 12
        assert min(days) >= AS_OF - timedelta(days=WINDOW_DAYS)
        assert max(days) < AS_OF


def test_the_minimum_number_of_measurements_follows_the_option() -> None:
    for bundle in _population(_spec(count=40, min_phq9=20)):
        if _enrolled_on(bundle) is not None:
            assert len(_phq9(bundle)) >= 20


def test_measurements_are_two_to_six_weeks_apart_in_the_episode() -> None:
    for bundle in population()[:200]:
        days = sorted({r["answered_on"] for r in _phq9(bundle)})
        gaps = [(b - a).days for a, b in pairwise(days)]
        # An extra check-in after a worrying call, or an overdue patient, may break the rhythm.
        assert sum(1 for g in gaps if not 7 <= g <= 42) <= 1


def test_patients_are_registered_before_their_first_measurement() -> None:
    for bundle in population():
        recorded = [r["recorded_at"] for r in bundle.history.responses]
        if recorded:
            assert bundle.patient["created_at"] < min(recorded)


def test_a_good_share_also_have_gad7_and_some_a_social_needs_screen() -> None:
    with_gad7 = sum(
        1 for b in population() if any(r["instrument"] == "gad-7" for r in b.history.responses)
    )
    screened = sum(
        1
        for b in population()
        if any(r["instrument"] == "social-needs" for r in b.history.responses)
    )
    assert 0.3 < with_gad7 / PATIENTS < 0.5
    assert 0.25 < screened / PATIENTS < 0.45


# --- courses and their judgements (NCQA HEDIS DRR) ----------------------------------------------


def test_all_four_courses_occur() -> None:
    courses = Counter(b.history.course for b in population())
    assert set(courses) >= set(Course)
    assert courses[Course.improving] > courses[Course.relapsing]


def test_a_not_improving_patient_is_judged_not_improving_after_ten_weeks() -> None:
    judged = 0
    for bundle in _enrolled(Course.not_improving):
        summary = _judged(bundle)
        assert not summary.response and not summary.remission
        assert summary.latest is not None and summary.latest.score >= 10
        if summary.weeks_since_baseline is not None and summary.weeks_since_baseline >= 10:
            assert summary.not_improving
            judged += 1
    assert judged > 10


def test_an_improving_patient_reaches_response_once_settled() -> None:
    judged = 0
    for bundle in _enrolled(Course.improving):
        summary = _judged(bundle)
        if summary.weeks_since_baseline is not None and summary.weeks_since_baseline >= 30:
            assert summary.response
            assert not summary.not_improving
            judged += 1
    assert judged > 10
    remitted = sum(1 for b in _enrolled(Course.improving) if _judged(b).remission)
    assert remitted > 0


def test_a_relapsing_patient_responded_then_worsened() -> None:
    judged = 0
    for bundle in _enrolled(Course.relapsing):
        summary = _judged(bundle)
        assert summary.baseline is not None
        follow_ups = [
            r["total_score"] for r in _phq9(bundle) if r["answered_on"] > summary.baseline.on
        ]
        assert min(follow_ups) <= summary.baseline.score / 2
        assert not summary.response and not summary.remission
        assert summary.not_improving
        judged += 1
    assert judged > 5


def test_a_steady_mild_patient_stays_in_the_mild_band() -> None:
    for bundle in _enrolled(Course.steady_mild):
        summary = _judged(bundle)
        assert summary.baseline is not None
        in_episode = [r for r in _phq9(bundle) if r["answered_on"] >= summary.baseline.on]
        assert {r["band"] for r in in_episode} == {"mild"}


@settings(max_examples=300)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    enrolled_days_ago=st.integers(min_value=3, max_value=720),
    phase=st.sampled_from(["active", "relapse_prevention"]),
    wanted=st.sampled_from([1, 12, 12, 12, 20, 30]),
)
def test_course_plans_keep_their_promises(
    seed: int, enrolled_days_ago: int, phase: str, wanted: int
) -> None:
    enrolled_on = AS_OF - timedelta(days=enrolled_days_ago)
    plan = plan_course(
        random.Random(seed),
        enrolled_on=enrolled_on,
        ended_on=None,
        phase=phase,
        as_of=AS_OF,
        rates=HistoryRates(min_phq9=wanted),
    )
    assert plan is not None
    assert len(plan.check_ins) >= wanted
    days = [c.on for c in plan.check_ins]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert AS_OF - timedelta(days=WINDOW_DAYS) <= days[0] and days[-1] < AS_OF
    assert all(0 <= c.phq9 <= 24 and c.phq9 >= c.item9 for c in plan.check_ins)
    assert sum(c.open_alert for c in plan.check_ins) <= 1
    assert not any(c.open_alert for c in plan.check_ins[:-1])
    episode = [c for c in plan.check_ins if c.in_episode]
    # The baseline is the screen that led to enrolment: inside the look-back, before the rest.
    assert enrolled_on - timedelta(days=14) <= episode[0].on <= enrolled_on
    assert all(c.on < enrolled_on - timedelta(days=14) for c in plan.check_ins if not c.in_episode)


# --- safety alerts -------------------------------------------------------------------------------


def _lead(bundle: Bundle) -> Any:
    leads = [
        m["user_id"]
        for m in bundle.members
        if m["role"] == "lead_care_manager" and m["status"] == "active"
    ]
    assert len(leads) == 1
    return leads[0]


def test_every_item9_positive_raised_one_alert_with_the_flag_message() -> None:
    flag = instrument("phq-9").flags[0]  # type: ignore[union-attr]
    positives = 0
    for bundle in population():
        alerts = {a["response_id"]: a for a in bundle.history.alerts}
        for row in _phq9(bundle):
            if "phq9-item9" in row["flags"]:
                positives += 1
                alert = alerts.pop(row["id"])
                assert (alert["code"], alert["message"]) == (flag.code, flag.message)
                assert alert["raised_at"] == row["recorded_at"]
        assert not alerts
    assert positives > 0


def test_open_alerts_are_on_the_latest_phq9_and_tell_the_lead_care_manager() -> None:
    with_open = 0
    for bundle in population():
        open_ = [a for a in bundle.history.alerts if a["status"] == "active"]
        if not open_:
            continue
        with_open += 1
        assert len(open_) == 1
        assert open_[0]["response_id"] == _phq9(bundle)[-1]["id"]
        assert AS_OF - _phq9(bundle)[-1]["answered_on"] <= timedelta(days=14)
        told = [n for n in bundle.history.notifications if n["created_at"] == open_[0]["raised_at"]]
        assert [n["user_id"] for n in told] == [_lead(bundle)]
        assert told[0]["priority"] == "urgent" and told[0]["read_at"] is None
        assert told[0]["kind"] == "safety_alert"
        assert told[0]["link"] == f"/patients/{bundle.patient['id']}/safety"
        assert told[0]["message"].startswith(
            f"Safety alert for {bundle.patient['family_name']}, {bundle.patient['given_name']}:"
        )
    # A small share, so that caseloads look real.
    assert 0.01 <= with_open / PATIENTS <= 0.05


def test_earlier_alerts_are_resolved_by_the_team_after_a_risk_screen() -> None:
    resolved = 0
    for bundle in population():
        team = {m["user_id"] for m in bundle.members if m["user_id"] is not None}
        screens = [r for r in bundle.history.responses if r["instrument"] == "suicide-risk"]
        for alert in bundle.history.alerts:
            if alert["status"] != "resolved":
                continue
            resolved += 1
            assert alert["resolved_by"] in team
            assert len(alert["action_taken"]) >= 10
            assert alert["resolved_at"] > alert["raised_at"]
            assert any(
                alert["raised_at"] < s["recorded_at"] < alert["resolved_at"]
                and s["band"] in ("none", "low")
                for s in screens
            )
    assert resolved > 0


# --- needs from social-needs screens -------------------------------------------------------------


def test_needs_come_from_positive_screens_with_their_evidence_and_history() -> None:
    needs = 0
    for bundle in population():
        screens = {
            r["id"]: r for r in bundle.history.responses if r["instrument"] == "social-needs"
        }
        events: dict[Any, list[dict[str, Any]]] = {}
        for event in bundle.history.need_events:
            events.setdefault(event["need_id"], []).append(event)
        for need in bundle.history.needs:
            needs += 1
            (evidence,) = need["evidence"]
            screen = screens[next(k for k in screens if str(k) == evidence["response_id"])]
            definition = instrument("social-needs")
            assert definition is not None
            result = score(definition, screen["answers"])
            assert need["domain"] in {n.domain for n in result.needs}
            assert need["origin"] == "screen" and need["identified_on"] == screen["answered_on"]
            steps = sorted(events[need["id"]], key=lambda e: e["at"])
            assert steps[0]["from_status"] is None and steps[0]["to_status"] == "identified"
            for before, after in pairwise(steps):
                assert after["from_status"] == before["to_status"]
                check_need_transition(after["from_status"], after["to_status"], after["reason"])
            assert steps[-1]["to_status"] == need["status"]
            assert need["version"] == len(steps)
    assert needs > 0


@pytest.mark.parametrize("min_phq9", [0])
def test_no_history_when_switched_off(min_phq9: int) -> None:
    for bundle in _population(_spec(count=30, min_phq9=min_phq9)):
        assert not bundle.history.responses and not bundle.history.alerts

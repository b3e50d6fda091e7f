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
from tandem.assessments.models import Response
from tandem.assessments.rules import (
    Measurement,
    TrajectorySummary,
    check_answers,
    check_need_transition,
    score,
    summarise,
)
from tandem.assessments.service.observations import derived_values
from tandem.synth.courses import WINDOW_DAYS, Course, HistoryRates, plan_course
from tandem.synth.network import scaled_network
from tandem.synth.population import Bundle, PopulationSpec, generate

AS_OF = date(2026, 3, 10)
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
        not_improving_weeks=10,
        baseline_lookback_days=14,
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


# --- the rows are what the service writes ------------------------------------------------------


def _check_against_the_rules(bundle: Bundle) -> None:
    observations: dict[Any, list[dict[str, Any]]] = {}
    for row in bundle.history.observations:
        observations.setdefault(row["response_id"], []).append(row)
    for row in bundle.history.responses:
        definition = instrument(row["instrument"])
        assert definition is not None
        assert row["instrument_version"] == definition.version
        answers = check_answers(definition, row["answers"])
        assert answers == row["answers"]
        result = score(definition, answers, sex=bundle.patient["gender"])
        assert row["total_score"] == result.total
        assert row["band"] == (result.band.code if result.band else None)
        assert row["band_level"] == (result.band.level if result.band else None)
        assert row["flags"] == [f.code for f in result.flags]
        expected = derived_values(definition, Response(answers=answers), result)
        stored = observations.pop(row["id"], [])
        assert [
            (
                o["system"],
                o["code"],
                o["display"],
                o["category"],
                o["value_integer"],
                o["value_code"],
                o["value_display"],
            )
            for o in stored
        ] == [
            (
                d.system,
                d.code,
                d.display,
                d.category,
                d.value_integer,
                d.value_code,
                d.value_display,
            )
            for d in expected
        ]
        for o in stored:
            assert o["status"] == "final"
            assert o["effective_on"] == row["answered_on"]
            assert o["recorded_at"] == row["recorded_at"]
            assert o["instrument"] == row["instrument"]
    assert not observations, "observations without their response"


def test_every_generated_response_rescores_identically_with_the_service_rules() -> None:
    for bundle in population()[:200]:
        _check_against_the_rules(bundle)


@settings(max_examples=12)
@given(seed=st.integers(min_value=0, max_value=8999), index=st.integers(min_value=0, max_value=9))
def test_responses_of_any_population_rescore_identically(seed: int, index: int) -> None:
    bundle = _population(_spec(count=10, seed=seed))[index]
    _check_against_the_rules(bundle)


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


# --- courses and their judgements (CLINICAL.md §2) ----------------------------------------------


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

"""Administering instruments through the JSON API: the result at once (total, band, items,
flags), coded observations, the audit trail, and what changed since the last one."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import (
    AUDIT_C_TOTAL,
    CSSRS_TRIAGE,
    GAD7_TOTAL,
    LOINC,
    PHQ2_TOTAL,
    PHQ9_TOTAL,
    administer,
    days_ago,
    get_json,
    patient_url,
    phq9_items,
    stored,
    suicide_risk,
    trajectory,
)
from tests.snapshots import assert_unchanged

from tandem.assessments import service
from tandem.assessments.models import Observation
from tandem.clock import FrozenClock
from tandem.errors import Conflict
from tandem.people.models import User

GAD_CODES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
# AUDIT-C answers by value: how often (item 1) and six or more drinks (item 3); item 2 is "1 or 2".
AUDIT_FREQUENCY = ("LA6270-8", "LA18926-8", "LA18927-6", "LA18928-4", "LA18929-2")


def audit_c(total: int) -> dict[str, str]:
    """AUDIT-C answers adding up to ``total`` (0-8): item 1 first, then item 3."""
    binge = ("LA6270-8", "LA26460-8", "LA18876-5", "LA18891-4", "LA18934-2")
    first = min(4, total)
    return {"1": AUDIT_FREQUENCY[first], "2": "LA15694-5", "3": binge[total - first]}


async def test_a_phq9_answers_201_with_its_total_band_and_every_item(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    answers = phq9_items(3, 2, 2, 1, 1, 1, 1, 1, 0) | {"difficulty": "LA6573-5"}
    response = await client.post(
        patient_url(chart.patient.id, "/responses"),
        json={"instrument": "phq-9", "answers": answers},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["instrument"], body["instrument_title"], body["instrument_version"]) == (
        "phq-9",
        "PHQ-9",
        "1.1.0",
    )
    assert (body["total_score"], body["score_max"]) == (12, 27)
    assert (body["band"], body["band_label"], body["band_level"]) == ("moderate", "Moderate", 2)
    assert (body["flags"], body["alerts_raised"], body["needs_identified"]) == ([], [], [])
    assert body["status"] == "completed"
    assert body["answered_on"] == clock.today().isoformat()
    assert body["entered_by"] == care_manager.full_name
    assert body["source"] == "staff"
    assert [i["link_id"] for i in body["items"]] == [*map(str, range(1, 10)), "difficulty"]
    first, difficulty = body["items"][0], body["items"][-1]
    assert (first["codes"], first["displays"], first["value"]) == (
        ["LA6571-9"],
        ["Nearly every day"],
        3,
    )
    assert (difficulty["displays"], difficulty["value"]) == (["Somewhat difficult"], None)
    assert [i["value"] for i in body["items"][:9]] == [3, 2, 2, 1, 1, 1, 1, 1, 0]


async def test_a_phq9_is_stored_as_a_loinc_coded_total_with_its_band(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    body = await administer(client, chart.patient.id, phq9_answers(17))
    [observation] = await stored(factory, Observation, chart.patient.id)
    assert (observation.system, observation.code) == (LOINC, PHQ9_TOTAL)
    assert str(observation.response_id) == body["id"]
    assert (observation.value_integer, observation.value_code) == (17, "moderately_severe")
    assert observation.value_display == "Moderately severe"
    assert observation.status == "final"
    assert observation.category == "survey"
    [point] = (await trajectory(client, chart.patient.id))["points"]
    assert (point["response_id"], point["score"], point["band"]) == (
        body["id"],
        17,
        "moderately_severe",
    )


async def test_administering_records_a_create_audit_event_naming_the_score(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    body = await administer(client, chart.patient.id, phq9_answers(7))
    events = await factory.audit_events(patient_id=chart.patient.id, after=before)
    [created] = [e for e in events if e.action == "C"]
    assert (created.record_type, created.record_id) == ("QuestionnaireResponse", body["id"])
    assert created.username == care_manager.username
    assert created.detail is not None
    assert '"score": 7' in created.detail and '"band": "mild"' in created.detail


async def test_a_response_and_its_audit_event_stand_or_fall_together(
    monkeypatch: pytest.MonkeyPatch,
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
) -> None:
    async def fail_after_the_response_was_written(*args: Any, **kwargs: Any) -> Any:
        raise Conflict("The needs could not be updated.", field="answers")

    monkeypatch.setattr(
        service.needs_service, "identify_from_screen", fail_after_the_response_was_written
    )
    client = await client_for(care_manager)
    before = await factory.last_audit_id()
    record = await factory.patient_record(chart.patient)
    response = await client.post(
        patient_url(chart.patient.id, "/responses"),
        json={"instrument": "phq-9", "answers": phq9_answers(12, item9=2)},
    )
    assert response.status_code == 409
    assert_unchanged(record, await factory.patient_record(chart.patient))
    assert await factory.audit_events(after=before) == []


async def test_a_gad7_is_scored_banded_and_coded(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    answers = {str(n): GAD_CODES[v] for n, v in enumerate([3, 3, 3, 2, 2, 2, 1], start=1)}
    body = await administer(client, chart.patient.id, answers, instrument="gad-7")
    assert (body["total_score"], body["score_max"], body["band"]) == (16, 21, "severe")
    [observation] = await stored(factory, Observation, chart.patient.id)
    assert (observation.code, observation.value_integer, observation.value_code) == (
        GAD7_TOTAL,
        16,
        "severe",
    )


@pytest.mark.parametrize(
    ("values", "band", "flags"),
    [((1, 1), "negative", []), ((2, 1), "positive", ["phq2-positive"])],
    ids=["2-negative", "3-positive"],
)
async def test_a_phq2_of_3_or_more_is_a_positive_screen_that_asks_for_a_phq9(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    values: tuple[int, int],
    band: str,
    flags: list[str],
) -> None:
    client = await client_for(care_manager)
    answers = {"1": GAD_CODES[values[0]], "2": GAD_CODES[values[1]]}
    body = await administer(client, chart.patient.id, answers, instrument="phq-2")
    assert (body["total_score"], body["band"], body["flags"]) == (sum(values), band, flags)
    assert bool(body["flag_messages"]) == bool(flags)
    assert body["alerts_raised"] == []
    [observation] = await stored(factory, Observation, chart.patient.id)
    assert (observation.code, observation.value_code) == (PHQ2_TOTAL, band)


@pytest.mark.parametrize(
    ("gender", "total", "band"),
    [
        ("male", 3, "negative"),
        ("male", 4, "positive"),
        ("female", 2, "negative"),
        ("female", 3, "positive"),
        ("other", 3, "positive"),
        ("unknown", 3, "positive"),
    ],
)
async def test_audit_c_applies_the_cut_off_for_the_patients_sex(
    factory: Factory, care_manager: User, client_for: Any, gender: str, total: int, band: str
) -> None:
    chart = await factory.patient(lead=care_manager, gender=gender)
    client = await client_for(care_manager)
    body = await administer(client, chart.patient.id, audit_c(total), instrument="audit-c")
    assert (body["total_score"], body["score_max"], body["band"]) == (total, 12, band)
    assert body["flags"] == (["audit-c-positive"] if band == "positive" else [])
    [observation] = await stored(factory, Observation, chart.patient.id)
    assert (observation.code, observation.value_integer, observation.value_code) == (
        AUDIT_C_TOTAL,
        total,
        band,
    )
    assert observation.category == "survey social-history"


async def test_a_social_needs_screen_stores_each_answer_as_a_coded_sdoh_observation(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    body = await administer(
        client, chart.patient.id, SOCIAL_NEEDS_POSITIVE, instrument="social-needs"
    )
    assert (body["total_score"], body["score_max"], body["band"]) == (None, None, None)
    assert len(body["needs_identified"]) == 2
    observations = {o.code: o for o in await stored(factory, Observation, chart.patient.id)}
    assert len(observations) == len(SOCIAL_NEEDS_POSITIVE)
    living = observations["71802-3"]
    assert (living.value_code, living.category) == (
        "LA31994-9",
        "survey social-history housing-instability",
    )
    assert observations["96778-6"].value_code == "LA9-3"
    assert observations["88122-7"].value_display == "Often true"
    assert observations["95618-5"].category.endswith("intimate-partner-violence")


@pytest.mark.parametrize(
    ("answers", "band", "flagged"),
    [
        (suicide_risk(), "none", False),
        (suicide_risk(q1=True, q2=True), "low", False),
        (suicide_risk(q1=True, q3=True), "moderate", True),
        (suicide_risk(q6="behaviour-over-3-months"), "moderate", True),
        (suicide_risk(q1=True, q4=True), "high", True),
        (suicide_risk(q6="behaviour-past-3-months"), "high", True),
    ],
    ids=["none", "low", "moderate-method", "moderate-old-behaviour", "high-intent", "high-recent"],
)
async def test_a_suicide_risk_screen_records_the_triage_level(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    answers: dict[str, str],
    band: str,
    flagged: bool,
) -> None:
    client = await client_for(care_manager)
    body = await administer(client, chart.patient.id, answers, instrument="suicide-risk")
    assert (body["total_score"], body["band"]) == (None, band)
    assert body["flags"] == (["cssrs-moderate-high"] if flagged else [])
    triage = [o for o in await stored(factory, Observation, chart.patient.id)]
    assert [(o.code, o.value_integer, o.value_code) for o in triage] == [(CSSRS_TRIAGE, None, band)]


# -- what changed since the last one ----------------------------------------------------------


async def test_the_first_response_has_nothing_to_compare_with(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    body = await administer(await client_for(care_manager), chart.patient.id, phq9_answers(9))
    assert (body["previous_score"], body["previous_on"], body["score_change"]) == (None, None, None)
    assert not any(item["changed"] for item in body["items"])


async def test_a_response_shows_the_change_since_the_last_one_and_which_items_moved(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    earlier = days_ago(clock, 14)
    await administer(
        client, chart.patient.id, phq9_items(3, 3, 2, 2, 1, 1, 1, 1, 0), answered_on=earlier
    )
    body = await administer(client, chart.patient.id, phq9_items(1, 2, 2, 2, 1, 0, 1, 1, 0))
    assert (body["previous_score"], body["previous_on"], body["score_change"]) == (
        14,
        earlier.isoformat(),
        -4,
    )
    changed = {i["link_id"]: (i["changed_from"], i["value"]) for i in body["items"] if i["changed"]}
    assert changed == {"1": (3, 1), "2": (3, 2), "6": (1, 0)}


async def test_on_the_same_day_the_response_recorded_earlier_is_the_previous_one(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    first = await administer(client, chart.patient.id, phq9_answers(20))
    clock.advance(minutes=20)
    second = await administer(client, chart.patient.id, phq9_answers(15))
    assert (second["previous_score"], second["score_change"]) == (20, -5)
    again = await get_json(client, patient_url(chart.patient.id, f"/responses/{first['id']}"))
    assert again["previous_score"] is None


async def test_an_older_response_finds_its_previous_one_behind_many_later_ones(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await administer(client, pid, phq9_answers(21), answered_on=days_ago(clock, 1))
    clock.advance(minutes=5)
    older = await administer(client, pid, phq9_answers(19), answered_on=days_ago(clock, 1))
    for total in range(10, 16):
        clock.advance(minutes=5)
        await administer(client, pid, phq9_answers(total), answered_on=days_ago(clock, 1))
    again = await get_json(client, patient_url(pid, f"/responses/{older['id']}"))
    assert (again["previous_score"], again["score_change"]) == (21, -2)


async def test_another_instrument_or_a_withdrawn_response_is_not_the_previous_one(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    await administer(client, pid, phq9_answers(18), answered_on=days_ago(clock, 30))
    wrong = await administer(client, pid, phq9_answers(3), answered_on=days_ago(clock, 10))
    gad = {str(n): GAD_CODES[1] for n in range(1, 8)}
    await administer(client, pid, gad, instrument="gad-7", answered_on=days_ago(clock, 5))
    withdrawn = await client.post(
        patient_url(pid, f"/responses/{wrong['id']}/entered-in-error"),
        json={"version": wrong["version"], "reason": "Recorded on the wrong patient"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    body = await administer(client, pid, phq9_answers(12))
    assert (body["previous_score"], body["score_change"]) == (18, -6)


# -- reading responses and instruments --------------------------------------------------------


async def test_responses_are_listed_newest_first_and_filtered_by_instrument(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    old = await administer(client, pid, phq9_answers(15), answered_on=days_ago(clock, 28))
    new = await administer(client, pid, phq9_answers(8))
    gad = {str(n): GAD_CODES[0] for n in range(1, 8)}
    await administer(client, pid, gad, instrument="gad-7", answered_on=days_ago(clock, 7))
    listed = await get_json(client, patient_url(pid, "/responses"))
    assert [r["instrument"] for r in listed] == ["phq-9", "gad-7", "phq-9"]
    phq9 = await get_json(client, patient_url(pid, "/responses"), instrument="phq-9")
    assert [(r["id"], r["total_score"]) for r in phq9] == [(new["id"], 8), (old["id"], 15)]


async def test_reading_a_response_is_audited_and_shows_its_items(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    created = await administer(client, chart.patient.id, phq9_answers(11, item9=1))
    before = await factory.last_audit_id()
    body = await get_json(client, patient_url(chart.patient.id, f"/responses/{created['id']}"))
    assert (body["total_score"], body["flags"]) == (11, ["phq9-item9"])
    assert body["items"][8]["value"] == 1
    [event] = await factory.audit_events(after=before)
    assert (event.action, event.record_type, event.record_id) == (
        "R",
        "QuestionnaireResponse",
        created["id"],
    )


async def test_the_instruments_are_listed_with_their_versions(
    care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    listed = await get_json(client, "/api/v1/instruments")
    assert {i["code"]: i["version"] for i in listed} == {
        "audit-c": "1.0.0",
        "gad-7": "1.1.0",
        "phq-2": "1.0.0",
        "phq-9": "1.1.0",
        "social-needs": "1.0.0",
        "suicide-risk": "1.0.0",
    }
    phq9 = await get_json(client, "/api/v1/instruments/phq-9")
    assert phq9["scoring"]["code"] == PHQ9_TOTAL
    assert len(phq9["items"]) == 10
    assert (await client.get("/api/v1/instruments/pcl-5")).status_code == 404


async def test_a_response_of_another_patient_is_not_found_under_this_one(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    other = await factory.patient(lead=care_manager)
    client = await client_for(care_manager)
    theirs = await administer(client, other.patient.id, phq9_answers(5))
    url = patient_url(chart.patient.id, f"/responses/{theirs['id']}")
    assert (await client.get(url)).status_code == 404


async def test_a_self_reported_response_records_its_source(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    body = {"instrument": "phq-9", "answers": phq9_answers(6), "source": "patient"}
    response = await client.post(patient_url(chart.patient.id, "/responses"), json=body)
    assert response.status_code == 201, response.text
    listed = await get_json(client, patient_url(chart.patient.id, "/responses"))
    assert [(r["source"], r["entered_by"]) for r in listed] == [("patient", care_manager.full_name)]


@pytest.mark.parametrize(
    ("instrument", "answers"),
    [
        ("phq-9", phq9_items(3, 2, 2, 1, 1, 1, 1, 1, 2)),  # item 9 raises a safety alert
        ("phq-9", phq9_items(0, 0, 1, 0, 0, 0, 0, 0, 0)),
        ("social-needs", SOCIAL_NEEDS_POSITIVE),  # identifies needs; one open need gains it
    ],
    ids=["alert", "no alert", "needs"],
)
async def test_what_a_submission_answers_is_what_reading_it_back_answers(
    instrument: str,
    answers: dict[str, Any],
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
) -> None:
    # The answer to a submission is built from what it has just written (no second read of its
    # alerts, needs or history); it must say exactly what a read of the stored record says.
    client = await client_for(care_manager)
    await administer(client, chart.patient.id, phq9_items(1, 1, 1, 1, 1, 1, 1, 1, 0))
    if instrument == "social-needs":
        opened = await client.post(
            patient_url(chart.patient.id, "/needs"),
            json={"domain": "food-insecurity", "description": "Skips meals at month's end"},
        )
        assert opened.status_code == 201, opened.text
    posted = await administer(client, chart.patient.id, answers, instrument=instrument)
    read = await get_json(client, patient_url(chart.patient.id, f"/responses/{posted['id']}"))
    for only_on_submission in ("alerts_raised", "needs_identified"):
        posted.pop(only_on_submission)
        read.pop(only_on_submission)
    assert posted == read

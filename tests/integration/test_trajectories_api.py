"""Measurement-based care through the API: trajectories judged against the baseline of the
current enrolment — response (a 50 % drop), remission (PHQ-9 below 5) and not improving (10
weeks from the baseline, configurable) — and judged again after corrections."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import days_ago, patient_url, trajectory

from tandem.assessments.schemas import ResponseRead
from tandem.clock import FrozenClock
from tandem.people.models import User

GAD_CODES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


class History:
    """A patient's PHQ-9 scores on chosen days before the frozen "today"."""

    def __init__(self, factory: Factory, chart: PatientWithTeam, clock: FrozenClock) -> None:
        self.factory, self.chart, self.clock = factory, chart, clock

    async def measure(self, days: int, score: int) -> ResponseRead:
        return await self.factory.response(
            self.chart.patient,
            self.chart.lead,
            answers=phq9_answers(score),
            answered_on=days_ago(self.clock, days),
        )

    async def measures(self, *points: tuple[int, int]) -> list[ResponseRead]:
        return [await self.measure(days, score) for days, score in points]

    async def enrol(self, days: int) -> None:
        await self.factory.enrolment(self.chart.patient, start_date=days_ago(self.clock, days))


@pytest.fixture
def history(factory: Factory, chart: PatientWithTeam, clock: FrozenClock) -> History:
    return History(factory, chart, clock)


@pytest.fixture
async def client(care_manager: User, client_for: Any) -> httpx.AsyncClient:
    made: httpx.AsyncClient = await client_for(care_manager)
    return made


async def judged(client: httpx.AsyncClient, chart: PatientWithTeam) -> Any:
    return await trajectory(client, chart.patient.id)


def on(clock: FrozenClock, days: int) -> str:
    return days_ago(clock, days).isoformat()


async def amend(
    client: httpx.AsyncClient, response: ResponseRead, answers: dict[str, str], version: int = 1
) -> None:
    url = patient_url(response.patient_id, f"/responses/{response.id}/amend")
    body = {"version": version, "answers": answers, "reason": "Misread the paper form"}
    result = await client.post(url, json=body)
    assert result.status_code == 200, result.text


async def withdraw(client: httpx.AsyncClient, response: ResponseRead) -> None:
    url = patient_url(response.patient_id, f"/responses/{response.id}/entered-in-error")
    result = await client.post(url, json={"version": 1, "reason": "Another patient's form"})
    assert result.status_code == 200, result.text


# -- the baseline -----------------------------------------------------------------------------


async def test_the_baseline_is_the_first_measurement_of_the_current_enrolment(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await history.enrol(140)
    await history.measures((300, 22), (140, 18), (70, 12), (0, 10))
    body = await judged(client, chart)
    assert [(p["on"], p["score"]) for p in body["points"]] == [
        (on(clock, 300), 22),
        (on(clock, 140), 18),
        (on(clock, 70), 12),
        (on(clock, 0), 10),
    ]
    assert body["enrolled_on"] == on(clock, 140)
    assert (body["baseline"]["on"], body["baseline"]["score"]) == (on(clock, 140), 18)
    assert (body["latest"]["on"], body["latest"]["score"]) == (on(clock, 0), 10)
    assert (body["change"], body["percent_change"]) == (-8, -44.4)
    assert (body["response"], body["remission"], body["not_improving"]) == (False, False, True)
    assert (body["weeks_in_treatment"], body["weeks_since_baseline"]) == (20, 20)
    assert body["days_since_last"] == 0
    assert (body["score_max"], body["remission_below"], body["not_improving_weeks"]) == (27, 5, 10)


@pytest.mark.parametrize(("days_before", "counts"), [(14, True), (15, False)])
async def test_a_measurement_up_to_14_days_before_enrolment_is_the_baseline(
    history: History,
    chart: PatientWithTeam,
    client: httpx.AsyncClient,
    clock: FrozenClock,
    days_before: int,
    counts: bool,
) -> None:
    await history.enrol(100)
    await history.measures((100 + days_before, 21), (90, 16), (0, 14))
    baseline = (await judged(client, chart))["baseline"]
    assert (baseline["on"], baseline["score"]) == (
        (on(clock, 100 + days_before), 21) if counts else (on(clock, 90), 16)
    )


@pytest.mark.parametrize("settings_overrides", [{"baseline_lookback_days": 30}])
async def test_the_baseline_lookback_is_configurable(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await history.enrol(100)
    await history.measures((125, 21), (90, 16), (0, 14))
    assert (await judged(client, chart))["baseline"]["on"] == on(clock, 125)


async def test_without_an_enrolment_the_baseline_is_the_first_measurement(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await history.measures((200, 20), (100, 15), (0, 9))
    body = await judged(client, chart)
    assert (body["enrolled_on"], body["weeks_in_treatment"]) == (None, None)
    assert body["baseline"]["on"] == on(clock, 200)
    assert body["response"] is True


async def test_after_a_discharge_and_re_enrolment_the_baseline_restarts(
    factory: Factory,
    history: History,
    chart: PatientWithTeam,
    client: httpx.AsyncClient,
    clock: FrozenClock,
) -> None:
    old = await factory.enrolment(chart.patient, start_date=days_ago(clock, 400))
    discharge = await client.patch(
        patient_url(chart.patient.id, f"/enrolments/{old.id}"),
        json={"version": 1, "phase": "discharged", "end_date": on(clock, 200)},
    )
    assert discharge.status_code == 200, discharge.text
    await history.enrol(60)
    await history.measures((400, 24), (250, 6), (60, 17), (0, 15))
    body = await judged(client, chart)
    assert body["enrolled_on"] == on(clock, 60)
    assert (body["baseline"]["score"], body["latest"]["score"]) == (17, 15)
    assert body["response"] is False


async def test_a_single_measurement_is_a_baseline_without_any_judgement(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    await history.enrol(30)
    await history.measure(20, 3)
    body = await judged(client, chart)
    assert body["baseline"] == body["latest"]
    assert (body["change"], body["response"], body["remission"]) == (None, False, False)


# -- response, remission, not improving -------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "latest", "responded"),
    [(20, 10, True), (20, 11, False), (24, 12, True), (23, 12, False), (23, 11, True)],
    ids=["50%", "45%", "50%-of-24", "48%", "52%"],
)
async def test_response_is_a_drop_of_at_least_half_from_the_baseline(
    history: History,
    chart: PatientWithTeam,
    client: httpx.AsyncClient,
    baseline: int,
    latest: int,
    responded: bool,
) -> None:
    await history.enrol(60)
    await history.measures((56, baseline), (0, latest))
    body = await judged(client, chart)
    assert body["response"] is responded
    assert body["percent_change"] == round(100 * (latest - baseline) / baseline, 1)


@pytest.mark.parametrize(("latest", "remitted"), [(4, True), (5, False), (0, True)])
async def test_remission_is_a_latest_phq9_below_5(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, latest: int, remitted: bool
) -> None:
    await history.enrol(60)
    await history.measures((56, 8), (0, latest))
    assert (await judged(client, chart))["remission"] is remitted


@pytest.mark.parametrize(("days", "flagged"), [(70, True), (69, False), (63, False), (140, True)])
async def test_not_improving_from_10_weeks_after_the_baseline(
    history: History,
    chart: PatientWithTeam,
    client: httpx.AsyncClient,
    days: int,
    flagged: bool,
) -> None:
    await history.enrol(days)
    await history.measures((days, 16), (7, 13))
    body = await judged(client, chart)
    assert body["weeks_since_baseline"] == days // 7
    assert body["not_improving"] is flagged


@pytest.mark.parametrize(
    ("settings_overrides", "days", "flagged"),
    [({"not_improving_weeks": 8}, 63, True), ({"not_improving_weeks": 12}, 77, False)],
    ids=["8-weeks", "12-weeks"],
)
async def test_the_not_improving_threshold_is_configurable(
    history: History,
    chart: PatientWithTeam,
    client: httpx.AsyncClient,
    days: int,
    flagged: bool,
    settings_overrides: dict[str, Any],
) -> None:
    await history.enrol(days)
    await history.measures((days, 16), (7, 13))
    body = await judged(client, chart)
    assert body["not_improving_weeks"] == settings_overrides["not_improving_weeks"]
    assert body["not_improving"] is flagged


@pytest.mark.parametrize(("latest", "why"), [(8, "response"), (4, "remission")])
async def test_a_patient_who_responded_or_remitted_is_not_flagged_as_not_improving(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, latest: int, why: str
) -> None:
    await history.enrol(120)
    await history.measures((112, 16), (0, latest))
    body = await judged(client, chart)
    assert body[why] is True
    assert body["not_improving"] is False


async def test_gad7_has_its_own_trajectory(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client: httpx.AsyncClient,
    clock: FrozenClock,
) -> None:
    await factory.enrolment(chart.patient, start_date=days_ago(clock, 84))
    for days, values in ((84, (3, 3, 2, 2, 2, 2, 2)), (0, (1, 1, 1, 1, 0, 0, 0))):
        answers = {str(n): GAD_CODES[v] for n, v in enumerate(values, start=1)}
        await factory.response(
            chart.patient,
            care_manager,
            instrument="gad-7",
            answers=answers,
            answered_on=days_ago(clock, days),
        )
    await factory.response(chart.patient, care_manager, answers=phq9_answers(20))
    body = await trajectory(client, chart.patient.id, "gad-7")
    assert [(p["score"], p["band"]) for p in body["points"]] == [(16, "severe"), (4, "minimal")]
    assert (body["response"], body["remission"], body["score_max"]) == (True, True, 21)


# -- judged again after corrections -----------------------------------------------------------


async def test_amending_the_latest_score_can_turn_it_into_a_response(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    await history.enrol(90)
    _, latest = await history.measures((84, 20), (0, 12))
    assert (await judged(client, chart))["response"] is False
    await amend(client, latest, phq9_answers(10))
    body = await judged(client, chart)
    assert (body["latest"]["score"], body["latest"]["status"]) == (10, "amended")
    assert (body["response"], body["not_improving"]) == (True, False)


async def test_amending_the_baseline_changes_the_judgement(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    await history.enrol(90)
    baseline, _ = await history.measures((84, 20), (0, 10))
    assert (await judged(client, chart))["response"] is True
    await amend(client, baseline, phq9_answers(19))
    body = await judged(client, chart)
    assert (body["baseline"]["score"], body["response"], body["not_improving"]) == (19, False, True)


async def test_amending_the_latest_score_to_4_is_a_remission(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    await history.enrol(60)
    _, latest = await history.measures((56, 9), (0, 5))
    assert (await judged(client, chart))["remission"] is False
    await amend(client, latest, phq9_answers(4))
    assert (await judged(client, chart))["remission"] is True


async def test_moving_the_baseline_date_before_the_episode_gives_way_to_the_next_measurement(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await history.enrol(90)
    baseline, _, _ = await history.measures((84, 20), (70, 18), (0, 10))
    url = patient_url(chart.patient.id, f"/responses/{baseline.id}/amend")
    body = {
        "version": 1,
        "answers": phq9_answers(20),
        "answered_on": on(clock, 120),
        "reason": "The form was dated from the referral visit",
    }
    assert (await client.post(url, json=body)).status_code == 200
    judged_now = await judged(client, chart)
    assert judged_now["points"][0]["on"] == on(clock, 120)
    assert (judged_now["baseline"]["on"], judged_now["baseline"]["score"]) == (on(clock, 70), 18)
    assert judged_now["response"] is False


async def test_a_baseline_entered_in_error_gives_way_to_the_next_measurement(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await history.enrol(90)
    wrong, _, _ = await history.measures((84, 24), (77, 18), (0, 10))
    assert (await judged(client, chart))["response"] is True
    await withdraw(client, wrong)
    body = await judged(client, chart)
    assert [p["on"] for p in body["points"]] == [on(clock, 77), on(clock, 0)]
    assert (body["baseline"]["on"], body["baseline"]["score"]) == (on(clock, 77), 18)
    assert (body["response"], body["not_improving"], body["weeks_since_baseline"]) == (
        False,
        True,
        11,
    )


async def test_a_latest_measurement_entered_in_error_is_no_longer_the_latest(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await history.enrol(90)
    _, _, wrong = await history.measures((84, 16), (28, 12), (0, 4))
    assert (await judged(client, chart))["remission"] is True
    await withdraw(client, wrong)
    body = await judged(client, chart)
    assert (body["latest"]["on"], body["latest"]["score"]) == (on(clock, 28), 12)
    assert (body["remission"], body["not_improving"], body["days_since_last"]) == (False, True, 28)


async def test_not_improving_is_judged_from_the_baseline_left_after_a_withdrawal(
    history: History, chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    await history.enrol(90)
    wrong, _, _ = await history.measures((70, 16), (56, 15), (0, 14))
    assert (await judged(client, chart))["not_improving"] is True
    await withdraw(client, wrong)
    body = await judged(client, chart)
    assert (body["weeks_since_baseline"], body["not_improving"]) == (8, False)


# -- reading trajectories ---------------------------------------------------------------------


async def test_a_trajectory_read_is_audited(
    factory: Factory, history: History, chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    await history.measure(0, 9)
    before = await factory.last_audit_id()
    await judged(client, chart)
    [event] = await factory.audit_events(after=before)
    assert (event.action, event.record_type, event.patient_id) == (
        "R",
        "Observation",
        chart.patient.id,
    )


@pytest.mark.parametrize("code", ["phq-2", "audit-c", "suicide-risk", "pcl-5"])
async def test_only_followed_instruments_have_a_trajectory(
    chart: PatientWithTeam, client: httpx.AsyncClient, code: str
) -> None:
    response = await client.get(patient_url(chart.patient.id, f"/trajectories/{code}"))
    assert response.status_code == 404


async def test_an_empty_trajectory_has_no_baseline(
    chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    body = await judged(client, chart)
    assert (body["points"], body["baseline"], body["latest"]) == ([], None, None)
    assert (body["not_improving"], body["days_since_last"]) == (False, None)

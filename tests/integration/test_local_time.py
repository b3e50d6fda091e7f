"""Time is the clinic's: in Washington state at 23:30 on 1 Dec (07:30 on 2 Dec in UTC) "today"
is still 1 Dec for every date rule — the default start of a membership, the dates that may not
lie in the future, who may open a chart, days since the last measurement, not improving — and
its midnight moves with daylight saving. Pages show Pacific times; an organisation with a zone
of its own shows its staff theirs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import patient_url, trajectory

from tandem.clock import FrozenClock
from tandem.people.models import User

LA = ZoneInfo("America/Los_Angeles")
LATE_EVENING = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # 1 Dec, 23:30 PST
MIDNIGHT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 2 Dec, 00:00 PST


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(LATE_EVENING, zone=LA)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"timezone": "America/Los_Angeles"}


@pytest.fixture
async def client(care_manager: User, client_for: Any) -> httpx.AsyncClient:
    made: httpx.AsyncClient = await client_for(care_manager)
    return made


async def add_therapist(
    client: httpx.AsyncClient, chart: PatientWithTeam, therapist: User, **body: str
) -> httpx.Response:
    return await client.post(
        patient_url(chart.patient.id, "/care-team"),
        json={"role": "therapist", "user_id": str(therapist.id), **body},
    )


# -- today --------------------------------------------------------------------------------------


async def test_a_member_added_late_in_the_evening_starts_on_the_clinics_today(
    factory: Factory, chart: PatientWithTeam, client: httpx.AsyncClient
) -> None:
    added = await add_therapist(client, chart, await factory.user(role="therapist"))
    assert added.status_code == 201, added.text
    assert added.json()["start_date"] == "2026-12-01"


async def test_utcs_date_is_still_the_clinics_tomorrow_and_refused_as_the_future(
    chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = {"programme": "Collaborative care - depression and anxiety"}
    url = patient_url(chart.patient.id, "/enrolments")
    refused = await client.post(url, json={**body, "start_date": "2026-12-02"})
    assert refused.status_code == 422
    assert refused.json()["detail"]["field"] == "start_date"
    assert "future" in refused.json()["detail"]["message"]
    clock.set(MIDNIGHT)
    accepted = await client.post(url, json={**body, "start_date": "2026-12-02"})
    assert accepted.status_code == 201, accepted.text


async def test_a_membership_starting_tomorrow_opens_the_chart_at_the_clinics_midnight(
    factory: Factory, chart: PatientWithTeam, client_for: Any, clock: FrozenClock
) -> None:
    therapist = await factory.user(role="therapist")
    await factory.member(chart.patient, therapist, role="therapist", start_date=date(2026, 12, 2))
    client = await client_for(therapist)
    url = patient_url(chart.patient.id)
    assert (await client.get(url)).status_code == 404
    clock.set(datetime(2026, 12, 2, 7, 59, 59, tzinfo=UTC))
    assert (await client.get(url)).status_code == 404
    clock.set(MIDNIGHT)
    assert (await client.get(url)).status_code == 200


async def test_a_questionnaire_answered_late_in_the_evening_is_dated_today(
    factory: Factory, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await factory.response(chart.patient, chart.lead, answers=phq9_answers(12))
    body = await trajectory(client, chart.patient.id)
    assert body["latest"]["on"] == "2026-12-01"
    assert body["days_since_last"] == 0
    clock.set(MIDNIGHT)
    assert (await trajectory(client, chart.patient.id))["days_since_last"] == 1


async def test_not_improving_begins_at_the_clinics_midnight_ten_weeks_on(
    factory: Factory, chart: PatientWithTeam, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # 23 Sep to 1 Dec is 69 days (9 weeks); to 2 Dec, 70 (10 weeks, the default threshold).
    for on, score in ((date(2026, 9, 23), 15), (date(2026, 12, 1), 14)):
        answers = phq9_answers(score)
        await factory.response(chart.patient, chart.lead, answers=answers, answered_on=on)
    body = await trajectory(client, chart.patient.id)
    assert (body["weeks_since_baseline"], body["not_improving"]) == (9, False)
    clock.set(MIDNIGHT)
    body = await trajectory(client, chart.patient.id)
    assert (body["weeks_since_baseline"], body["not_improving"]) == (10, True)


async def test_weeks_in_treatment_turn_at_midnight_across_the_daylight_saving_change(
    factory: Factory, chart: PatientWithTeam, client_for: Any, clock: FrozenClock
) -> None:
    # Enrolled on Monday 8 Mar 2027; clocks go forward on Sunday 14 Mar, so the first week is
    # complete at midnight PDT on 15 Mar, which is 07:00 UTC (not 08:00 as in winter).
    clock.set(datetime(2027, 3, 8, 18, tzinfo=UTC))
    await factory.enrolment(chart.patient, start_date=date(2027, 3, 8))
    await factory.response(chart.patient, chart.lead, answers=phq9_answers(14))
    client = await client_for(chart.lead)
    clock.set(datetime(2027, 3, 15, 6, 59, tzinfo=UTC))
    body = await trajectory(client, chart.patient.id)
    assert (body["weeks_in_treatment"], body["days_since_last"]) == (0, 6)
    clock.set(datetime(2027, 3, 15, 7, 0, tzinfo=UTC))
    body = await trajectory(client, chart.patient.id)
    assert (body["weeks_in_treatment"], body["days_since_last"]) == (1, 7)


# -- what pages show ----------------------------------------------------------------------------


async def test_a_recorded_questionnaire_shows_pacific_time_and_the_clinics_date(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    saved = await factory.response(chart.patient, care_manager, answers=phq9_answers(12))
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/responses/{saved.id}")
    assert page.status_code == 200
    assert "1 Dec 2026, 23:30 PST" in page.text
    assert "UTC" not in page.text
    assert "2 Dec 2026" not in page.text


async def test_the_abbreviation_switches_to_pdt_when_clocks_go_forward(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    browser_for: Any,
    clock: FrozenClock,
) -> None:
    clock.set(datetime(2027, 3, 14, 9, 30, tzinfo=UTC))  # 01:30 PST
    before = await factory.response(chart.patient, care_manager, answers=phq9_answers(12))
    clock.set(datetime(2027, 3, 14, 10, 30, tzinfo=UTC))  # 03:30 PDT, an hour later
    after = await factory.response(chart.patient, care_manager, answers=phq9_answers(10))
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}/responses"
    assert "14 Mar 2027, 01:30 PST" in (await browser.client.get(f"{base}/{before.id}")).text
    assert "14 Mar 2027, 03:30 PDT" in (await browser.client.get(f"{base}/{after.id}")).text


async def test_a_date_field_says_the_day_it_holds_in_the_pages_words(
    chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/responses/new?instrument=phq-9")
    assert page.status_code == 200
    assert 'name="answered_on" type="date" value="2026-12-01"' in page.text
    assert 'max="2026-12-01"' in page.text
    said = re.search(r'id="answered_on-said"[^>]*>(.*?)</p>', page.text)
    assert said is not None and said.group(1) == "That is <span data-date-words>1 Dec 2026</span>."


# -- an organisation's own zone -------------------------------------------------------------------


async def test_staff_of_an_organisation_with_its_own_zone_live_by_its_clock(
    factory: Factory, client_for: Any, browser_for: Any
) -> None:
    clinic = await factory.organisation(timezone="America/New_York")
    east = await factory.user(role="care_manager", organization=clinic)
    chart = await factory.patient(lead=east)
    client = await client_for(east)
    added = await add_therapist(client, chart, await factory.user(role="therapist"))
    assert added.json()["start_date"] == "2026-12-02"  # 02:30 EST
    saved = await factory.response(chart.patient, east, answers=phq9_answers(12))
    browser = await browser_for(east)
    page = await browser.client.get(f"/patients/{chart.patient.id}/responses/{saved.id}")
    assert "2 Dec 2026, 02:30 EST" in page.text


async def test_an_administrator_sets_an_organisations_zone_by_its_iana_name(
    factory: Factory, admin: User, client_for: Any
) -> None:
    clinic = await factory.organisation()
    client = await client_for(admin)
    url = f"/api/v1/organizations/{clinic.id}"
    refused = await client.patch(url, json={"timezone": "Eastern"})
    assert refused.status_code == 422
    assert "is not a time zone" in refused.text
    saved = await client.patch(url, json={"timezone": "America/Chicago"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["timezone"] == "America/Chicago"
    cleared = await client.patch(url, json={"timezone": ""})
    assert cleared.json()["timezone"] is None


async def test_the_organisation_pages_show_and_save_its_zone(
    factory: Factory, admin: User, browser_for: Any
) -> None:
    clinic = await factory.organisation(name="Eastside Clinic")
    await factory.organisation(name="Westside Clinic")
    browser = await browser_for(admin)
    url = f"/admin/organizations/{clinic.id}"
    form = {"csrf_token": browser.csrf, "name": "Eastside Clinic", "kind": "primary_care"}
    refused = await browser.client.post(url, data={**form, "timezone": "Seattle"})
    assert refused.status_code == 422
    assert "&#39;Seattle&#39; is not a time zone" in refused.text
    saved = await browser.client.post(url, data={**form, "timezone": "America/Denver"})
    assert saved.status_code == 303
    listed = await browser.client.get("/admin/organizations")
    assert "America/Denver" in listed.text
    assert "America/Los_Angeles (deployment)" in listed.text


async def test_the_access_log_shows_pacific_times_with_their_abbreviation(
    chart: PatientWithTeam, care_manager: User, privacy_officer: User, browser_for: Any
) -> None:
    clinician = await browser_for(care_manager)
    assert (await clinician.client.get(f"/patients/{chart.patient.id}")).status_code == 200
    officer = await browser_for(privacy_officer)
    page = await officer.client.get(
        "/privacy/audit", params={"from": "2026-12-01", "to": "2026-12-01"}
    )
    assert page.status_code == 200
    assert "1 Dec 2026, 23:30 PST" in page.text
    assert "07:30 UTC" not in page.text

"""The Needs tab: candidate needs are confirmed or dismissed through forms, the team adds its own,
refusals are shown next to the need they concern, and stale changes show the need as it is."""

from __future__ import annotations

from typing import Any

from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam
from tests.integration.test_forms import post, redirected_to
from tests.snapshots import assert_unchanged

from tandem.assessments.models import Need
from tandem.people.models import User


async def candidate_needs(factory: Factory, chart: PatientWithTeam, by: User) -> list[Need]:
    """A social-needs screen positive for housing and food: two candidate needs."""
    screen = await factory.response(
        chart.patient, by, instrument="social-needs", answers=SOCIAL_NEEDS_POSITIVE
    )
    return [await factory.reload(Need, i) for i in screen.needs_identified]


async def test_the_needs_tab_shows_candidates_with_their_evidence(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    housing, food = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/needs")
    assert page.status_code == 200
    assert "<h2" in page.text and ">Needs</h2>" in page.text
    assert "Housing" in page.text and "Food" in page.text
    assert "Unconfirmed" in page.text
    response_id = housing.evidence[0]["response_id"]
    assert f"/patients/{chart.patient.id}/responses/{response_id}" in page.text
    assert "Living situation" in page.text  # the positive item, in words
    assert "Confirm with the patient" in page.text and "Dismiss" in page.text
    assert f'name="version" value="{food.version}"' in page.text


async def test_someone_outside_the_care_team_gets_404_for_the_needs_tab(
    factory: Factory, chart: PatientWithTeam, care_manager: User, outsider: User, browser_for: Any
) -> None:
    (housing, _) = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(outsider)
    page = await browser.client.get(f"/patients/{chart.patient.id}/needs")
    assert page.status_code == 404
    assert chart.patient.family_name not in page.text
    async with factory.unchanged():
        change = await post(
            browser,
            f"/patients/{chart.patient.id}/needs/{housing.id}/status",
            version=1,
            status="confirmed",
        )
        assert change.status_code == 404


async def test_a_candidate_need_is_confirmed_with_the_patient(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    housing, _ = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}/needs"
    confirmed = await post(
        browser, f"{base}/{housing.id}/status", version=housing.version, status="confirmed"
    )
    assert redirected_to(confirmed, base)
    assert "flash=need-changed" in confirmed.headers["location"]
    assert (await factory.reload(Need, housing.id)).status == "confirmed"
    page = await browser.client.get(confirmed.headers["location"])
    assert "Need updated." in page.text
    assert "Unconfirmed → Confirmed" in page.text  # the history
    assert "Start addressing" in page.text


async def test_dismissing_without_a_reason_is_refused_next_to_that_need(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    housing, food = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/needs/{food.id}/status"
    record = await factory.patient_record(chart.patient)
    refused = await post(browser, url, version=food.version, status="dismissed", reason="")
    assert refused.status_code == 422
    assert "Give a reason." in refused.text
    # The error sits on the food need's reason field, not on the housing need's.
    assert f'id="need-{food.id}-reason-error"' in refused.text
    assert f'id="need-{housing.id}-reason-error"' not in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))

    dismissed = await post(
        browser, url, version=food.version, status="dismissed", reason="Food bank already helps"
    )
    assert redirected_to(dismissed, f"/patients/{chart.patient.id}/needs")
    stored = await factory.reload(Need, food.id)
    assert (stored.status, stored.status_reason) == ("dismissed", "Food bank already helps")
    page = await browser.client.get(f"/patients/{chart.patient.id}/needs")
    assert "Closed needs" in page.text and "Food bank already helps" in page.text
    assert "Re-open" in page.text


async def test_a_step_the_lifecycle_does_not_allow_is_refused(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    housing, _ = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/needs/{housing.id}/status"
    record = await factory.patient_record(chart.patient)
    refused = await post(browser, url, version=housing.version, status="resolved")
    assert refused.status_code == 422
    assert "cannot become resolved" in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_need_is_marked_entered_in_error_with_a_reason(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    housing, _ = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/needs/{housing.id}/status"
    record = await factory.patient_record(chart.patient)
    refused = await post(browser, url, version=housing.version, status="entered-in-error")
    assert refused.status_code == 422
    assert f'id="need-{housing.id}-eie-reason-error"' in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    withdrawn = await post(
        browser, url, version=housing.version, status="entered-in-error", reason="Wrong patient"
    )
    assert redirected_to(withdrawn, f"/patients/{chart.patient.id}/needs")
    stored = await factory.reload(Need, housing.id)
    assert (stored.status, stored.status_reason) == ("entered-in-error", "Wrong patient")


async def test_a_stale_change_answers_409_and_shows_the_need_as_it_is_now(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    housing, _ = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/needs/{housing.id}/status"
    first = await post(browser, url, version=housing.version, status="confirmed")
    assert first.status_code == 303
    assert (await factory.reload(Need, housing.id)).status == "confirmed"
    record = await factory.patient_record(chart.patient)
    stale = await post(
        browser, url, version=housing.version, status="dismissed", reason="Not a problem"
    )
    assert stale.status_code == 409
    assert "Changed by someone else" in stale.text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    stored = await factory.reload(Need, housing.id)
    assert stored.status == "confirmed"
    assert f'name="version" value="{stored.version}"' in stale.text


async def test_the_team_adds_a_need_of_its_own(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}/needs"
    added = await post(
        browser,
        base,
        domain="transportation-insecurity",
        description="No bus to the clinic on Saturdays",
        status="confirmed",
    )
    assert redirected_to(added, base)
    assert "flash=need-added" in added.headers["location"]
    page = await browser.client.get(added.headers["location"])
    assert "Need added." in page.text
    assert "No bus to the clinic on Saturdays" in page.text
    assert "Added by staff" in page.text
    [need] = [dict(row) for row in (await factory.patient_record(chart.patient))["need"]]
    assert (need["domain"], need["description"], need["status"], need["origin"]) == (
        "transportation-insecurity",
        "No bus to the clinic on Saturdays",
        "confirmed",
        "staff",
    )


async def test_adding_a_need_with_a_mistake_keeps_what_was_typed(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    record = await factory.patient_record(chart.patient)
    refused = await post(
        browser,
        f"/patients/{chart.patient.id}/needs",
        domain="",
        description="Needs help with the electricity bill",
        status="confirmed",
    )
    assert refused.status_code == 422
    assert "Needs help with the electricity bill" in refused.text
    assert 'id="add-domain-error"' in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_need_entered_in_error_can_no_longer_change_and_says_why(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    housing, _ = await candidate_needs(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/needs/{housing.id}/status"
    withdrawn = await post(
        browser, url, version=housing.version, status="entered-in-error", reason="Wrong patient"
    )
    assert withdrawn.status_code == 303
    stored = await factory.reload(Need, housing.id)
    assert (stored.status, stored.status_reason) == ("entered-in-error", "Wrong patient")
    async with factory.unchanged(chart.patient):
        again = await post(browser, url, version=stored.version, status="confirmed")
        assert again.status_code == 422
    assert "cannot become confirmed" in again.text

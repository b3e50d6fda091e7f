"""The Assessment tab: a comprehensive assessment is written through the form with the screens
and needs it draws on, confirms the candidate needs it names, and is amended with its history."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from tests.factories import SOCIAL_NEEDS_POSITIVE, Browser, Factory, PatientWithTeam
from tests.integration.test_forms import redirected_to
from tests.snapshots import assert_unchanged

from tandem.assessments.models import ComprehensiveAssessment, Need
from tandem.people.models import User

NARRATIVE = "Low mood since losing work in the spring; sleeping poorly, no plan to harm herself."
PRIORITIES = "Keeping my flat and seeing my grandchildren on Sundays."


async def post(browser: Browser, url: str, data: list[tuple[str, str]]) -> httpx.Response:
    """Submit a form as the browser would; a list of pairs, as ticked boxes repeat a name."""
    fields: dict[str, list[str]] = {"csrf_token": [browser.csrf]}
    for name, value in data:
        fields.setdefault(name, []).append(value)
    return await browser.client.post(url, data=fields)


async def screens(factory: Factory, chart: PatientWithTeam, by: User) -> tuple[Any, Any]:
    """A PHQ-9 and a social-needs screen positive for housing and food."""
    phq9 = await factory.response(chart.patient, by)
    social = await factory.response(
        chart.patient, by, instrument="social-needs", answers=SOCIAL_NEEDS_POSITIVE
    )
    return phq9, social


async def test_the_assessment_tab_lists_assessments_for_a_team_member_and_404s_outsiders(
    factory: Factory, chart: PatientWithTeam, care_manager: User, outsider: User, browser_for: Any
) -> None:
    phq9, _ = await screens(factory, chart, care_manager)
    done = await factory.assessment(chart.patient, care_manager, response_ids=[phq9.id])
    base = f"/patients/{chart.patient.id}/assessments"
    browser = await browser_for(care_manager)
    listed = await browser.client.get(base)
    assert listed.status_code == 200
    assert f"{base}/{done.id}" in listed.text and f"{base}/new" in listed.text
    assert "Final" in listed.text
    shown = await browser.client.get(f"{base}/{done.id}")
    assert shown.status_code == 200
    assert "Getting back to work and seeing my grandchildren." in shown.text
    assert f"/patients/{chart.patient.id}/responses/{phq9.id}" in shown.text
    assert "PHQ-9" in shown.text

    stranger = await browser_for(outsider)
    for url in (base, f"{base}/new", f"{base}/{done.id}"):
        refused = await stranger.client.get(url)
        assert refused.status_code == 404, url
        assert chart.patient.family_name not in refused.text


async def test_the_new_form_offers_the_screens_done_and_the_open_needs(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    phq9, social = await screens(factory, chart, care_manager)
    browser = await browser_for(care_manager)
    form = await browser.client.get(f"/patients/{chart.patient.id}/assessments/new")
    assert form.status_code == 200
    assert f'name="response_ids" type="checkbox" value="{phq9.id}"' in form.text
    assert f'name="response_ids" type="checkbox" value="{social.id}"' in form.text
    for need_id in social.needs_identified:
        assert f'name="need_ids" type="checkbox" value="{need_id}"' in form.text
    assert "confirmed with the patient when you save" in form.text
    assert f'value="{factory.clock.today().isoformat()}"' in form.text


async def test_saving_an_assessment_with_ticked_screens_confirms_the_candidate_needs(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    phq9, social = await screens(factory, chart, care_manager)
    housing_id, food_id = social.needs_identified
    browser = await browser_for(care_manager)
    saved = await post(
        browser,
        f"/patients/{chart.patient.id}/assessments",
        [
            ("assessed_on", factory.clock.today().isoformat()),
            ("narrative", NARRATIVE),
            ("priorities", PRIORITIES),
            ("strengths", "Her sister lives nearby."),
            ("response_ids", str(phq9.id)),
            ("response_ids", str(social.id)),
            ("need_ids", str(housing_id)),
        ],
    )
    assert redirected_to(saved, f"/patients/{chart.patient.id}/assessments/")
    assert "flash=assessment-saved" in saved.headers["location"]
    assessment_id = uuid.UUID(saved.headers["location"].split("/")[4].split("?")[0])
    stored = await factory.reload(ComprehensiveAssessment, assessment_id)
    assert set(stored.response_ids) == {str(phq9.id), str(social.id)}
    assert stored.need_ids == [str(housing_id)]
    assert (await factory.reload(Need, housing_id)).status == "confirmed"
    assert (await factory.reload(Need, food_id)).status == "identified"

    page = await browser.client.get(saved.headers["location"])
    assert "Comprehensive assessment saved." in page.text
    assert PRIORITIES in page.text and "Confirmed" in page.text


async def test_a_form_with_a_mistake_keeps_what_was_typed_and_the_ticked_boxes(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    phq9, social = await screens(factory, chart, care_manager)
    housing_id, _ = social.needs_identified
    browser = await browser_for(care_manager)
    future = factory.clock.today().replace(year=factory.clock.today().year + 1)
    record = await factory.patient_record(chart.patient)
    refused = await post(
        browser,
        f"/patients/{chart.patient.id}/assessments",
        [
            ("assessed_on", future.isoformat()),
            ("narrative", NARRATIVE),
            ("priorities", PRIORITIES),
            ("response_ids", str(phq9.id)),
            ("need_ids", str(housing_id)),
        ],
    )
    assert refused.status_code == 422
    assert "cannot be in the future" in refused.text
    assert NARRATIVE in refused.text and PRIORITIES in refused.text
    assert f'value="{phq9.id}" checked' in refused.text
    assert f'value="{housing_id}" checked' in refused.text
    assert f'value="{social.id}" checked' not in refused.text
    # Nothing was saved, and the candidate need was not confirmed by the refused form.
    assert (await factory.reload(Need, housing_id)).status == "identified"
    assert_unchanged(record, await factory.patient_record(chart.patient))

    blank = await post(
        browser,
        f"/patients/{chart.patient.id}/assessments",
        [("narrative", NARRATIVE), ("priorities", "")],
    )
    assert blank.status_code == 422
    assert 'id="new-priorities-error"' in blank.text and NARRATIVE in blank.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_amending_keeps_the_earlier_version_in_the_history(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    phq9, _ = await screens(factory, chart, care_manager)
    done = await factory.assessment(chart.patient, care_manager, response_ids=[phq9.id])
    url = f"/patients/{chart.patient.id}/assessments/{done.id}"
    browser = await browser_for(care_manager)
    amended = await post(
        browser,
        f"{url}/amend",
        [
            ("version", str(done.version)),
            ("narrative", done.narrative),
            ("priorities", PRIORITIES),
            ("response_ids", str(phq9.id)),
            ("reason", "The patient put it in her own words at the next visit"),
        ],
    )
    assert redirected_to(amended, url)
    assert "flash=assessment-amended" in amended.headers["location"]
    stored = await factory.reload(ComprehensiveAssessment, done.id)
    assert (stored.status, stored.priorities) == ("amended", PRIORITIES)

    page = await browser.client.get(amended.headers["location"])
    assert "Comprehensive assessment amended." in page.text
    assert "Earlier versions" in page.text
    assert "The patient put it in her own words at the next visit" in page.text
    assert done.priorities in page.text  # what version 1 said

    record = await factory.patient_record(chart.patient)
    without_reason = await post(
        browser,
        f"{url}/amend",
        [("version", str(stored.version)), ("narrative", NARRATIVE), ("priorities", "Work")],
    )
    assert without_reason.status_code == 422
    assert 'id="amend-reason-error"' in without_reason.text
    assert 'value="Work"' in without_reason.text or ">Work</textarea>" in without_reason.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_stale_amendment_answers_409_and_shows_the_current_version(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    done = await factory.assessment(chart.patient, care_manager)
    url = f"/patients/{chart.patient.id}/assessments/{done.id}"
    browser = await browser_for(care_manager)
    fields = [("narrative", NARRATIVE), ("priorities", PRIORITIES), ("reason", "Corrected")]
    first = await post(browser, f"{url}/amend", [("version", str(done.version)), *fields])
    assert first.status_code == 303
    record = await factory.patient_record(chart.patient)
    stale = await post(
        browser,
        f"{url}/amend",
        [("version", str(done.version)), ("narrative", "An older idea"), *fields[1:]],
    )
    assert stale.status_code == 409
    assert "Changed by someone else" in stale.text
    stored = await factory.reload(ComprehensiveAssessment, done.id)
    assert stored.narrative == NARRATIVE
    assert f'name="version" value="{stored.version}"' in stale.text
    assert "An older idea" not in stale.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_an_assessment_is_marked_entered_in_error_with_a_reason(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    done = await factory.assessment(chart.patient, care_manager)
    url = f"/patients/{chart.patient.id}/assessments/{done.id}"
    browser = await browser_for(care_manager)
    record = await factory.patient_record(chart.patient)
    refused = await post(browser, f"{url}/entered-in-error", [("version", str(done.version))])
    assert refused.status_code == 422
    assert 'id="withdraw-reason-error"' in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    withdrawn = await post(
        browser,
        f"{url}/entered-in-error",
        [("version", str(done.version)), ("reason", "Recorded on the wrong patient")],
    )
    assert redirected_to(withdrawn, url)
    assert "flash=assessment-entered-in-error" in withdrawn.headers["location"]
    stored = await factory.reload(ComprehensiveAssessment, done.id)
    assert stored.status == "entered-in-error"
    page = await browser.client.get(url)
    assert "Recorded on the wrong patient" in page.text
    assert f"{url}/amend" not in page.text

    record = await factory.patient_record(chart.patient)
    late = await post(
        browser,
        f"{url}/amend",
        [
            ("version", str(stored.version)),
            ("narrative", NARRATIVE),
            ("priorities", PRIORITIES),
            ("reason", "Sent from an older page"),
        ],
    )
    assert late.status_code == 422
    assert "was marked entered in error" in late.text
    assert_unchanged(record, await factory.patient_record(chart.patient))

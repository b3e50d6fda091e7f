"""The assessment pages: record a questionnaire, see its result and trajectory, correct it, and
act on a safety alert — through the HTML forms a clinician uses."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.factories import PHQ_CODES, Browser, Factory, PatientWithTeam, phq9_answers
from tests.snapshots import assert_unchanged

from tandem.assessments.models import Response, SafetyAlert
from tandem.clock import FrozenClock
from tandem.notify.models import Notification
from tandem.people.models import User


async def post(browser: Browser, url: str, fields: dict[str, Any]) -> httpx.Response:
    """Submit a form as the browser would; a list value is a group of ticked boxes."""
    pairs: list[tuple[str, str]] = [("csrf_token", browser.csrf)]
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((name, str(v)) for v in values)
    return await browser.client.post(
        url,
        content=httpx.QueryParams(pairs).__str__(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def phq9_form(answers: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"instrument": "phq-9", **{f"answers.{k}": v for k, v in answers.items()}, **extra}


def location_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.search(r"/responses/([0-9a-f-]{36})", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def count_rows(factory: Factory, model: Any, patient_id: uuid.UUID) -> int:
    async with factory.system_session() as session:
        stmt = select(func.count()).select_from(model).where(model.patient_id == patient_id)
        return int(await session.scalar(stmt) or 0)


async def test_recording_a_phq9_shows_the_score_band_and_answers(
    chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}"
    form = await browser.client.get(f"{base}/responses/new?instrument=phq-9")
    assert form.status_code == 200
    # One radio group per item, each answer carrying its LOINC answer code.
    assert form.text.count('type="radio"') == 9 * 4 + 4
    assert 'name="answers.9" value="LA6571-9"' in form.text

    saved = await post(browser, f"{base}/responses", phq9_form(phq9_answers(14)))
    result = await browser.client.get(f"{base}/responses/{location_id(saved)}")
    assert result.status_code == 200
    assert "Total score" in result.text and "<strong>14</strong>" in result.text
    assert "Moderate" in result.text
    assert "this is the baseline" in result.text


async def test_the_result_says_what_changed_since_the_last_one(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    clock = factory.clock
    assert isinstance(clock, FrozenClock)
    await factory.response(
        chart.patient,
        care_manager,
        answers=phq9_answers(18),
        answered_on=clock.today() - timedelta(days=28),
    )
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}"
    saved = await post(browser, f"{base}/responses", phq9_form(phq9_answers(11)))
    result = await browser.client.get(f"{base}/responses/{location_id(saved)}")
    assert "▼ 7" in result.text and "from 18" in result.text
    assert 'class="changed"' in result.text


async def test_a_missing_item_names_it_keeps_the_ticked_answers_and_stores_nothing(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    answers = phq9_answers(10)
    del answers["9"]
    record = await factory.patient_record(chart.patient)
    refused = await post(
        browser, f"/patients/{chart.patient.id}/responses", phq9_form(answers, answered_on="")
    )
    assert refused.status_code == 422
    assert 'id="answers.9-error"' in refused.text
    assert "Item 9" in refused.text and "an answer is required" in refused.text
    # What was ticked comes back ticked.
    assert re.search(r'name="answers\.1" value="' + answers["1"] + '"\\s+checked', refused.text)
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_future_date_and_an_unknown_answer_are_both_named(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    answers = phq9_answers(10) | {"3": "LA0000-0"}
    tomorrow = (factory.clock.today() + timedelta(days=1)).isoformat()
    record = await factory.patient_record(chart.patient)
    refused = await post(
        browser,
        f"/patients/{chart.patient.id}/responses",
        phq9_form(answers, answered_on=tomorrow),
    )
    assert refused.status_code == 422
    assert 'id="answers.3-error"' in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    fixed = await post(
        browser,
        f"/patients/{chart.patient.id}/responses",
        phq9_form(phq9_answers(10), answered_on=tomorrow),
    )
    assert fixed.status_code == 422
    assert 'id="answered_on-error"' in fixed.text and "future" in fixed.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_an_unknown_instrument_is_not_found(
    chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/responses/new?instrument=x")
    assert page.status_code == 404


async def test_item_9_puts_the_safety_banner_on_every_chart_page_and_tells_the_lead(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}"
    await post(browser, f"{base}/responses", phq9_form(phq9_answers(6, item9=1)))
    for tab in ("", "/measurements", "/care-team", "/enrolments"):
        page = await browser.client.get(base + tab)
        assert 'class="banner banner-error safety-banner"' in page.text, tab
        assert "Complete a suicide-risk screen" in page.text
    caseload = await browser.client.get("/caseload")
    assert 'class="badge count"' in caseload.text
    notes = await browser.client.get("/notifications")
    assert "Safety alert for" in notes.text and "Urgent" in notes.text


async def test_closing_an_alert_needs_what_was_done_and_then_clears_the_banner(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    read = await factory.response(chart.patient, care_manager, answers=phq9_answers(6, item9=2))
    alert_id = read.alerts_raised[0]
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}"
    tab = await browser.client.get(f"{base}/safety")
    # One box for each thing that may have been done, in a group with its question.
    assert "<legend>What was done</legend>" in tab.text
    assert tab.text.count('type="checkbox" id="alert-1-actions') == 7
    record = await factory.patient_record(chart.patient)
    refused = await post(browser, f"{base}/safety/{alert_id}/resolve", {"version": 1})
    assert refused.status_code == 422
    assert '<a href="#alert-1-actions">Choose at least one thing that was done.</a>' in refused.text
    words = await post(
        browser,
        f"{base}/safety/{alert_id}/resolve",
        {"version": 1, "actions": ["crisis-line-given", "other"], "action_taken": "  "},
    )
    assert words.status_code == 422
    assert '<a href="#alert-1-action_taken">Say in words what else was done.</a>' in words.text
    # What was ticked is still ticked.
    assert re.search(r'value="crisis-line-given"\s+checked', words.text)
    assert (await factory.reload(SafetyAlert, alert_id)).status == "active"
    assert_unchanged(record, await factory.patient_record(chart.patient))

    before = await factory.last_audit_id()
    done = "Called the patient at 14:10; no plan or intent; safety plan reviewed with her."
    resolved = await post(
        browser,
        f"{base}/safety/{alert_id}/resolve",
        {
            "version": 1,
            "actions": ["safety-plan-reviewed", "crisis-line-given"],
            "action_taken": done,
        },
    )
    assert resolved.status_code == 303
    alert = await factory.reload(SafetyAlert, alert_id)
    assert (alert.status, alert.actions, alert.action_taken, alert.resolved_by) == (
        "resolved",
        ["safety-plan-reviewed", "crisis-line-given"],
        done,
        care_manager.id,
    )
    events = await factory.audit_events(after=before, patient_id=chart.patient.id)
    assert any(e.record_type == "SafetyAlert" and e.action == "U" for e in events)
    page = await browser.client.get(f"{base}/safety")
    assert "safety-banner" not in page.text
    assert "Closed alerts (1)" in page.text and done in page.text
    assert "Safety plan gone through with the patient" in page.text
    assert "Crisis line given (988: call or text)" in page.text


async def test_a_stale_resolution_answers_409_and_shows_the_alert_afresh(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    read = await factory.response(chart.patient, care_manager, answers=phq9_answers(6, item9=1))
    browser = await browser_for(care_manager)
    record = await factory.patient_record(chart.patient)
    stale = await post(
        browser,
        f"/patients/{chart.patient.id}/safety/{read.alerts_raised[0]}/resolve",
        {
            "version": 7,
            "actions": "same-day-clinician-contact",
            "action_taken": "Spoke with the patient; safe tonight.",
        },
    )
    assert stale.status_code == 409
    assert "Someone else changed this alert" in stale.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_amending_a_response_recomputes_the_score_and_keeps_the_history(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    read = await factory.response(chart.patient, care_manager, answers=phq9_answers(12))
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/responses/{read.id}"
    form = await browser.client.get(f"{url}/amend")
    assert form.status_code == 200
    assert re.search(r'value="' + PHQ_CODES[3] + r'"\s+checked', form.text)

    answers = phq9_form(phq9_answers(4), version=read.version, answered_on=read.answered_on)
    record = await factory.patient_record(chart.patient)
    no_reason = await post(browser, f"{url}/amend", answers)
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
    assert (await factory.reload(Response, read.id)).total_score == 12
    assert_unchanged(record, await factory.patient_record(chart.patient))

    amended = await post(browser, f"{url}/amend", answers | {"reason": "Items 1-4 misread"})
    assert amended.status_code == 303
    page = await browser.client.get(url)
    assert "<strong>4</strong>" in page.text and "Minimal" in page.text
    assert "Earlier versions (1)" in page.text and "Items 1-4 misread" in page.text
    record = await factory.patient_record(chart.patient)
    stale = await post(browser, f"{url}/amend", answers | {"reason": "Again"})
    assert stale.status_code == 409 and "Someone else changed this response" in stale.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_entered_in_error_takes_a_response_out_of_the_trajectory(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    read = await factory.response(chart.patient, care_manager, answers=phq9_answers(17))
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/responses/{read.id}"
    record = await factory.patient_record(chart.patient)
    refused = await post(browser, f"{url}/entered-in-error", {"version": read.version})
    assert refused.status_code == 422 and 'id="eie-reason-error"' in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    withdrawn = await post(
        browser, f"{url}/entered-in-error", {"version": read.version, "reason": "Wrong patient"}
    )
    assert withdrawn.status_code == 303
    page = await browser.client.get(url)
    assert "Entered in error" in page.text and "Wrong patient" in page.text
    measurements = await browser.client.get(f"/patients/{chart.patient.id}/measurements")
    assert "No PHQ-9 recorded yet" in measurements.text
    assert await count_rows(factory, Response, chart.patient.id) == 1


async def test_measurements_show_the_chart_table_and_judgements(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    today = factory.clock.today()
    for weeks, total in ((12, 20), (8, 15), (4, 12), (0, 8)):
        await factory.response(
            chart.patient,
            care_manager,
            answers=phq9_answers(total),
            answered_on=today - timedelta(weeks=weeks),
        )
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/measurements")
    assert page.status_code == 200
    text = page.text
    assert "<svg" in text and 'role="img"' in text
    assert 'aria-labelledby="phq-9-chart-caption"' in text and 'id="phq-9-chart-caption"' in text
    assert "PHQ-9 scores, newest first" in text
    # 20 → 8 is a 60 % drop: a response, not remission, so not "not improving".
    assert "Responding" in text and "Not improving</span>" not in text
    assert "No GAD-7 recorded yet" in text


async def test_opening_a_notification_marks_it_read_and_goes_to_the_patient(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    await factory.response(chart.patient, care_manager, answers=phq9_answers(6, item9=1))
    async with factory.system_session() as session:
        note = (
            await session.execute(
                select(Notification).where(Notification.user_id == care_manager.id)
            )
        ).scalar_one()
    browser = await browser_for(care_manager)
    opened = await post(browser, f"/notifications/{note.id}/open", {})
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/patients/{chart.patient.id}/safety"
    assert (await factory.reload(Notification, note.id)).read_at is not None


async def test_someone_elses_notification_is_not_found(
    factory: Factory, chart: PatientWithTeam, care_manager: User, outsider: User, browser_for: Any
) -> None:
    await factory.response(chart.patient, care_manager, answers=phq9_answers(6, item9=1))
    async with factory.system_session() as session:
        note_id = await session.scalar(select(Notification.id))
    browser = await browser_for(outsider)
    record = await factory.patient_record(chart.patient)
    assert (await post(browser, f"/notifications/{note_id}/open", {})).status_code == 404
    assert_unchanged(record, await factory.patient_record(chart.patient))
    listing = await browser.client.get("/notifications")
    assert "Safety alert for" not in listing.text


async def test_a_positive_phq2_offers_a_phq9_next(
    chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}"
    fields = {"instrument": "phq-2", "answers.1": PHQ_CODES[2], "answers.2": PHQ_CODES[1]}
    saved = await post(browser, f"{base}/responses", fields)
    result = await browser.client.get(f"{base}/responses/{location_id(saved)}")
    assert "Positive screen" in result.text
    assert f'href="{base}/responses/new?instrument=phq-9">Record PHQ-9 now' in result.text


async def test_not_improving_says_when_there_was_no_follow_up(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    await factory.response(
        chart.patient,
        care_manager,
        answers=phq9_answers(16),
        answered_on=factory.clock.today() - timedelta(weeks=11),
    )
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/measurements")
    assert "Not improving</span>" in page.text
    assert "11 weeks since the baseline and no follow-up PHQ-9 since" in page.text


async def test_an_amendment_naming_another_instrument_is_checked_against_the_real_one(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    read = await factory.response(chart.patient, care_manager, answers=phq9_answers(12))
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/responses/{read.id}/amend"
    gad7 = {f"answers.{n}": PHQ_CODES[0] for n in range(1, 8)}
    record = await factory.patient_record(chart.patient)
    refused = await post(
        browser,
        url,
        {"instrument": "gad-7", **gad7, "version": read.version, "reason": "Crafted"},
    )
    assert refused.status_code == 422
    assert 'id="answers.9-error"' in refused.text
    stored = await factory.reload(Response, read.id)
    assert (stored.instrument, stored.total_score, stored.status) == ("phq-9", 12, "completed")
    assert_unchanged(record, await factory.patient_record(chart.patient))

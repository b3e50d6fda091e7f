"""The safety plan's pages, through the forms a clinician uses: the plan in large type, making it
(the care plan starts with it), a row more without saving, errors named by their row, lines
taken off, the notice when someone else saved first; and the flag on the chart's safety banner
and the Safety tab while an alert is open without a safety plan."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import stored
from tests.integration.care_plan_support import (
    based_on,
    plan_url,
    safety_url,
    start_safety_plan,
)
from tests.integration.test_assessment_pages import post
from tests.integration.test_care_plan_print import pdf_text
from tests.snapshots import assert_unchanged

from tandem.careplans.models import SafetyPlanEntry
from tandem.clock import FrozenClock
from tandem.people.models import User

LINES = {
    "warning_signs.0.text": "I stop answering my phone",
    "warning_signs.1.text": "",
    "people_to_ask.0.name": "My sister Ana",
    "people_to_ask.0.phone": "+1 555 010 4411",
    "reasons_for_living.0.text": "My daughter's wedding in June",
}


def page_of(patient_id: Any, tail: str = "") -> str:
    return f"/patients/{patient_id}/care-plan/safety-plan{tail}"


async def test_without_a_safety_plan_the_page_says_so_and_offers_to_make_one(
    chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    page = await browser.client.get(page_of(chart.patient.id))
    assert page.status_code == 200
    assert "No safety plan yet" in page.text
    assert f'href="{page_of(chart.patient.id, "/edit")}">Make the safety plan' in page.text
    assert "988 Suicide &amp; Crisis Lifeline" in page.text and 'href="tel:988"' in page.text


async def test_making_the_safety_plan_from_the_form_starts_the_care_plan_with_it(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    browser = await browser_for(care_manager)
    form = await browser.client.get(page_of(chart.patient.id, "/edit"))
    assert form.status_code == 200
    assert '<input type="hidden" name="version" value="0">' in form.text
    # A fieldset per step, a labelled row to write in, and a way to get another row.
    assert form.text.count('<fieldset class="safety-section') == 8
    assert '<label for="warning_signs.0.text">Warning sign 1</label>' in form.text
    assert 'name="more" value="people_to_ask"' in form.text
    saved = await post(browser, page_of(chart.patient.id), {"version": "0", **LINES})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == page_of(chart.patient.id) + "?flash=safety-plan-saved"
    shown = await browser.client.get(saved.headers["location"])
    assert "Safety plan saved, as a new version of the care plan." in shown.text
    assert "I stop answering my phone" in shown.text
    assert 'href="tel:+15550104411">+1 555 010 4411</a>' in shown.text
    assert "Not yet gone through with the patient." in shown.text
    client = await client_for(care_manager)
    safety = (await client.get(safety_url(chart.patient.id))).json()
    assert safety["plan_version"] == 1
    assert [e["text"] for e in safety["warning_signs"]] == ["I stop answering my phone"]
    assert safety["people_to_ask"][0]["name"] == "My sister Ana"
    assert len(await stored(factory, SafetyPlanEntry, chart.patient.id)) == 3


async def test_add_another_line_shows_a_row_more_with_the_cursor_in_it_and_saves_nothing(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    record = await factory.patient_record(chart.patient)
    more = await post(
        browser, page_of(chart.patient.id), {"version": "0", **LINES, "more": "warning_signs"}
    )
    assert more.status_code == 200
    assert re.search(r'id="warning_signs\.2\.text"[^>]*autofocus', more.text)
    assert 'value="I stop answering my phone"' in more.text
    assert "There is a problem" not in more.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_wrong_line_is_named_by_the_row_it_was_typed_in(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    record = await factory.patient_record(chart.patient)
    refused = await post(
        browser,
        page_of(chart.patient.id),
        {
            "version": "0",
            "people_to_ask.0.name": "",
            "people_to_ask.1.name": "",
            "people_to_ask.2.name": "Ana",
            "people_to_ask.2.phone": "call me",
            "people_to_ask.3.phone": "+1 555 010 4411",
        },
    )
    assert refused.status_code == 422
    assert 'href="#people_to_ask.2.phone">' in refused.text
    assert 'href="#people_to_ask.3.name">Write something here' in refused.text
    assert 'id="people_to_ask.2.phone" name="people_to_ask.2.phone" type="tel" value="call me"' in (
        refused.text
    )
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_line_ticked_or_emptied_is_taken_off_and_one_changed_keeps_its_place(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await start_safety_plan(client, chart.patient.id)
    browser = await browser_for(care_manager)
    form = await browser.client.get(page_of(chart.patient.id, "/edit"))
    phone, sleep = first["warning_signs"]
    assert f'name="warning_signs.0.id" value="{phone["id"]}"' in form.text
    assert '<input type="hidden" name="version" value="1">' in form.text
    fields = form_fields(form.text)
    fields.update(
        {
            "version": "1",
            "warning_signs.0.remove": "on",
            "warning_signs.1.text": "I can't sleep for two nights running",
            "coping_strategies.0.text": "",
            "reviewed_on": factory.clock.today().isoformat(),
        }
    )
    saved = await post(browser, page_of(chart.patient.id), fields)
    assert saved.status_code == 303, saved.text
    now = (await client.get(safety_url(chart.patient.id))).json()
    assert now["plan_version"] == 2
    assert now["warning_signs"] == [
        {"id": sleep["id"], "text": "I can't sleep for two nights running"}
    ]
    assert now["coping_strategies"] == []
    assert now["people_to_ask"] == first["people_to_ask"]
    assert now["reviewed_by"] == care_manager.full_name
    ended = {
        str(row.id)
        for row in await stored(factory, SafetyPlanEntry, chart.patient.id)
        if row.status == "ended"
    }
    assert ended == {phone["id"], first["coping_strategies"][0]["id"]}


def form_fields(page: str) -> dict[str, str]:
    """What a form page would send as it stands: its rows, version and review day."""
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'name="([a-z_]+\.\d+\.(?:id|text|name|phone)|version|reviewed_on)"'
            r'(?: type="[a-z]+")? value="([^"]*)"',
            page,
        )
    }


async def opened_then_changed(
    chart: PatientWithTeam, client: Any, browser: Any, other: Any, reason_for_living: str
) -> tuple[Any, dict[str, str]]:
    """A safety plan, its form opened in ``browser``, then its reasons for living changed by
    ``other`` (a client) to ``reason_for_living``: the browser and what its form would send."""
    await start_safety_plan(client, chart.patient.id)
    opened = form_fields((await browser.client.get(page_of(chart.patient.id, "/edit"))).text)
    meanwhile = await other.patch(
        safety_url(chart.patient.id),
        json={"reasons_for_living": [{"text": reason_for_living}]},
        headers=based_on(1),
    )
    assert meanwhile.status_code == 200, meanwhile.text
    return browser, opened


async def test_someone_else_saving_first_keeps_what_was_typed_and_takes_in_their_change(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    other = await factory.user(role="therapist", full_name="Theo Therapist")
    await factory.member(chart.patient, other, role="therapist")
    client = await client_for(care_manager)
    browser, opened = await opened_then_changed(
        chart,
        client,
        await browser_for(care_manager),
        await client_for(other),
        "Seeing my grandson grow up",
    )
    record = await factory.patient_record(chart.patient)
    mine = {**opened, "warning_signs.0.text": "I give my things away"}
    stale = await post(browser, page_of(chart.patient.id), mine)
    assert stale.status_code == 409
    text = html.unescape(stale.text)
    assert "Someone else changed the plan while you were working" in text
    # The other change, line by line; what was typed, kept; the step left alone, theirs.
    assert "Safety plan, My reasons for living: Seeing my grandson grow up" in text
    again = form_fields(stale.text)
    assert again["version"] == "2"
    assert again["warning_signs.0.text"] == "I give my things away"
    assert again["reasons_for_living.0.text"] == "Seeing my grandson grow up"
    assert "; yours is kept. Check it." not in text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    saved = await post(browser, page_of(chart.patient.id), again)
    assert saved.status_code == 303, saved.text
    now = (await client.get(safety_url(chart.patient.id))).json()
    assert (now["plan_version"], now["warning_signs"][0]["text"]) == (3, "I give my things away")
    assert [e["text"] for e in now["reasons_for_living"]] == ["Seeing my grandson grow up"]


async def test_a_step_both_changed_keeps_what_was_typed_and_says_what_the_other_made_it(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    client = await client_for(care_manager)
    browser, opened = await opened_then_changed(
        chart, client, await browser_for(care_manager), client, "My cat Miso"
    )
    mine = {**opened, "reasons_for_living.0.text": "My garden"}
    stale = await post(browser, page_of(chart.patient.id), mine)
    assert stale.status_code == 409
    text = html.unescape(stale.text)
    assert "The other change made this step say “My cat Miso”; yours is kept. Check it." in text
    again = form_fields(stale.text)
    assert again["reasons_for_living.0.text"] == "My garden"
    # The line they both changed is no longer the one on the plan: saving adds it afresh.
    assert "reasons_for_living.0.id" not in again


async def test_starting_a_plan_someone_else_started_first_keeps_what_was_typed(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    await start_safety_plan(await client_for(care_manager), chart.patient.id)
    browser = await browser_for(care_manager)
    stale = await post(browser, page_of(chart.patient.id), {"version": "0", **LINES})
    assert stale.status_code == 409
    assert "Someone else changed the plan while you were working" in stale.text
    again = form_fields(stale.text)
    assert (again["version"], again["warning_signs.0.text"]) == ("1", "I stop answering my phone")
    # Steps this form left empty take what the plan now says.
    assert again["coping_strategies.0.text"] == "Walk the dog round the park"


async def test_a_peer_specialist_reads_the_plan_but_is_offered_no_form(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    await start_safety_plan(await client_for(care_manager), chart.patient.id)
    peer = await factory.user(role="peer_specialist")
    await factory.member(chart.patient, peer, role="peer_specialist")
    browser = await browser_for(peer)
    page = await browser.client.get(page_of(chart.patient.id))
    assert page.status_code == 200
    assert "Walk the dog round the park" in page.text
    assert "Change the safety plan" not in page.text
    assert (await browser.client.get(page_of(chart.patient.id, "/edit"))).status_code == 403


# -- the flag ------------------------------------------------------------------------------


async def test_an_open_alert_without_a_safety_plan_is_flagged_on_the_banner_and_the_safety_tab(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    await factory.response(chart.patient, care_manager, answers=phq9_answers(12, item9=1))
    browser = await browser_for(care_manager)
    href = page_of(chart.patient.id)
    for tab in ("", "/care-team", "/safety"):
        page = await browser.client.get(f"/patients/{chart.patient.id}{tab}")
        banner = page.text[page.text.index("safety-banner") :][:3000]
        assert f'href="{href}/edit">No safety plan yet — create one</a>' in banner, tab
    tab = await browser.client.get(f"/patients/{chart.patient.id}/safety")
    assert "<strong>No safety plan yet.</strong>" in tab.text

    await start_safety_plan(await client_for(care_manager), chart.patient.id)
    page = await browser.client.get(f"/patients/{chart.patient.id}")
    assert f'href="{href}">Open the safety plan</a>' in page.text
    assert "No safety plan yet" not in page.text


async def test_a_safety_plan_with_every_line_taken_off_counts_as_none(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    client = await client_for(care_manager)
    await start_safety_plan(client, chart.patient.id)
    emptied = await client.put(safety_url(chart.patient.id), json={}, headers=based_on(1))
    assert emptied.status_code == 200, emptied.text
    await factory.response(chart.patient, care_manager, answers=phq9_answers(12, item9=1))
    page = await (await browser_for(care_manager)).client.get(f"/patients/{chart.patient.id}")
    assert "No safety plan yet — create one" in page.text


async def test_a_peer_specialist_sees_the_flag_and_the_way_to_the_plan_but_no_create(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    await factory.response(chart.patient, care_manager, answers=phq9_answers(12, item9=1))
    peer = await factory.user(role="peer_specialist")
    await factory.member(chart.patient, peer, role="peer_specialist")
    page = await (await browser_for(peer)).client.get(f"/patients/{chart.patient.id}")
    assert "<strong>No safety plan yet.</strong>" in page.text
    assert f'href="{page_of(chart.patient.id)}">Open the safety plan</a>' in page.text
    assert "create one" not in page.text


async def test_without_an_open_alert_there_is_no_banner_and_no_flag(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    page = await (await browser_for(care_manager)).client.get(f"/patients/{chart.patient.id}")
    assert "safety-banner" not in page.text and "No safety plan yet" not in page.text
    tab = await (await browser_for(care_manager)).client.get(f"/patients/{chart.patient.id}/safety")
    assert f'href="{page_of(chart.patient.id)}">Open the safety plan</a>' in tab.text


async def test_the_review_day_is_kept_from_the_form_and_shown_on_the_plan(
    chart: PatientWithTeam,
    care_manager: User,
    browser_for: Any,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    await start_safety_plan(await client_for(care_manager), chart.patient.id)
    browser = await browser_for(care_manager)
    refused = await post(
        browser,
        page_of(chart.patient.id),
        {"version": "1", "reviewed_on": "2999-01-01", **LINES},
    )
    assert refused.status_code == 422
    assert 'href="#reviewed_on">' in refused.text
    saved = await post(
        browser,
        page_of(chart.patient.id),
        {"version": "1", "reviewed_on": clock.today().isoformat(), **LINES},
    )
    assert saved.status_code == 303, saved.text
    shown = await browser.client.get(page_of(chart.patient.id))
    assert "Last gone through with the patient on" in shown.text
    assert care_manager.full_name in shown.text
    versions = (
        await (await client_for(care_manager)).get(plan_url(chart.patient.id, "/versions"))
    ).json()
    assert [v["version"] for v in versions] == [1, 2]


async def test_the_plans_history_shows_what_changed_in_the_safety_plan(
    chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    client = await client_for(care_manager)
    first = await start_safety_plan(client, chart.patient.id)
    sleep = first["warning_signs"][1]
    changed = await client.patch(
        safety_url(chart.patient.id),
        json={
            "warning_signs": [{"id": sleep["id"], "text": "I can't sleep for two nights"}],
            "reasons_for_living": [{"text": "My cat Miso"}],
        },
        headers=based_on(1),
    )
    assert changed.status_code == 200, changed.text
    browser = await browser_for(care_manager)
    history = await browser.client.get(f"/patients/{chart.patient.id}/care-plan/history")
    assert history.status_code == 200
    text = html.unescape(history.text)
    assert "Safety plan, My reasons for living: My cat Miso" in text
    assert "Safety plan, Signs that a crisis may be coming: I stop answering my phone" in text
    assert "I can't sleep for two nights" in text


async def test_the_patients_printed_plan_and_its_pdf_carry_the_safety_plan(
    chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    await start_safety_plan(await client_for(care_manager), chart.patient.id)
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/care-plan/print")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "My safety plan" in text
    assert "Signs that a crisis may be coming" in text and "I stop answering my phone" in text
    assert "My sister Ana — +1 555 010 4411" in text
    # The crisis line heads the professionals to call, as on the plan itself.
    professionals = text[text.index("Professionals and services to contact") :]
    assert professionals.index("988 Suicide & Crisis Lifeline") < professionals.index("Dr Patel")
    pdf = await browser.client.get(f"/patients/{chart.patient.id}/care-plan.pdf")
    printed = pdf_text(pdf.content)
    assert "My safety plan" in printed and "My daughter's wedding in June" in printed


async def test_a_patient_without_a_safety_plan_prints_none(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    await factory.care_plan(chart.patient, care_manager)
    page = await (await browser_for(care_manager)).client.get(
        f"/patients/{chart.patient.id}/care-plan/print"
    )
    assert page.status_code == 200 and "My safety plan" not in page.text

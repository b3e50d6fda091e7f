"""Measurement-based care in a real browser: record PHQ-9s with the keyboard, see the score, the
band and the chart, and act on a safety alert."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browser import BrowserProblems, Server, SignIn, page_width

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 375


def register_patient(page: Page, server: Server) -> str:
    """A new patient of my own, so that their measurements are only the ones this test makes."""
    family = f"Measure{uuid.uuid4().hex[:6]}"
    page.goto(f"{server.url}/patients/new")
    page.get_by_label("Given name").fill("Robin")
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Date of birth").fill("1984-06-02")
    page.get_by_label("Gender").select_option("female")
    page.get_by_role("button", name="Register patient").click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}\?"))
    return page.url.split("?")[0]


def answer_phq9_with_the_keyboard(page: Page, values: list[int]) -> None:
    """Tab into each question's radio group and move to the answer with the arrow keys."""
    page.get_by_role("group", name=re.compile("^Little interest")).get_by_role(
        "radio"
    ).first.focus()
    for n, value in enumerate(values):
        if n:
            page.keyboard.press("Tab")
        page.keyboard.press("Space" if value == 0 else "ArrowRight")
        for _ in range(max(0, value - 1)):
            page.keyboard.press("ArrowRight")


def record_phq9(page: Page, chart: str, values: list[int], answered_on: date) -> None:
    page.goto(f"{chart}/measurements")
    page.get_by_role("link", name="Record PHQ-9").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("PHQ-9")
    page.get_by_label("Date answered").fill(answered_on.isoformat())
    answer_phq9_with_the_keyboard(page, values)
    expect(page.locator(".running-total")).to_contain_text(f"Total so far: {sum(values)} of 27")
    page.get_by_role("button", name="Save PHQ-9").click()
    page.wait_for_url(re.compile(r"/responses/[0-9a-f-]{36}"))


def test_care_manager_records_phq9s_and_sees_score_band_and_chart(
    page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    sign_in(page)
    chart = register_patient(page, server)
    today = date.today()

    # A baseline eight weeks ago, then today's: 18 (moderately severe) down to 7 (mild).
    record_phq9(page, chart, [3, 3, 2, 2, 2, 2, 2, 2, 0], today - timedelta(weeks=8))
    expect(page.locator(".result-score")).to_contain_text("18")
    expect(page.locator(".result-band")).to_contain_text("Moderately severe")
    record_phq9(page, chart, [1, 1, 1, 1, 1, 1, 1, 0, 0], today)
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator(".result-score")).to_contain_text("7")
    expect(page.locator(".result-band")).to_contain_text("Mild")
    expect(page.locator(".result-change")).to_contain_text("from 18")
    page.screenshot(path="/tmp/tandem-phq9-result.png", full_page=True)

    # The trajectory: a chart with the bands and remission line, and a table beside it.
    page.get_by_role("navigation", name="Patient record").get_by_role(
        "link", name="Measurements"
    ).click()
    phq9 = page.locator(
        "section.trajectory", has=page.get_by_role("heading", name="PHQ-9 over time")
    )
    chart_image = phq9.get_by_role("img")
    expect(chart_image).to_be_visible()
    expect(chart_image).to_have_accessible_name(re.compile("PHQ-9 scores from"))
    expect(phq9.locator("[data-part='band-severe']")).to_have_count(1)
    expect(phq9.locator("[data-part='remission-line']")).to_have_count(1)
    rows = phq9.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("7")
    expect(rows.first).to_contain_text("Mild")
    expect(phq9.locator(".trajectory-facts")).to_contain_text("Change from baseline")
    expect(phq9.locator(".badge.judgement")).to_have_text("Responding")
    page.screenshot(path="/tmp/tandem-measurements.png", full_page=True)
    problems.assert_none()


def test_item_9_raises_a_banner_until_someone_records_what_was_done(
    page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    sign_in(page)
    chart = register_patient(page, server)
    record_phq9(page, chart, [1, 1, 1, 1, 0, 0, 0, 0, 1], date.today())

    banner = page.locator(".safety-banner")
    expect(banner).to_contain_text("PHQ-9 item 9")
    expect(banner.get_by_role("link", name="Complete a suicide-risk screen")).to_be_visible()
    page.goto(f"{chart}/care-team")
    expect(page.locator(".safety-banner")).to_be_visible()

    page.locator(".safety-banner").get_by_role("link", name="Record what was done").click()
    expect(page.get_by_role("heading", name="Open safety alerts")).to_be_visible()
    page.get_by_role("button", name="Record and close the alert").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    done = page.get_by_role("group", name="What was done")
    done.get_by_label("Safety plan gone through with the patient").check()
    done.get_by_label("A clinician saw or spoke with the patient today").check()
    page.get_by_label("In words").fill(
        "Phoned Robin at 15:00: passive thoughts, no plan or intent; safety plan reviewed."
    )
    page.get_by_role("button", name="Record and close the alert").click()
    expect(page.get_by_role("status")).to_contain_text("The alert is closed")
    expect(page.locator(".safety-banner")).to_have_count(0)
    expect(page.get_by_text("Closed alerts (1)")).to_be_visible()
    # The one refusal was the empty form (422); nothing else went wrong.
    assert [p for p in problems.found if "422" not in p] == []


def test_measurements_fit_a_phone_screen(
    phone_page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    page = phone_page
    sign_in(page)
    chart = register_patient(page, server)
    record_phq9(page, chart, [2, 2, 1, 1, 1, 1, 1, 1, 0], date.today())
    assert page_width(page) <= PHONE_WIDTH + 1, "the result is wider than a 375 px phone"
    page.goto(f"{chart}/measurements")
    expect(page.get_by_role("img").first).to_be_visible()
    assert page_width(page) <= PHONE_WIDTH + 1, "the measurements are wider than a 375 px phone"
    page.screenshot(path="/tmp/tandem-measurements-phone.png", full_page=True)
    problems.assert_none()

"""The safety plan in a real browser: from the banner of a safety alert to the form, lines added
with the keyboard, saved with Enter, read back in large type; then the alert closed with what
was done."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browser import BrowserProblems, Server, SignIn, page_width
from tests.e2e.test_measurements import PHONE_WIDTH, record_phq9, register_patient

pytestmark = pytest.mark.e2e


def test_the_safety_plan_opens_from_the_alert_banner_and_keeps_what_is_written(
    page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    sign_in(page)
    chart = register_patient(page, server)
    record_phq9(page, chart, [1, 1, 1, 1, 0, 0, 0, 0, 1], date.today())

    # The banner flags the open alert without a safety plan, one click from making one.
    banner = page.locator(".safety-banner")
    expect(banner).to_contain_text("PHQ-9 item 9")
    banner.get_by_role("link", name="No safety plan yet — create one").click()
    expect(page.get_by_role("heading", name="Make the safety plan", level=2)).to_be_visible()
    expect(page.get_by_role("group", name="Professionals and services to contact")).to_contain_text(
        "988 Suicide & Crisis Lifeline"
    )

    # A warning sign, then a row more for the next one: the cursor waits in it.
    signs = page.get_by_role("group", name="Signs that a crisis may be coming")
    signs.get_by_label("Warning sign 1").fill("I stop answering my phone")
    signs.get_by_role("button", name="Add another line").click()
    expect(page.get_by_label("Warning sign 2")).to_be_focused()
    page.keyboard.type("I can't sleep")
    helpers = page.get_by_role("group", name="People I can ask for help")
    helpers.get_by_label("Name 1").fill("My sister Ana")
    helpers.get_by_label("Phone 1").fill("+1 555 010 4411")
    reasons = page.get_by_role("group", name="My reasons for living")
    reasons.get_by_label("Reason 1").fill("My daughter's wedding in June")
    page.screenshot(path="/tmp/tandem-safety-plan-form.png", full_page=True)
    # Enter in a line saves the plan, as it would any form.
    reasons.get_by_label("Reason 1").press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Safety plan saved")
    plan = page.locator("ol.safety-plan")
    expect(plan).to_contain_text("I stop answering my phone")
    expect(plan).to_contain_text("I can't sleep")
    expect(plan.get_by_role("link", name="+1 555 010 4411")).to_have_attribute(
        "href", "tel:+15550104411"
    )
    expect(page.locator(".crisis-lines")).to_contain_text("Call or text 988")
    page.screenshot(path="/tmp/tandem-safety-plan.png", full_page=True)

    # The banner now opens the plan; closing the alert says what was done.
    expect(
        page.locator(".safety-banner").get_by_role("link", name="Open the safety plan")
    ).to_be_visible()
    page.locator(".safety-banner").get_by_role("link", name="Record what was done").click()
    done = page.get_by_role("group", name="What was done")
    page.screenshot(path="/tmp/tandem-safety-tab.png", full_page=True)
    done.get_by_label("Safety plan made with the patient").check()
    done.get_by_label("Crisis line given (988: call or text)").check()
    page.get_by_role("button", name="Record and close the alert").click()
    expect(page.get_by_role("status")).to_contain_text("The alert is closed")
    expect(page.locator(".safety-banner")).to_have_count(0)
    problems.assert_none()


def test_the_safety_plan_fits_a_phone_screen(
    phone_page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    page = phone_page
    sign_in(page)
    chart = register_patient(page, server)
    page.goto(f"{chart}/care-plan/safety-plan/edit")
    page.get_by_role("group", name="People I can ask for help").get_by_label("Name 1").fill(
        "My sister Ana"
    )
    assert page_width(page) <= PHONE_WIDTH + 1, "the form is wider than a 375 px phone"
    page.get_by_role("button", name="Save the safety plan").click()
    expect(page.get_by_role("status")).to_contain_text("Safety plan saved")
    assert page_width(page) <= PHONE_WIDTH + 1, "the plan is wider than a 375 px phone"
    page.screenshot(path="/tmp/tandem-safety-plan-phone.png", full_page=True)
    problems.assert_none()

"""A care manager's day in a real browser: sign in, find a patient, work their chart."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browser import BrowserProblems, Server, SignIn, page_width

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 375


def first_patient_on_caseload(page: Page) -> str:
    """The display name ("Family, Given") of the first patient in the caseload table."""
    link = page.locator("#caseload-results tbody th a").first
    expect(link).to_be_visible()
    return link.inner_text().strip()


def test_care_manager_finds_a_patient_and_adds_a_family_member(
    page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    sign_in(page)

    # The caseload: a heading, a table of patients with a count, and a search box.
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(page.locator("#caseload-results caption")).to_contain_text("Patients on my caseload")
    expect(page.locator(".pagination-count")).to_contain_text("patients")
    page.screenshot(path="/tmp/tandem-caseload.png", full_page=True)
    name = first_patient_on_caseload(page)
    family_name = name.split(",")[0]

    # Search without JavaScript's help: the form submits to /caseload?q=…
    search = page.get_by_label("Find a patient on my caseload")
    search.fill(family_name)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/caseload\?q="))
    expect(page.locator("#caseload-results tbody th a").first).to_contain_text(family_name)

    # Live search: typing updates the results in place (htmx) and the address bar follows.
    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(f"{server.url}/caseload")
    with page.expect_response(lambda r: "/caseload?q=" in r.url and r.status == 200):
        page.get_by_label("Find a patient on my caseload").press_sequentially(family_name, delay=40)
    expect(page.locator("#caseload-results caption")).to_contain_text(f"matching “{family_name}")
    expect(page).to_have_url(re.compile(r"/caseload\?q="))

    # The chart: the header says who this is, the tabs lead to each part of the record.
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}$"))
    header = page.locator(".chart-header")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    for fact in ("MRN", "Born", "Language", "Programme", "Lead care manager"):
        expect(header.locator("dt").get_by_text(fact, exact=True)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Patient record")
    expect(tabs.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    page.screenshot(path="/tmp/tandem-chart.png", full_page=True)

    # The care team: Alex is on it (that is why the patient is on the caseload).
    tabs.get_by_role("link", name="Care team").click()
    expect(page.get_by_role("heading", name="Care team", level=2)).to_be_visible()
    team = page.locator("table.data").first
    expect(team.locator("tbody tr").first).to_be_visible()
    expect(team).to_contain_text("Alex Rivera")
    page.screenshot(path="/tmp/tandem-care-team.png", full_page=True)

    # Family & caregivers: add a sister, see her listed.
    tabs.get_by_role("link", name="Family & caregivers").click()
    relative = f"Rosa Test {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name", exact=True).fill(relative)
    page.get_by_label("Relationship to the patient").select_option(label="Sibling")
    page.get_by_label("Phone").fill("+1 555 010 7788")
    page.get_by_label("Emergency contact").check()
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("status")).to_contain_text("Family member or caregiver added")
    row = page.locator("table.data tbody tr", has_text=relative)
    expect(row).to_contain_text("Sibling")
    expect(row).to_contain_text("Emergency contact")

    problems.assert_none()


def test_a_form_with_a_mistake_keeps_what_was_typed(
    page: Page, server: Server, sign_in: SignIn
) -> None:
    """A half-completed form comes back with the typed values and the error beside the field."""
    sign_in(page)
    page.goto(f"{server.url}/patients/new")
    page.get_by_label("Given name").fill("Quinn")
    page.get_by_label("Family name").fill("Example")
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Register patient").click()

    expect(page.get_by_label("Given name")).to_have_value("Quinn")
    phone = page.get_by_label("Phone")
    expect(phone).to_have_value("12")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-error")).to_contain_text("phone number")
    expect(page.locator("#birth_date-error")).to_have_text("This field is required.")


def test_caseload_and_chart_fit_a_phone_screen(
    phone_page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    page = phone_page
    sign_in(page)
    assert page_width(page) <= PHONE_WIDTH + 1, "the caseload is wider than a 375 px phone"
    page.screenshot(path="/tmp/tandem-caseload-phone.png", full_page=True)

    name = first_patient_on_caseload(page)
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    assert page_width(page) <= PHONE_WIDTH + 1, "the chart is wider than a 375 px phone"
    page.screenshot(path="/tmp/tandem-chart-phone.png", full_page=True)

    page.get_by_role("navigation", name="Patient record").get_by_role(
        "link", name="Care team"
    ).click()
    expect(page.get_by_role("heading", name="Care team", level=2)).to_be_visible()
    assert page_width(page) <= PHONE_WIDTH + 1, "the care team page is wider than a 375 px phone"
    problems.assert_none()

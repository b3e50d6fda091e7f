"""The care plan in a real browser: a goal added and edited, the history comparing two versions,
and the conflict notice when a second browser saved first."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.browser import BrowserProblems, Server, SignIn

pytestmark = pytest.mark.e2e


def open_care_plan(page: Page, sign_in: SignIn, row: int) -> str:
    """Sign in, open the ``row``-th patient of the caseload and its Care plan tab (starting the
    plan if there is none); returns the plan's address."""
    sign_in(page)
    page.locator("#caseload-results tbody th a").nth(row).click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}$"))
    tabs = page.get_by_role("navigation", name="Patient record")
    tabs.get_by_role("link", name="Care plan").click()
    expect(page.get_by_role("heading", name="Care plan", level=2)).to_be_visible()
    start = page.get_by_role("button", name="Start the care plan")
    if start.count():
        start.click()
        expect(page.get_by_role("status")).to_contain_text("The care plan is started")
    return page.url.split("?")[0]


def test_a_goal_is_edited_and_a_second_browser_sees_the_conflict(
    page: Page,
    browser: Browser,
    server: Server,
    sign_in: SignIn,
    problems: BrowserProblems,
) -> None:
    plan_url = open_care_plan(page, sign_in, 2)
    words = f"Sleep through the night {uuid.uuid4().hex[:6]}"

    # A goal, in the patient's words, with a target.
    page.get_by_role("link", name="Add a goal").first.click()
    page.get_by_label("The goal, in the patient's words").fill(words)
    page.get_by_label("Target (optional)", exact=True).fill("Six hours most nights")
    page.get_by_label("Why (kept with this version of the plan)").fill("Agreed at today's visit")
    page.get_by_role("button", name="Add the goal").click()
    expect(page.get_by_role("status")).to_contain_text("Goal added")
    goal = page.locator("article.goal-card", has_text=words)
    expect(goal).to_contain_text("Six hours most nights")
    page.screenshot(path="/tmp/tandem-care-plan.png", full_page=True)

    # Two people open the same goal; the second browser saves first.
    goal.get_by_role("link", name=re.compile("^Change")).first.click()
    edit_url = page.url
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        sign_in(other)
        other.goto(edit_url)
        other.get_by_label("Target (optional)", exact=True).fill("Five hours most nights")
        other.get_by_role("button", name="Save the goal").click()
        expect(other.get_by_role("status")).to_contain_text("Goal saved")
    finally:
        other.context.close()

    # The first one's save is refused, with the other change shown and their words kept.
    page.get_by_label("The goal, in the patient's words").fill(words + ", most nights")
    page.get_by_role("button", name="Save the goal").click()
    notice = page.get_by_role("alert").filter(has_text="Someone else changed the plan")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Five hours most nights")
    expect(page.get_by_label("The goal, in the patient's words")).to_have_value(
        words + ", most nights"
    )
    page.screenshot(path="/tmp/tandem-care-plan-conflict.png", full_page=True)
    assert [p for p in problems.found if "409" not in p] == []
    problems.found.clear()

    # Having seen it, they save again: both changes are on the plan.
    page.get_by_role("button", name="Save the goal").click()
    expect(page.get_by_role("status")).to_contain_text("Goal saved")
    goal = page.locator("article.goal-card", has_text=words + ", most nights")
    expect(goal).to_contain_text("Five hours most nights")

    # The history lists every version and compares the last two.
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History of the care plan")).to_be_visible()
    changes = page.locator("table.changes")
    expect(changes).to_contain_text(words + ", most nights")
    expect(changes).to_contain_text(words)
    page.get_by_label("From version").select_option(index=2)
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("table.changes")).to_contain_text("Five hours most nights")
    page.get_by_role("link", name=re.compile("^View")).first.click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("as it was at version")
    assert page.url.startswith(plan_url)
    problems.assert_none()

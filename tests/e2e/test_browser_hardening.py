"""Browser hardening in a real browser: the main pages break no rule of the Content-Security-
Policy, nothing is fetched from another origin, and the API docs render offline from Tandem's
own copy of Swagger UI without keeping anything in the browser's storage."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, Route, expect
from tests.e2e.browser import BrowserProblems, Server, SignIn
from tests.e2e.test_measurements import record_phq9, register_patient

pytestmark = pytest.mark.e2e

# Runs before any script of every page the tab opens.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}`
  );
});
"""


class Watch:
    """What a tab did that the hardening forbids: CSP violations (as the page's event and as
    the console's message) and requests to any other origin, which are refused (offline)."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page = page
        self.server = server
        self.violations: list[str] = []
        self.outside: list[str] = []
        page.add_init_script(WATCH_CSP)
        page.on("console", self._console)
        page.route("**/*", self._route)

    def _console(self, message: object) -> None:
        text = str(getattr(message, "text", ""))
        if "Content Security Policy" in text:
            self.violations.append(f"console: {text}")

    def _route(self, route: Route) -> None:
        if route.request.url.startswith(self.server.url):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def check(self, what: str) -> None:
        """Collect the violations the page now open has reported."""
        found: list[str] = self.page.evaluate("window.__cspViolations || []")
        self.violations += [f"{what}: {v}" for v in found]


def test_the_main_pages_break_no_rule_of_the_content_security_policy(
    page: Page, server: Server, sign_in: SignIn, problems: BrowserProblems
) -> None:
    watch = Watch(page, server)
    page.goto(f"{server.url}/login")
    watch.check("sign-in page")
    sign_in(page)
    # Live search swaps the results in with htmx, which must not inject a style of its own.
    with page.expect_response(lambda r: "/caseload?q=" in r.url and r.status == 200):
        page.get_by_label("Find a patient on my caseload").press_sequentially("a", delay=40)
    watch.check("caseload")

    chart = register_patient(page, server)
    watch.check("chart overview")
    # The questionnaire form (with its running total) and the saved result.
    record_phq9(page, chart, [2, 2, 1, 1, 1, 1, 1, 1, 0], date.today())
    watch.check("PHQ-9 form and result")
    page.goto(f"{chart}/measurements")
    expect(page.locator("svg.trajectory-svg").first).to_be_visible()
    watch.check("Measurements with the SVG chart")
    page.goto(f"{server.url}/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    watch.check("API docs")

    assert watch.violations == []
    assert watch.outside == []
    problems.assert_none()


def test_the_api_docs_render_offline_and_keep_no_token(
    page: Page, server: Server, problems: BrowserProblems
) -> None:
    watch = Watch(page, server)
    page.goto(f"{server.url}/api/v1/docs")
    expect(page.get_by_role("heading", name=re.compile("Tandem API"))).to_be_visible()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    operations.first.locator(".opblock-summary").click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    page.screenshot(path="/tmp/tandem-api-docs.png")
    watch.check("API docs")

    assert watch.violations == []
    assert watch.outside == []
    assert page.evaluate("Object.keys(localStorage)") == []
    problems.assert_none()

"""The privacy officer's pages of the audit trail: the search with its filters, next page
and CSV link, and the refused attempts; accessible markup, no inline code; others refused."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.factories import Factory, PatientWithTeam
from tests.integration.audit_trail_support import add_events, event, events_by, hours_ago
from tests.page_checks import inline_code, outside_urls

from tandem.people.models import User

SEARCH = "/privacy/audit"
REFUSED = "/privacy/audit/refused"


@pytest.fixture
async def officer_page(privacy_officer: User, browser_for: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = (await browser_for(privacy_officer)).client
    return client


def links(page: str, rel: str | None = None, text: str | None = None) -> list[str]:
    """The hrefs of the page's links, those with ``rel`` or whose text contains ``text``."""
    found = []
    for attrs, inner in re.findall(r"<a\b([^>]*)>(.*?)</a>", page, re.S):
        href = re.search(r'href="([^"]*)"', attrs)
        if href is None:
            continue
        if rel is not None and f'rel="{rel}"' not in attrs:
            continue
        if text is not None and text not in inner:
            continue
        found.append(html.unescape(href.group(1)))
    return found


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def event_ids_shown(page: str, record_ids: list[str]) -> list[str]:
    return [
        rid
        for rid in re.findall(r'<span class="mono muted">([^<]+)</span>', page)
        if rid in record_ids
    ]


async def test_the_search_page_shows_matching_events_keeps_the_filters_and_links_the_csv(
    factory: Factory,
    officer_page: httpx.AsyncClient,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    probed = [str(uuid.uuid4()) for _ in range(3)]
    await add_events(
        factory,
        *(
            event(
                hours_ago(factory, 5 - n),
                by=care_manager,
                action="E",
                record_type="AccessRefused",
                record_id=rid,
                outcome=4,
            )
            for n, rid in enumerate(probed)
        ),
        event(hours_ago(factory, 1), by=care_manager, patient_id=chart.patient.id),
    )
    params = {"user": care_manager.username, "outcome": "refused", "from": "2026-03-01"}
    response = await officer_page.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    page = response.text
    assert event_ids_shown(page, probed) == list(reversed(probed))
    assert f'value="{care_manager.username}"' in page
    assert re.search(r'<option value="refused" selected>', page)
    [csv_link] = links(page, text="CSV")
    assert urlsplit(csv_link).path == "/api/v1/audit-events.csv"
    assert query_of(csv_link) == params
    csv = await officer_page.get(csv_link)
    assert csv.status_code == 200
    assert all(rid in csv.text for rid in probed)
    assert links(page, rel="next") == []


async def test_the_next_page_link_continues_where_the_page_ended(
    factory: Factory, officer_page: httpx.AsyncClient, care_manager: User
) -> None:
    records = [str(uuid.uuid4()) for _ in range(4)]
    await add_events(
        factory,
        *(
            event(hours_ago(factory, 9 - n), by=care_manager, record_type="Patient", record_id=r)
            for n, r in enumerate(records)
        ),
    )
    first = await officer_page.get(SEARCH, params={"user": care_manager.username, "limit": "3"})
    [following] = links(first.text, rel="next")
    assert query_of(following)["user"] == care_manager.username
    second = await officer_page.get(following + "&limit=3")
    assert second.status_code == 200
    shown = event_ids_shown(first.text, records) + event_ids_shown(second.text, records)
    assert shown == list(reversed(records))
    assert "Older events" in second.text
    assert links(second.text, rel="next") == []
    assert links(second.text, text="Newest") == [f"{SEARCH}?user={care_manager.username}"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "yesterday"}, "from", "Enter a date as YYYY-MM-DD."),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to", "The last day cannot be before"),
        ({"patient": "T0000000000"}, "patient", "No patient has this MRN."),
        ({"outcome": "perhaps"}, "outcome", "Input should be"),
    ],
)
async def test_a_bad_filter_answers_422_with_the_problem_next_to_its_field(
    officer_page: httpx.AsyncClient, params: dict[str, str], field: str, message: str
) -> None:
    response = await officer_page.get(SEARCH, params=params)
    assert response.status_code == 422
    page = response.text
    assert 'class="banner banner-error error-summary" role="alert"' in page
    assert f'href="#{field}"' in page
    assert re.search(rf'<p class="error" id="{field}-error">{re.escape(message)}', page)
    assert 'id="results-heading"' not in page


async def test_unknown_parameters_in_the_address_are_ignored_by_the_page(
    officer_page: httpx.AsyncClient,
) -> None:
    response = await officer_page.get(SEARCH, params={"flash": "x", "page": "2"})
    assert response.status_code == 200


async def test_the_refused_attempts_page_puts_the_prober_first_and_links_their_attempts(
    factory: Factory, officer_page: httpx.AsyncClient, care_manager: User
) -> None:
    prober = await factory.user(role="peer_specialist", full_name="Pat Prober")
    await add_events(
        factory,
        *(
            event(
                hours_ago(factory, n + 1),
                by=user,
                action="E",
                record_type="AccessRefused",
                record_id=uuid.uuid4(),
                outcome=4,
            )
            for n, user in enumerate([prober] * 6 + [care_manager])
        ),
    )
    response = await officer_page.get(REFUSED)
    assert response.status_code == 200
    page = response.text
    assert page.index("Pat Prober") < page.index(care_manager.full_name)
    [theirs] = links(page, text=f"of {prober.username}")
    assert query_of(theirs) == {
        "from": "2026-02-09",
        "user": prober.username,
        "outcome": "refused",
    }
    assert (await officer_page.get(theirs)).status_code == 200
    bad = await officer_page.get(REFUSED, params={"from": "2026-03-05", "to": "2026-03-01"})
    assert bad.status_code == 422
    assert 'href="#to"' in bad.text


@pytest.mark.parametrize("path", [SEARCH, REFUSED, "/privacy/access-log"])
async def test_the_audit_pages_are_tabs_of_one_section_of_the_navigation(
    officer_page: httpx.AsyncClient, path: str
) -> None:
    page = (await officer_page.get(path)).text
    nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
    assert '<a href="/privacy/audit" aria-current="page">Audit trail</a>' in nav
    tabs = page[page.index('<nav class="tabs compact" aria-label="Audit trail">') :]
    tabs = tabs[: tabs.index("</nav>")]
    assert f'<a href="{path}" aria-current="page">' in tabs
    assert tabs.count("<a ") == 3


@pytest.mark.parametrize("path", [SEARCH, REFUSED])
async def test_the_audit_pages_are_accessible_and_carry_no_inline_code(
    officer_page: httpx.AsyncClient, path: str
) -> None:
    page = (await officer_page.get(path)).text
    assert inline_code(page) == []
    assert outside_urls(page) == []
    assert page.count("<h1>") == 1
    assert re.search(r'<form class="card"[^>]* method="get"', page)
    # Every field has its label, tied to it by id.
    fields = re.findall(r'<(?:input|select)\b[^>]*\bid="([^"]+)"', page)
    assert fields
    for field in fields:
        assert f'<label for="{field}">' in page, field


@pytest.mark.parametrize("role", ["care_manager", "administrator"])
async def test_other_roles_get_403_for_the_audit_pages(
    factory: Factory, browser_for: Any, role: str
) -> None:
    client = (await browser_for(await factory.user(role=role))).client
    for path in (SEARCH, REFUSED):
        response = await client.get(path)
        assert response.status_code == 403
        assert "read any patient" in response.text


async def test_the_search_page_is_audited_with_its_filters(
    factory: Factory,
    privacy_officer: User,
    officer_page: httpx.AsyncClient,
    chart: PatientWithTeam,
) -> None:
    mark = await factory.last_audit_id()
    await officer_page.get(SEARCH, params={"patient": chart.patient.mrn, "purpose": "BTG"})
    await officer_page.get(REFUSED)
    events = await events_by(factory, privacy_officer, after=mark)
    assert [(e.record_type, e.patient_id) for e in events] == [
        ("AuditTrail", chart.patient.id),
        ("RefusedAttempts", None),
    ]

"""The printed care plan: the patient's copy in plain words (a page to print and a PDF), and
the team's copy with every field, status and version. Both are read through the access
layer and leave an export event on the patient's audit trail."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader
from tests.factories import Factory, PatientWithTeam
from tests.integration.care_plan_support import plan_url

from tandem.people.models import User

DEPRESSION = "depression-collaborative-care"


def pdf_text(body: bytes) -> str:
    """The PDF's text, read back with another library; lines joined as one string."""
    reader = PdfReader(io.BytesIO(body))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def _plan(factory: Factory, chart: PatientWithTeam, lead: User, client_for: Any) -> Any:
    """The depression template applied, with a PCP (who has a phone) on the team."""
    pcp = await factory.user(role="primary_care_provider", full_name="Priya Doctor")
    await factory.member(chart.patient, pcp, role="primary_care_provider")
    client = await client_for(lead)
    response = await client.post(
        plan_url(chart.patient.id, "/from-template"), json={"template": DEPRESSION}
    )
    assert response.status_code == 201, response.text
    return client


async def _print_events(factory: Factory, chart: PatientWithTeam) -> list[dict[str, Any]]:
    events = await factory.audit_events(patient_id=chart.patient.id)
    return [
        {"action": e.action, **json.loads(e.detail or "{}")}
        for e in events
        if e.record_type == "CarePlanPrint"
    ]


async def test_the_patients_copy_is_plain_words_goals_first_with_names_and_the_crisis_line(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    browser_for: Any,
) -> None:
    await _plan(factory, chart, care_manager, client_for)
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/care-plan/print")
    assert page.status_code == 200, page.text
    html = page.text
    assert "careplan-print.css" in html and "tandem.css" not in html
    assert 'aria-label="Main"' not in html  # no site navigation on the printout
    assert "For José Núñez" in html
    goals = html.index("My goals")
    assert goals < html.index("Who does what") < html.index("Who to call")
    assert html.index("I want to feel like myself again") > goals
    assert "Casey Lead, your care manager" in html
    assert "Priya Doctor, your primary care provider" in html
    assert "<td>You</td>" in html
    assert "by 24 March 2026" in html
    assert "Not started yet" in html and "To agree together" in html
    assert "988 Suicide &amp; Crisis Lifeline" in html and 'href="tel:988"' in html
    assert "Safety plan" not in html and "safety plan" not in html  # none recorded
    for jargon in ("not-started", "proposed", "check-in-call", "team_member"):
        assert jargon not in html
    events = await _print_events(factory, chart)
    assert [(e["action"], e["edition"], e["form"], e["version"]) for e in events] == [
        ("E", "patient", "page", 1)
    ]


async def test_the_teams_copy_has_every_status_version_and_who_changed_it_last(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    browser_for: Any,
) -> None:
    client = await _plan(factory, chart, care_manager, client_for)
    plan = (await client.get(plan_url(chart.patient.id))).json()
    goal = plan["goals"][0]
    changed = await client.patch(
        plan_url(chart.patient.id, f"/goals/{goal['id']}"),
        json={"status": "active", "reason": "Agreed with José"},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{chart.patient.id}/care-plan/print/clinical")
    assert page.status_code == 200, page.text
    html = page.text
    assert chart.patient.mrn in html
    assert "Active, version 2" in html
    assert "by Casey Lead" in html
    assert "Agreed with José" in html  # the versions, with why
    assert "Not started" in html and "Proposed" in html and "Medication review" in html
    assert "Primary care provider" in html
    events = await _print_events(factory, chart)
    assert [(e["edition"], e["form"], e["version"]) for e in events] == [("clinical", "page", 2)]


async def test_the_pdf_has_the_goals_the_owners_names_and_the_crisis_line(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    browser_for: Any,
) -> None:
    await _plan(factory, chart, care_manager, client_for)
    browser = await browser_for(care_manager)
    response = await browser.client.get(f"/patients/{chart.patient.id}/care-plan.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    text = pdf_text(response.content)
    assert "My care plan" in text and "For José Núñez" in text
    assert "I want to feel like myself again and enjoy the things I used to." in text
    assert "I want to stay well once I feel better." in text
    assert "Casey Lead, your care manager" in text and "Priya Doctor" in text
    assert "988" in text and "Suicide & Crisis Lifeline" in text
    assert text.index("My goals") < text.index("Who does what") < text.index("Who to call")
    events = await _print_events(factory, chart)
    assert [(e["edition"], e["form"]) for e in events] == [("patient", "pdf")]


async def test_names_in_vietnamese_polish_and_greek_letters_print_as_written(
    factory: Factory, client_for: Any, browser_for: Any
) -> None:
    lead = await factory.user(role="care_manager", full_name="Łucja Wójcik-Żak")
    chart = await factory.patient(lead=lead, given_name="Nguyễn Thị", family_name="Đặng")
    pcp = await factory.user(role="primary_care_provider", full_name="Zoë Παπαδοπούλου")
    await factory.member(chart.patient, pcp, role="primary_care_provider")
    client = await client_for(lead)
    applied = await client.post(
        plan_url(chart.patient.id, "/from-template"), json={"template": DEPRESSION}
    )
    assert applied.status_code == 201, applied.text
    browser = await browser_for(lead)
    response = await browser.client.get(f"/patients/{chart.patient.id}/care-plan.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    for name in ("Nguyễn Thị Đặng", "Łucja Wójcik-Żak", "Zoë Παπαδοπούλου"):
        assert name in text, name


async def test_a_patient_without_a_plan_has_nothing_to_print(
    chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    for tail in ("/care-plan/print", "/care-plan/print/clinical", "/care-plan.pdf"):
        response = await browser.client.get(f"/patients/{chart.patient.id}{tail}")
        assert response.status_code == 404, tail


async def test_someone_off_the_team_cannot_print_the_plan(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    outsider: User,
    client_for: Any,
    browser_for: Any,
) -> None:
    await _plan(factory, chart, care_manager, client_for)
    browser = await browser_for(outsider)
    for tail in ("/care-plan/print", "/care-plan/print/clinical", "/care-plan.pdf"):
        response = await browser.client.get(f"/patients/{chart.patient.id}{tail}")
        assert response.status_code == 404, tail
        assert "Núñez" not in response.text
    assert await _print_events(factory, chart) == []

"""The pages show each role only what it may do: the actions of the permission table, no more.

The route walker proves the server refuses what a role may not do; these tests read the pages
as a person would, so that nobody is offered a button that would only answer 403."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam, phq9_answers

from tandem.people.models import User

ACTIONS = {
    "record a questionnaire": "Record PHQ-9",
    "close an alert": "Record and close the alert",
    "edit demographics": "Edit demographics",
    "add a need": "Add need",
    "start an assessment": "Start a new assessment",
    "manage the team": "Add to team",
    "enrol": "Enrol in a programme",
    "add an identifier": "Add an identifier",
    "register a patient": "Register patient",
}


@pytest.fixture
async def busy_chart(factory: Factory, chart: PatientWithTeam, care_manager: User) -> Any:
    """A patient with an open safety alert and an open need."""
    await factory.response(chart.patient, care_manager, answers=phq9_answers(14, item9=1))
    await factory.response(
        chart.patient, care_manager, instrument="social-needs", answers=SOCIAL_NEEDS_POSITIVE
    )
    await factory.enrolment(chart.patient)
    return chart


async def member(factory: Factory, chart: PatientWithTeam, role: str) -> User:
    user = await factory.user(role=role)
    await factory.member(chart.patient, user, role=role)
    return user


async def pages_of(browser_for: Any, user: User, chart: PatientWithTeam) -> str:
    """Every page of the chart the user may open, and the caseload, as one text."""
    browser = await browser_for(user)
    base = f"/patients/{chart.patient.id}"
    texts = []
    for path in ("/caseload", base, *(base + tab for tab in TABS)):
        response = await browser.client.get(path)
        if response.status_code == 200:
            texts.append(response.text)
    return "\n".join(texts)


TABS = (
    "/measurements",
    "/safety",
    "/needs",
    "/assessments",
    "/care-team",
    "/enrolments",
    "/identifiers",
    "/related-persons",
)


def offered(text: str) -> set[str]:
    return {name for name, words in ACTIONS.items() if words in text}


async def test_a_care_manager_on_the_team_is_offered_every_clinical_action(
    factory: Factory, busy_chart: PatientWithTeam, browser_for: Any
) -> None:
    text = await pages_of(browser_for, busy_chart.lead, busy_chart)
    assert offered(text) == set(ACTIONS)


async def test_a_community_partner_is_offered_nothing_clinical_and_sees_no_chart(
    factory: Factory, busy_chart: PatientWithTeam, browser_for: Any
) -> None:
    partner = await member(factory, busy_chart, "community_partner")
    text = await pages_of(browser_for, partner, busy_chart)
    assert offered(text) == set()
    patient = busy_chart.patient
    assert patient.mrn not in text
    assert "Safety alert" not in text
    assert "Whom to call at the clinic" in text
    assert busy_chart.lead.full_name in text


async def test_a_peer_specialist_records_check_ins_but_is_not_offered_to_close_an_alert(
    factory: Factory, busy_chart: PatientWithTeam, browser_for: Any
) -> None:
    peer = await member(factory, busy_chart, "peer_specialist")
    text = await pages_of(browser_for, peer, busy_chart)
    assert offered(text) == {"record a questionnaire", "edit demographics", "add a need"}
    assert "Closing a safety alert is for a licensed member" in text


async def test_a_therapist_closes_alerts_but_does_not_enrol(
    factory: Factory, busy_chart: PatientWithTeam, browser_for: Any
) -> None:
    therapist = await member(factory, busy_chart, "therapist")
    text = await pages_of(browser_for, therapist, busy_chart)
    assert offered(text) == set(ACTIONS) - {"enrol"}


async def test_emergency_access_reads_but_is_offered_no_change(
    factory: Factory, busy_chart: PatientWithTeam, browser_for: Any, outsider: User
) -> None:
    browser = await browser_for(outsider)
    granted = await browser.client.post(
        "/emergency-access",
        data={
            "mrn": busy_chart.patient.mrn,
            "birth_date": busy_chart.patient.birth_date.isoformat(),
            "reason": "Brought to the ED unresponsive; the team cannot be reached.",
            "csrf_token": browser.csrf,
        },
    )
    assert granted.status_code == 303
    text = await pages_of(browser_for, outsider, busy_chart)
    # Registering a patient of one's own is staff work, not part of the emergency access.
    assert offered(text) == {"register a patient"}
    assert "Emergency access — you are not on this patient's care team" in text

"""The HTML forms: each change is made through the service, refusals are shown, nothing leaks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select
from tests.factories import Browser, Factory, PatientWithTeam
from tests.snapshots import assert_unchanged, rows_of

from tandem.access.models import BreakGlassGrant
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.people.models import Organization, Patient, PatientIdentifier, RelatedPerson, User

REASON = "Patient brought to ED unresponsive, team unreachable"


async def post(browser: Browser, url: str, **fields: Any) -> httpx.Response:
    """Submit a form as the browser would, with the session's CSRF token."""
    data = {k: str(v) for k, v in fields.items()}
    return await browser.client.post(url, data={"csrf_token": browser.csrf, **data})


def redirected_to(response: httpx.Response, path: str) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(path)


async def test_registering_a_patient_through_the_form_puts_me_on_the_team(
    factory: Factory, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    response = await post(
        browser,
        "/patients/new",
        given_name="Ines",
        family_name="Okoro",
        birth_date="1990-02-03",
        gender="female",
        preferred_language="English",
        contact_preference="phone",
    )
    assert redirected_to(response, "/patients/")
    patient_id = response.headers["location"].split("/")[2].split("?")[0]
    chart = await browser.client.get(f"/patients/{patient_id}")
    assert chart.status_code == 200 and "Okoro, Ines" in chart.text
    record = await factory.patient_record(uuid.UUID(patient_id))
    [patient] = rows_of(record, "patient")
    assert (patient["given_name"], patient["family_name"], patient["birth_date"]) == (
        "Ines",
        "Okoro",
        date(1990, 2, 3),
    )
    [member] = rows_of(record, "care_team_member")
    assert (member["user_id"], member["role"]) == (care_manager.id, "lead_care_manager")


async def test_a_possible_duplicate_is_shown_audited_and_can_be_confirmed(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    before = await factory.last_audit_id()
    fields = {
        "given_name": chart.patient.given_name,
        "family_name": chart.patient.family_name,
        "birth_date": chart.patient.birth_date.isoformat(),
        "gender": "female",
        "preferred_language": "English",
        "contact_preference": "phone",
    }
    async with factory.unchanged():
        warned = await post(browser, "/patients/new", **fields)
        assert warned.status_code == 409
    assert f"/patients/{chart.patient.id}" in warned.text
    checks = [
        e for e in await factory.audit_events(after=before) if e.record_type == "DuplicateCheck"
    ]
    assert [e.outcome for e in checks] == [4]
    confirmed = await post(browser, "/patients/new", confirm_not_duplicate="on", **fields)
    assert redirected_to(confirmed, "/patients/")
    namesakes = [
        p["id"]
        for p in rows_of(await factory.all_patient_data(), "patient")
        if (p["family_name"], p["birth_date"]) == (chart.patient.family_name, date(1980, 5, 17))
    ]
    assert len(namesakes) == 2 and chart.patient.id in namesakes


async def test_a_blank_required_field_keeps_what_was_typed_and_names_the_field(
    factory: Factory, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    async with factory.unchanged():
        response = await post(
            browser, "/patients/new", given_name="Ines", family_name="", birth_date="1990-02-03"
        )
        assert response.status_code == 422
    assert 'value="Ines"' in response.text
    assert "This field is required." in response.text


async def test_editing_demographics_from_an_old_copy_is_refused_and_shows_the_conflict(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    saved = await post(
        browser,
        f"/patients/{chart.patient.id}/edit",
        version=1,
        given_name="José",
        family_name="Núñez",
        birth_date=chart.patient.birth_date.isoformat(),
        gender="male",
        preferred_language="Spanish",
        contact_preference="phone",
    )
    assert redirected_to(saved, f"/patients/{chart.patient.id}")
    record = await factory.patient_record(chart.patient)
    stale = await post(
        browser,
        f"/patients/{chart.patient.id}/edit",
        version=1,
        given_name="José",
        family_name="Núñez",
        birth_date=chart.patient.birth_date.isoformat(),
        gender="male",
        preferred_language="Portuguese",
        contact_preference="phone",
    )
    assert stale.status_code == 409
    assert "Changed by someone else" in stale.text
    assert_unchanged(record, await factory.patient_record(chart.patient))
    patient = await factory.reload(Patient, chart.patient.id)
    assert patient.preferred_language == "Spanish"


async def test_care_team_members_are_added_changed_and_ended_through_forms(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    therapist = await factory.user(role="therapist")
    base = f"/patients/{chart.patient.id}/care-team"
    added = await post(browser, base, role="therapist", user_id=therapist.id)
    assert redirected_to(added, base)
    team = await browser.client.get(base)
    assert therapist.full_name in team.text
    [membership] = [
        dict(row)
        for row in (await factory.patient_record(chart.patient))["care_team_member"]
        if dict(row)["user_id"] == therapist.id
    ]
    assert (membership["role"], membership["status"]) == ("therapist", "active")

    record = await factory.patient_record(chart.patient)
    again = await post(browser, base, role="therapist", user_id=therapist.id)
    assert again.status_code == 422
    assert "already on the team" in again.text
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_stale_membership_change_shows_the_conflict(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    pcp = await factory.user(role="primary_care_provider")
    membership = await factory.member(chart.patient, pcp)
    url = f"/patients/{chart.patient.id}/care-team/{membership.id}"
    changed = await post(browser, url, version=1, role="social_worker")
    assert redirected_to(changed, f"/patients/{chart.patient.id}/care-team")
    record = await factory.patient_record(chart.patient)
    stale = await post(browser, url, version=1, role="therapist")
    assert stale.status_code == 409
    assert_unchanged(record, await factory.patient_record(chart.patient))
    assert (await factory.reload(CareTeamMember, membership.id)).role == "social_worker"

    ended = await post(browser, f"{url}/end", version=2, reason="Moved to another clinic")
    assert redirected_to(ended, f"/patients/{chart.patient.id}/care-team")
    assert (await factory.reload(CareTeamMember, membership.id)).status == "inactive"


async def test_a_refused_lead_hand_over_changes_nothing(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    therapist = await factory.user(role="therapist")
    url = f"/patients/{chart.patient.id}/care-team/lead"
    record = await factory.patient_record(chart.patient)
    refused = await post(browser, url, user_id=therapist.id, reason="Caseload rebalancing")
    assert refused.status_code == 422
    assert "must be an active care manager" in refused.text
    assert_unchanged(record, await factory.patient_record(chart.patient))

    other = await factory.user(role="care_manager")
    handed = await post(browser, url, user_id=other.id, reason="Caseload rebalancing")
    assert redirected_to(handed, f"/patients/{chart.patient.id}/care-team")
    assert (await factory.reload(CareTeamMember, chart.lead_membership.id)).status == "inactive"


async def test_family_members_are_added_edited_and_ended_through_forms(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    person = await factory.related_person(chart.patient)
    url = f"/patients/{chart.patient.id}/related-persons/{person.id}"
    edited = await post(browser, url, version=1, name="Ana María García", relationship="sibling")
    assert redirected_to(edited, f"/patients/{chart.patient.id}/related-persons")
    ended = await post(browser, f"{url}/end", version=2, reason="Moved abroad")
    assert redirected_to(ended, f"/patients/{chart.patient.id}/related-persons")
    stored = await factory.reload(RelatedPerson, person.id)
    assert (stored.name, stored.status) == ("Ana María García", "inactive")


async def test_enrolment_is_made_discharged_and_marked_in_error_through_forms(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}/enrolments"
    enrolled = await post(
        browser,
        base,
        programme="Perinatal mental health",
        phase="active",
        start_date=factory.clock.today().isoformat(),
    )
    assert redirected_to(enrolled, base)
    [made] = [dict(row) for row in (await factory.patient_record(chart.patient))["enrolment"]]
    assert (made["programme"], made["phase"], made["start_date"], made["end_date"]) == (
        "Perinatal mental health",
        "active",
        factory.clock.today(),
        None,
    )
    enrolment = await factory.enrolment(chart.patient, programme="Serious mental illness")
    discharged = await post(browser, f"{base}/{enrolment.id}", version=1, phase="discharged")
    assert redirected_to(discharged, base)
    stored = await factory.reload(Enrolment, enrolment.id)
    assert (stored.phase, stored.end_date) == ("discharged", factory.clock.today())
    record = await factory.patient_record(chart.patient)
    stale = await post(browser, f"{base}/{enrolment.id}", version=1, phase="active")
    assert stale.status_code == 409
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_duplicate_identifier_is_refused_on_the_form(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    # Another of my own patients: I may see them, so I am told who holds it.
    other = await factory.patient(lead=care_manager)
    taken = await factory.identifier(other.patient, value="MCD-1")
    base = f"/patients/{chart.patient.id}/identifiers"
    records = [await factory.patient_record(p) for p in (chart.patient, other.patient)]
    refused = await post(browser, base, system="medicaid", value=taken.value)
    assert refused.status_code == 422
    assert "already recorded" in refused.text
    assert [await factory.patient_record(p) for p in (chart.patient, other.patient)] == records
    assert other.patient.mrn in refused.text
    added = await post(browser, base, system="medicaid", value="MCD-2")
    assert redirected_to(added, base)
    identifiers = (await factory.patient_record(chart.patient))["patient_identifier"]
    assert [(dict(r)["system"], dict(r)["value"], dict(r)["status"]) for r in identifiers] == [
        ("medicaid", "MCD-2", "active")
    ]
    identifier = await factory.identifier(chart.patient, value="MCD-3")
    marked = await post(
        browser, f"{base}/{identifier.id}/entered-in-error", version=1, reason="Typed wrongly"
    )
    assert redirected_to(marked, base)
    assert (await factory.reload(PatientIdentifier, identifier.id)).status == "entered-in-error"


async def test_emergency_access_form_audits_a_failed_lookup_and_grants_a_match(
    factory: Factory, chart: PatientWithTeam, outsider: User, browser_for: Any
) -> None:
    browser = await browser_for(outsider)
    before = await factory.last_audit_id()
    # The lookup names no patient, so all patient data, not only the chart it almost matched.
    async with factory.unchanged():
        missed = await post(
            browser, "/emergency-access", mrn="T0000000000", birth_date="1980-05-17", reason=REASON
        )
        assert missed.status_code == 422
    assert "No patient matches" in missed.text
    refused = [e for e in await factory.audit_events(after=before) if e.record_type == "BreakGlass"]
    assert [(e.outcome, e.purpose) for e in refused] == [(4, "BTG")]
    granted = await post(
        browser,
        "/emergency-access",
        mrn=chart.patient.mrn,
        birth_date=chart.patient.birth_date.isoformat(),
        reason=REASON,
    )
    assert redirected_to(granted, f"/patients/{chart.patient.id}")
    [grant] = rows_of(await factory.patient_record(chart.patient), "break_glass_grant")
    assert (grant["user_id"], grant["reason"], grant["started_at"]) == (
        outsider.id,
        REASON,
        factory.clock.now(),
    )


async def test_administrators_manage_accounts_and_organisations_through_forms(
    factory: Factory, admin: User, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(admin)
    created = await post(
        browser,
        "/admin/users/new",
        username="Casey.New",
        full_name="Casey New",
        role="therapist",
        password="a-long-temporary-1",
    )
    assert redirected_to(created, "/admin/users")
    async with factory.system_session() as session:
        [new] = (await session.execute(select(User).where(User.username == "casey.new"))).scalars()
    assert (new.full_name, new.role, new.must_change_password) == ("Casey New", "therapist", True)
    deactivated = await post(browser, f"/admin/users/{care_manager.id}/active", active="false")
    assert redirected_to(deactivated, f"/admin/users/{care_manager.id}")
    assert (await factory.reload(User, care_manager.id)).active is False
    async with factory.account_unchanged(care_manager):
        reset = await post(browser, f"/admin/users/{care_manager.id}/password", password="short")
        assert reset.status_code == 422
    org = await post(
        browser, "/admin/organizations", name="Bridge Food Bank", kind="community_partner"
    )
    assert redirected_to(org, "/admin/organizations")
    listing = await browser.client.get("/admin/organizations")
    assert "Bridge Food Bank" in listing.text
    assert await organisations(factory) == [("Bridge Food Bank", "community_partner")]
    taken = await post(
        browser, "/admin/organizations", name="Bridge Food Bank", kind="community_partner"
    )
    assert taken.status_code == 422
    assert await organisations(factory) == [("Bridge Food Bank", "community_partner")]


async def organisations(factory: Factory) -> list[tuple[str, str]]:
    async with factory.system_session() as session:
        rows = await session.execute(select(Organization.name, Organization.kind))
        return [(name, kind) for name, kind in rows]


async def test_an_emergency_access_is_reviewed_once(
    factory: Factory, chart: PatientWithTeam, outsider: User, admin: User, browser_for: Any
) -> None:
    requester = await browser_for(outsider)
    granted = await post(
        requester,
        "/emergency-access",
        mrn=chart.patient.mrn,
        birth_date=chart.patient.birth_date.isoformat(),
        reason=REASON,
    )
    assert redirected_to(granted, f"/patients/{chart.patient.id}")
    reviewer = await browser_for(admin)
    listing = await reviewer.client.get("/admin/break-glass")
    assert chart.patient.mrn in listing.text
    grant_id = listing.text.split("/admin/break-glass/")[1].split('"')[0]
    reviewed = await post(reviewer, f"/admin/break-glass/{grant_id}", note="Confirmed with ED")
    assert redirected_to(reviewed, "/admin/break-glass")
    stored = await factory.reload(BreakGlassGrant, uuid.UUID(grant_id))
    assert stored.review_note == "Confirmed with ED"
    async with factory.unchanged(chart.patient):
        twice = await post(reviewer, f"/admin/break-glass/{grant_id}", note="Again")
        assert twice.status_code == 422

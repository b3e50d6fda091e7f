"""Access: care relationships, administrators, ended memberships, break-the-glass, access logs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.factories import Factory, PatientWithTeam
from tests.snapshots import rows_of

from tandem.clock import FrozenClock
from tandem.people.models import Organization, User

REASON = "Patient brought to ED unresponsive, team unreachable"


def btg_body(chart: PatientWithTeam, **overrides: Any) -> dict[str, Any]:
    body = {
        "mrn": chart.patient.mrn,
        "birth_date": chart.patient.birth_date.isoformat(),
        "reason": REASON,
    }
    body.update(overrides)
    return body


def field_names(response: httpx.Response) -> set[str]:
    """The fields a 4xx answer names: FastAPI's validation list or a DomainError's field."""
    detail = response.json()["detail"]
    if isinstance(detail, list):
        return {str(part) for error in detail for part in error["loc"][1:2]}
    return {detail.get("field")}


@pytest.mark.parametrize(
    "suffix", ["", "/care-team", "/related-persons", "/identifiers", "/enrolments", "/access-log"]
)
async def test_someone_outside_the_team_gets_404_for_the_chart_and_its_parts(
    chart: PatientWithTeam, outsider: User, client_for: Any, suffix: str
) -> None:
    client = await client_for(outsider)
    response = await client.get(f"/api/v1/patients/{chart.patient.id}{suffix}")
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "not_found"


async def test_an_unknown_patient_and_a_hidden_patient_answer_alike(
    chart: PatientWithTeam, outsider: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    hidden = await client.get(f"/api/v1/patients/{chart.patient.id}")
    unknown = await client.get("/api/v1/patients/00000000-0000-4000-8000-000000000000")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()


async def test_the_caseload_shows_only_my_patients(
    factory: Factory, chart: PatientWithTeam, outsider: User, client_for: Any
) -> None:
    theirs = await factory.patient(lead=outsider, family_name="Outsiderpatient")
    client = await client_for(outsider)
    page = (await client.get("/api/v1/patients")).json()
    assert [p["id"] for p in page["items"]] == [str(theirs.patient.id)]
    assert page["total"] == 1


async def test_an_administrator_not_on_the_team_gets_404_for_patient_data(
    chart: PatientWithTeam, admin: User, client_for: Any
) -> None:
    client = await client_for(admin)
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 404
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}/care-team")).status_code == 404
    caseload = (await client.get("/api/v1/patients")).json()
    assert caseload["total"] == 0


async def test_an_administrator_cannot_break_the_glass(
    factory: Factory, chart: PatientWithTeam, admin: User, client_for: Any
) -> None:
    client = await client_for(admin)
    async with factory.unchanged(chart.patient):
        response = await client.post("/api/v1/break-glass", json=btg_body(chart))
        assert response.status_code == 403


async def test_an_administrator_manages_organisations_and_users(
    factory: Factory, admin: User, client_for: Any
) -> None:
    client = await client_for(admin)
    org = await client.post(
        "/api/v1/organizations", json={"name": "Hillside Housing", "kind": "community_partner"}
    )
    assert org.status_code == 201, org.text
    user = await client.post(
        "/api/v1/users",
        json={
            "username": "New.Nurse",
            "full_name": "Nina Nurse",
            "role": "care_manager",
            "organization_id": org.json()["id"],
            "password": "temporary-password-1",
        },
    )
    assert user.status_code == 201, user.text
    assert user.json()["username"] == "new.nurse"
    assert user.json()["must_change_password"] is True
    stored = await factory.reload(User, uuid.UUID(user.json()["id"]))
    assert (
        stored.username,
        stored.full_name,
        stored.role,
        str(stored.organization_id),
        stored.must_change_password,
        stored.active,
    ) == ("new.nurse", "Nina Nurse", "care_manager", org.json()["id"], True, True)
    listed = await client.get("/api/v1/users", params={"q": "nina"})
    assert [u["username"] for u in listed.json()] == ["new.nurse"]
    renamed = await client.patch(
        f"/api/v1/organizations/{org.json()['id']}", json={"name": "Hillside Housing Trust"}
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Hillside Housing Trust"
    organisation = await factory.reload(Organization, uuid.UUID(org.json()["id"]))
    assert (organisation.name, organisation.kind) == ("Hillside Housing Trust", "community_partner")


async def test_clinicians_cannot_manage_accounts_but_can_look_up_colleagues(
    factory: Factory, care_manager: User, admin: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    assert (await client.get("/api/v1/users")).status_code == 403
    created = await client.post(
        "/api/v1/users",
        json={
            "username": "sneaky",
            "full_name": "S",
            "role": "administrator",
            "password": "long-enough-password",
        },
    )
    assert created.status_code == 403
    async with factory.system_session() as session:
        assert await session.scalar(select(func.count()).where(User.username == "sneaky")) == 0
    async with factory.account_unchanged(admin):
        assert (await client.post(f"/api/v1/users/{admin.id}/deactivate")).status_code == 403
    staff = await client.get("/api/v1/staff")
    assert staff.status_code == 200
    assert "must_change_password" not in staff.json()[0]
    assert admin.username in {s["username"] for s in staff.json()}


async def test_an_ended_membership_loses_access(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    pcp = await factory.user(role="primary_care_provider")
    membership = await factory.member(chart.patient, pcp)
    pcp_client = await client_for(pcp)
    url = f"/api/v1/patients/{chart.patient.id}"
    assert (await pcp_client.get(url)).status_code == 200

    lead = await client_for(care_manager)
    ended = await lead.post(
        f"{url}/care-team/{membership.id}/end",
        json={"version": membership.version, "reason": "Moved to another clinic"},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "inactive"
    [stored] = [
        m
        for m in rows_of(await factory.patient_record(chart.patient), "care_team_member")
        if m["id"] == membership.id
    ]
    assert (stored["status"], stored["end_reason"]) == ("inactive", "Moved to another clinic")
    assert (await pcp_client.get(url)).status_code == 404
    caseload = (await pcp_client.get("/api/v1/patients")).json()
    assert caseload["total"] == 0


# -- break the glass -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong",
    [{"mrn": "T0000000001"}, {"birth_date": "1980-05-18"}],
    ids=["wrong-mrn", "wrong-birth-date"],
)
async def test_break_the_glass_with_a_wrong_mrn_or_birth_date_is_404(
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
    client_for: Any,
    wrong: dict[str, str],
) -> None:
    client = await client_for(outsider)
    async with factory.unchanged():
        response = await client.post("/api/v1/break-glass", json=btg_body(chart, **wrong))
        assert response.status_code == 404
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 404


async def test_break_the_glass_with_a_short_reason_is_422_naming_reason(
    factory: Factory, chart: PatientWithTeam, outsider: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    async with factory.unchanged(chart.patient):
        response = await client.post(
            "/api/v1/break-glass", json=btg_body(chart, reason="need to see it")
        )
        assert response.status_code == 422
    assert field_names(response) == {"reason"}
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 404


async def test_break_the_glass_grants_audited_emergency_access(
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(outsider)
    granted = await client.post("/api/v1/break-glass", json=btg_body(chart))
    assert granted.status_code == 201, granted.text
    assert granted.json()["patient_id"] == str(chart.patient.id)
    [grant] = rows_of(await factory.patient_record(chart.patient), "break_glass_grant")
    assert (grant["user_id"], grant["reason"], grant["started_at"], grant["expires_at"]) == (
        outsider.id,
        REASON,
        clock.now(),
        clock.now() + timedelta(minutes=60),
    )

    before = await factory.last_audit_id()
    response = await client.get(f"/api/v1/patients/{chart.patient.id}")
    assert response.status_code == 200
    assert response.json()["access_basis"] == "break_glass"
    [event] = await factory.audit_events(after=before)
    assert (event.username, event.purpose, event.action) == (outsider.username, "BTG", "R")

    grant_events = [
        e
        for e in await factory.audit_events(patient_id=chart.patient.id)
        if e.record_type == "BreakGlass"
    ]
    assert [(e.action, e.purpose) for e in grant_events] == [("E", "BTG")]
    assert grant_events[0].detail is not None and "ED unresponsive" in grant_events[0].detail


async def test_emergency_access_cannot_change_the_care_team(
    factory: Factory, chart: PatientWithTeam, outsider: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    assert (await client.post("/api/v1/break-glass", json=btg_body(chart))).status_code == 201
    async with factory.unchanged(chart.patient):
        response = await client.post(
            f"/api/v1/patients/{chart.patient.id}/care-team",
            json={"role": "therapist", "user_id": str(outsider.id)},
        )
        assert response.status_code == 403


async def test_emergency_access_expires_after_break_glass_minutes(
    chart: PatientWithTeam, outsider: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(outsider)
    assert (await client.post("/api/v1/break-glass", json=btg_body(chart))).status_code == 201
    url = f"/api/v1/patients/{chart.patient.id}"
    clock.advance(minutes=59, seconds=59)
    assert (await client.get(url)).status_code == 200
    clock.advance(seconds=1)
    assert (await client.get(url)).status_code == 404


async def test_emergency_access_is_listed_for_review_and_review_marks_it(
    factory: Factory, chart: PatientWithTeam, outsider: User, admin: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    grant = (await client.post("/api/v1/break-glass", json=btg_body(chart))).json()

    reviewer = await client_for(admin)
    pending = (await reviewer.get("/api/v1/break-glass")).json()
    [item] = [g for g in pending if g["id"] == grant["id"]]
    assert item["patient_mrn"] == chart.patient.mrn
    assert item["username"] == outsider.username
    assert item["reason"] == REASON
    assert item["reviewed_at"] is None

    reviewed = await reviewer.post(
        f"/api/v1/break-glass/{grant['id']}/review", json={"note": "Confirmed with ED charge nurse"}
    )
    assert reviewed.status_code == 204
    assert grant["id"] not in {g["id"] for g in (await reviewer.get("/api/v1/break-glass")).json()}
    everything = (await reviewer.get("/api/v1/break-glass", params={"pending": "false"})).json()
    [done] = [g for g in everything if g["id"] == grant["id"]]
    assert done["reviewed_by"] == admin.username
    assert done["review_note"] == "Confirmed with ED charge nurse"
    [stored] = rows_of(await factory.patient_record(chart.patient), "break_glass_grant")
    assert (stored["reviewed_by_id"], stored["review_note"]) == (
        admin.id,
        "Confirmed with ED charge nurse",
    )

    async with factory.unchanged(chart.patient):
        again = await reviewer.post(
            f"/api/v1/break-glass/{grant['id']}/review", json={"note": "Second look"}
        )
        assert again.status_code == 409


async def test_a_privacy_officer_reviews_emergency_access_and_a_clinician_cannot(
    factory: Factory, chart: PatientWithTeam, outsider: User, care_manager: User, client_for: Any
) -> None:
    client = await client_for(outsider)
    grant = (await client.post("/api/v1/break-glass", json=btg_body(chart))).json()
    officer = await client_for(await factory.user(role="privacy_officer"))
    assert grant["id"] in {g["id"] for g in (await officer.get("/api/v1/break-glass")).json()}
    clinician = await client_for(care_manager)
    assert (await clinician.get("/api/v1/break-glass")).status_code == 403
    async with factory.unchanged(chart.patient):
        review = await clinician.post(
            f"/api/v1/break-glass/{grant['id']}/review", json={"note": "fine by me"}
        )
        assert review.status_code == 403


# -- the patient's access log -------------------------------------------------------------------


async def test_the_lead_care_manager_sees_who_read_the_chart(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    pcp = await factory.user(role="primary_care_provider")
    await factory.member(chart.patient, pcp)
    await (await client_for(pcp)).get(f"/api/v1/patients/{chart.patient.id}")
    lead = await client_for(care_manager)
    log = await lead.get(f"/api/v1/patients/{chart.patient.id}/access-log")
    assert log.status_code == 200
    readers = {(e["username"], e["action"], e["record_type"]) for e in log.json()["items"]}
    assert (pcp.username, "R", "Patient") in readers


async def test_a_privacy_officer_sees_any_patients_access_log(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    await (await client_for(care_manager)).get(f"/api/v1/patients/{chart.patient.id}")
    officer = await factory.user(role="privacy_officer")
    client = await client_for(officer)
    log = await client.get(f"/api/v1/patients/{chart.patient.id}/access-log")
    assert log.status_code == 200
    assert [e["username"] for e in log.json()["items"]] == [care_manager.username]
    events = await factory.audit_events(patient_id=chart.patient.id)
    assert (events[-1].record_type, events[-1].purpose) == ("AuditLog", "HOPERAT")


async def test_other_team_members_are_refused_the_access_log_with_403_naming_it(
    factory: Factory, chart: PatientWithTeam, client_for: Any
) -> None:
    # They know the patient already, so 403 confirms nothing; it says what is missing.
    pcp = await factory.user(role="primary_care_provider")
    await factory.member(chart.patient, pcp)
    client = await client_for(pcp)
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 200
    refused = await client.get(f"/api/v1/patients/{chart.patient.id}/access-log")
    assert refused.status_code == 403
    assert refused.json()["detail"]["capability"] == "read_access_log"


async def test_the_access_log_of_an_unknown_patient_is_404_even_for_a_privacy_officer(
    factory: Factory, client_for: Any
) -> None:
    client = await client_for(await factory.user(role="privacy_officer"))
    response = await client.get("/api/v1/patients/00000000-0000-4000-8000-000000000000/access-log")
    assert response.status_code == 404


async def test_the_access_log_pages_newest_first(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    for _ in range(30):
        clock.advance(seconds=1)
        await client.get(f"/api/v1/patients/{chart.patient.id}")
    first = (await client.get(f"/api/v1/patients/{chart.patient.id}/access-log")).json()
    second = (
        await client.get(f"/api/v1/patients/{chart.patient.id}/access-log", params={"page": 2})
    ).json()
    assert first["page_size"] == 25
    assert len(first["items"]) == 25
    assert second["total"] == first["total"] + 1  # the first page view is itself logged
    ids = [e["id"] for e in first["items"]]
    assert ids == sorted(ids, reverse=True)
    # Offset paging over a growing log: page two starts where page one ended, one event on.
    assert len(second["items"]) == second["total"] - 25
    assert second["items"][0]["id"] == ids[-1]

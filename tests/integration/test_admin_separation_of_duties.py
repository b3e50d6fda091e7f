"""Separation of duties for administrators: no one changes their own role, a role change is an
audited event, emergency access ends with the role that allowed it, and administration always
keeps an administrator."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.factories import Browser, Factory, PatientWithTeam

from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.admin import service as admin_service
from tandem.audit.models import AuditEvent
from tandem.clock import FrozenClock
from tandem.errors import Conflict, Forbidden
from tandem.people.models import User

REASON = "Patient brought to ED unresponsive, team unreachable"


async def post(browser: Browser, url: str, **fields: Any) -> httpx.Response:
    data = {k: str(v) for k, v in fields.items()}
    return await browser.client.post(url, data={"csrf_token": browser.csrf, **data})


def detail_of(event: AuditEvent) -> dict[str, Any]:
    assert event.detail is not None
    parsed: dict[str, Any] = json.loads(event.detail)
    return parsed


async def break_the_glass(client: httpx.AsyncClient, chart: PatientWithTeam) -> str:
    granted = await client.post(
        "/api/v1/break-glass",
        json={
            "mrn": chart.patient.mrn,
            "birth_date": chart.patient.birth_date.isoformat(),
            "reason": REASON,
        },
    )
    assert granted.status_code == 201, granted.text
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 200
    return str(granted.json()["id"])


async def used_client(client_for: Any, user: User) -> httpx.AsyncClient:
    """A token client that has made its first request: the token's first use is stamped on it,
    which would otherwise show in an account comparison around the request under test."""
    client: httpx.AsyncClient = await client_for(user)
    assert (await client.get("/api/v1/me")).status_code == 200
    return client


async def grant_of(factory: Factory, grant_id: str) -> BreakGlassGrant:
    grant: BreakGlassGrant = await factory.reload(BreakGlassGrant, uuid.UUID(grant_id))
    return grant


# -- no one changes their own role ---------------------------------------------------------


async def test_an_administrator_cannot_change_their_own_role_through_the_api(
    factory: Factory, admin: User, client_for: Any
) -> None:
    client = await used_client(client_for, admin)
    before = await factory.last_audit_id()
    async with factory.account_unchanged(admin):
        response = await client.patch(
            f"/api/v1/users/{admin.id}", json={"version": admin.version, "role": "therapist"}
        )
        assert response.status_code == 403
        assert response.json()["detail"]["field"] == "role"
        # Refused as a matter of duty, before any question of which version was read.
        stale = await client.patch(
            f"/api/v1/users/{admin.id}", json={"version": admin.version + 5, "role": "therapist"}
        )
        assert stale.status_code == 403
    assert [e.record_type for e in await factory.audit_events(after=before)] == []


async def test_an_administrator_may_resend_their_own_unchanged_role_with_other_details(
    factory: Factory, admin: User, client_for: Any
) -> None:
    client = await client_for(admin)
    response = await client.patch(
        f"/api/v1/users/{admin.id}",
        json={"version": admin.version, "role": "administrator", "full_name": "Ada B. Admin"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["full_name"] == "Ada B. Admin"
    stored = await factory.reload(User, admin.id)
    assert (stored.full_name, stored.role) == ("Ada B. Admin", "administrator")


async def test_the_own_account_page_offers_no_role_field_and_a_posted_role_is_refused(
    factory: Factory, admin: User, browser_for: Any
) -> None:
    browser = await browser_for(admin)
    mine = await browser.client.get(f"/admin/users/{admin.id}")
    assert mine.status_code == 200
    assert 'name="role"' not in mine.text
    assert "is changed by another administrator" in mine.text

    async with factory.account_unchanged(admin):
        refused = await post(
            browser,
            f"/admin/users/{admin.id}",
            version=admin.version,
            full_name=admin.full_name,
            role="care_manager",
        )
        assert refused.status_code == 403

    # Without the role, the own account's details are saved as before.
    saved = await post(
        browser, f"/admin/users/{admin.id}", version=admin.version, full_name="Ada Renamed"
    )
    assert saved.status_code == 303
    stored = await factory.reload(User, admin.id)
    assert (stored.full_name, stored.role) == ("Ada Renamed", "administrator")


async def test_someone_elses_account_page_offers_the_role_field(
    admin: User, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(admin)
    theirs = await browser.client.get(f"/admin/users/{care_manager.id}")
    assert 'name="role"' in theirs.text


async def test_an_administrator_resets_only_other_peoples_passwords(
    factory: Factory, admin: User, care_manager: User, client_for: Any, browser_for: Any
) -> None:
    client = await used_client(client_for, admin)
    async with factory.account_unchanged(admin):
        own = await client.post(
            f"/api/v1/users/{admin.id}/reset-password", json={"password": "temporary-secret-1"}
        )
        assert own.status_code == 403
    assert own.json()["detail"]["field"] == "password"
    assert "/account/password" in own.json()["detail"]["message"]

    browser = await browser_for(admin)
    mine = await browser.client.get(f"/admin/users/{admin.id}")
    assert f'action="/admin/users/{admin.id}/password"' not in mine.text
    assert 'href="/account/password"' in mine.text
    theirs = await browser.client.get(f"/admin/users/{care_manager.id}")
    assert f'action="/admin/users/{care_manager.id}/password"' in theirs.text


# -- a role change is an audited administrative event ---------------------------------------


async def test_a_role_change_is_audited_with_the_old_and_the_new_role(
    factory: Factory, admin: User, care_manager: User, client_for: Any
) -> None:
    client = await client_for(admin)
    before = await factory.last_audit_id()
    response = await client.patch(
        f"/api/v1/users/{care_manager.id}",
        json={"version": care_manager.version, "role": "administrator"},
    )
    assert response.status_code == 200, response.text
    stored = await factory.reload(User, care_manager.id)
    assert (stored.role, stored.version) == ("administrator", care_manager.version + 1)
    [event] = await factory.audit_events(after=before)
    assert (event.record_type, event.action, event.purpose) == ("UserRole", "U", "HOPERAT")
    assert (event.username, event.record_id) == (admin.username, str(care_manager.id))
    assert detail_of(event) == {
        "username": care_manager.username,
        "from": "care_manager",
        "to": "administrator",
        "emergency_access_ended": 0,
    }


async def test_a_form_save_records_the_role_change_and_the_fields_that_changed(
    factory: Factory, admin: User, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(admin)
    before = await factory.last_audit_id()
    saved = await post(
        browser,
        f"/admin/users/{care_manager.id}",
        version=care_manager.version,
        full_name=care_manager.full_name,
        role="peer_specialist",
        email="casey.new@example.org",
    )
    assert saved.status_code == 303
    stored = await factory.reload(User, care_manager.id)
    assert (stored.role, stored.email) == ("peer_specialist", "casey.new@example.org")
    events = {e.record_type: detail_of(e) for e in await factory.audit_events(after=before)}
    assert events["UserRole"]["from"] == "care_manager"
    assert events["UserRole"]["to"] == "peer_specialist"
    assert events["User"] == {"changed": ["email"]}


async def test_deactivation_and_reactivation_are_audited_with_the_outcome(
    factory: Factory, admin: User, care_manager: User, client_for: Any
) -> None:
    client = await client_for(admin)
    before = await factory.last_audit_id()
    assert (await client.post(f"/api/v1/users/{care_manager.id}/deactivate")).status_code == 200
    assert (await factory.reload(User, care_manager.id)).active is False
    assert (await client.post(f"/api/v1/users/{care_manager.id}/reactivate")).status_code == 200
    assert (await factory.reload(User, care_manager.id)).active is True
    events = await factory.audit_events(after=before)
    assert [(e.record_type, e.purpose) for e in events] == [("UserStatus", "HOPERAT")] * 2
    assert [(detail_of(e)["from"], detail_of(e)["to"]) for e in events] == [
        ("active", "deactivated"),
        ("deactivated", "active"),
    ]


# -- emergency access ends with the role that allowed it ------------------------------------


async def test_emergency_access_ends_when_the_holders_role_changes(
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
    admin: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    holder = await client_for(outsider)
    grant_id = await break_the_glass(holder, chart)
    someone_else = await factory.user(role="therapist")
    other_grant_id = await break_the_glass(await client_for(someone_else), chart)

    before = await factory.last_audit_id()
    administrator = await client_for(admin)
    changed = await administrator.patch(
        f"/api/v1/users/{outsider.id}", json={"version": outsider.version, "role": "therapist"}
    )
    assert changed.status_code == 200, changed.text
    assert (await factory.reload(User, outsider.id)).role == "therapist"

    grant = await grant_of(factory, grant_id)
    assert grant.expires_at == clock.now()
    assert grant.ended_reason == "role changed from care_manager to therapist"
    assert (await grant_of(factory, other_grant_id)).expires_at > clock.now()
    ended = [e for e in await factory.audit_events(after=before) if e.record_type == "BreakGlass"]
    assert [(e.action, e.patient_id, e.record_id) for e in ended] == [
        ("U", chart.patient.id, grant_id)
    ]
    assert detail_of(ended[0])["holder"] == outsider.username

    assert (await holder.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 404

    review = (await administrator.get("/api/v1/break-glass")).json()
    [listed] = [g for g in review if g["id"] == grant_id]
    assert listed["ended_reason"] == "role changed from care_manager to therapist"


async def test_emergency_access_ends_when_the_holders_account_is_deactivated(
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
    admin: User,
    client_for: Any,
    browser_for: Any,
    clock: FrozenClock,
) -> None:
    holder = await client_for(outsider)
    grant_id = await break_the_glass(holder, chart)

    before = await factory.last_audit_id()
    browser = await browser_for(admin)
    deactivated = await post(browser, f"/admin/users/{outsider.id}/active", active="false")
    assert deactivated.status_code == 303
    assert (await factory.reload(User, outsider.id)).active is False

    grant = await grant_of(factory, grant_id)
    assert (grant.expires_at, grant.ended_reason) == (clock.now(), "account deactivated")
    events = await factory.audit_events(after=before)
    assert [e.patient_id for e in events if e.record_type == "BreakGlass"] == [chart.patient.id]
    [status] = [e for e in events if e.record_type == "UserStatus"]
    assert detail_of(status)["emergency_access_ended"] == 1

    # Back at work, the holder does not get the emergency access back.
    await post(browser, f"/admin/users/{outsider.id}/active", active="true")
    assert (await holder.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 404
    listing = await browser.client.get("/admin/break-glass")
    assert "early: account deactivated" in listing.text


async def test_an_expired_grant_is_left_as_it_ended(
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
    admin: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    grant_id = await break_the_glass(await client_for(outsider), chart)
    clock.advance(hours=2)
    administrator = await client_for(admin)
    response = await administrator.post(f"/api/v1/users/{outsider.id}/deactivate")
    assert response.status_code == 200
    assert (await factory.reload(User, outsider.id)).active is False
    grant = await grant_of(factory, grant_id)
    assert grant.ended_reason is None
    assert grant.expires_at < clock.now()


# -- administration always keeps an administrator -------------------------------------------


async def test_the_only_administrator_cannot_demote_or_deactivate_themselves(
    factory: Factory, admin: User, client_for: Any, browser_for: Any
) -> None:
    client = await used_client(client_for, admin)
    browser = await browser_for(admin)
    async with factory.account_unchanged(admin):
        demoted = await client.patch(
            f"/api/v1/users/{admin.id}", json={"version": admin.version, "role": "care_manager"}
        )
        assert demoted.status_code == 403
        assert (await client.post(f"/api/v1/users/{admin.id}/deactivate")).status_code == 422
        form = await post(browser, f"/admin/users/{admin.id}/active", active="false")
        assert form.status_code == 422
    assert "You cannot deactivate your own account." in form.text


async def test_an_administrator_may_demote_another_while_one_remains(
    factory: Factory, admin: User, client_for: Any
) -> None:
    other = await factory.user(role="administrator")
    client = await used_client(client_for, admin)
    response = await client.patch(
        f"/api/v1/users/{other.id}", json={"version": other.version, "role": "privacy_officer"}
    )
    assert response.status_code == 200
    assert (await factory.reload(User, other.id)).role == "privacy_officer"
    async with factory.account_unchanged(admin):
        assert (await client.post(f"/api/v1/users/{admin.id}/deactivate")).status_code == 422


@pytest.mark.parametrize("change", ["demote", "deactivate"])
async def test_the_last_active_administrator_cannot_be_removed_even_by_the_system(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    admin: User,
    clock: FrozenClock,
    change: str,
) -> None:
    await factory.user(role="administrator", active=False)
    system = AccessContext.system(clock, reason="test")
    async with factory.account_unchanged(admin), sessionmaker() as session:
        with pytest.raises(Conflict) as refused:
            if change == "demote":
                await admin_service.set_role(session, system, admin.id, "care_manager")
            else:
                await admin_service.set_active(session, system, admin.id, active=False)
    assert refused.value.field == ("role" if change == "demote" else "active")
    assert refused.value.status == 409


async def test_only_the_command_line_may_force_away_the_last_administrator(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, admin: User
) -> None:
    other = await factory.user(role="administrator")
    async with factory.account_unchanged(other), sessionmaker() as session:
        with pytest.raises(Forbidden):
            await admin_service.set_role(
                session, factory.context_for(admin), other.id, "care_manager", force=True
            )


async def test_a_demoted_administrators_request_in_flight_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, admin: User
) -> None:
    other = await factory.user(role="administrator")
    target = await factory.user(role="therapist")
    # The context was built while ``other`` was still an administrator.
    stale = factory.context_for(other)
    async with sessionmaker() as session:
        await admin_service.set_role(session, factory.context_for(admin), other.id, "therapist")
        await session.commit()
    async with factory.account_unchanged(target, other), sessionmaker() as session:
        with pytest.raises(Forbidden):
            await admin_service.set_role(session, stale, target.id, "administrator")

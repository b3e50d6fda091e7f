"""Agreement: the patient (or, with consent, a family member) agrees to a version of the plan;
the plan shows which version was agreed, when, and how much has changed since."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.factories import Factory, PatientWithTeam
from tests.integration.care_plan_support import changed, plan_url
from tests.integration.test_forms import post, redirected_to

from tandem.people.models import User


async def test_the_patients_agreement_is_shown_with_what_changed_since(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    plan = await factory.care_plan(chart.patient, care_manager)
    client = await client_for(care_manager)
    pid = chart.patient.id
    agreed = await client.post(
        plan_url(pid, "/agreements"), json={"version": 3, "method": "in-person"}
    )
    assert agreed.status_code == 201, agreed.text
    assert agreed.json()["name"] == "The patient"
    assert agreed.json()["agreed_on"] == factory.clock.today().isoformat()
    now = (await client.get(plan_url(pid))).json()
    assert now["version"] == 3  # agreeing does not change the plan
    assert now["agreement"] == {
        "version": 3,
        "name": "The patient",
        "method": "in-person",
        "agreed_on": factory.clock.today().isoformat(),
        "changes_since": 0,
    }
    goal_id = plan.goals[0].id
    after = await changed(client, "PATCH", pid, f"/goals/{goal_id}", 3, {"target": "By May"})
    assert after["agreement"]["changes_since"] == 1
    # They have not seen version 4: an agreement to version 3 again is refused, as is a repeat.
    stale = await client.post(plan_url(pid, "/agreements"), json={"version": 3, "method": "phone"})
    assert stale.status_code == 412 and stale.json()["detail"]["field"] == "version"
    again = await client.post(plan_url(pid, "/agreements"), json={"version": 4, "method": "phone"})
    assert again.status_code == 201
    twice = await client.post(plan_url(pid, "/agreements"), json={"version": 4, "method": "phone"})
    assert twice.status_code == 409 and twice.json()["detail"]["field"] == "version"
    listed = (await client.get(plan_url(pid, "/agreements"))).json()
    assert [(a["version"], a["method"]) for a in listed] == [(4, "phone"), (3, "in-person")]
    withdrawn = await client.post(
        plan_url(pid, f"/agreements/{listed[0]['id']}/entered-in-error"),
        json={"reason": "Recorded on the wrong patient"},
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "entered-in-error"
    assert (await client.get(plan_url(pid))).json()["agreement"]["version"] == 3


async def test_a_family_member_agrees_only_with_the_patients_consent(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    await factory.care_plan(chart.patient, care_manager)
    sister = await factory.related_person(chart.patient, name="Lucía Núñez")
    stranger = await factory.related_person(
        (await factory.patient(lead=care_manager)).patient, name="Not Family"
    )
    client = await client_for(care_manager)
    url = plan_url(chart.patient.id, "/agreements")
    body = {"version": 3, "method": "phone", "agreed_by": "related_person"}
    async with factory.unchanged():
        for extra, field in (
            ({}, "related_person_id"),
            ({"related_person_id": str(sister.id)}, "consent_confirmed"),
            (
                {"related_person_id": str(stranger.id), "consent_confirmed": True},
                "related_person_id",
            ),
            (
                {
                    "related_person_id": str(sister.id),
                    "consent_confirmed": True,
                    "agreed_on": (factory.clock.today() + timedelta(days=1)).isoformat(),
                },
                "agreed_on",
            ),
        ):
            refused = await client.post(url, json={**body, **extra})
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"]["field"] == field
        odd = await client.post(url, json={"version": 3, "method": "telepathy"})
        assert odd.status_code == 422
    agreed = await client.post(
        url, json={**body, "related_person_id": str(sister.id), "consent_confirmed": True}
    )
    assert agreed.status_code == 201, agreed.text
    assert agreed.json()["name"] == "Lucía Núñez"


async def test_the_agreement_is_recorded_through_its_page(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    await factory.care_plan(chart.patient, care_manager)
    browser = await browser_for(care_manager)
    base = f"/patients/{chart.patient.id}/care-plan"
    plan = await browser.client.get(base)
    assert "has not yet agreed" in plan.text and "Record the patient's agreement" in plan.text
    form = await browser.client.get(base + "/agreement")
    assert form.status_code == 200 and "version 3" in form.text
    refused = await post(browser, base + "/agreements", version=3, party="patient")
    assert refused.status_code == 422 and 'href="#method"' in refused.text
    stale = await post(browser, base + "/agreements", version=2, party="patient", method="video")
    assert stale.status_code == 409 and "The plan changed after you opened this form" in stale.text
    done = await post(
        browser,
        base + "/agreements",
        version=3,
        party="patient",
        method="video",
        agreed_on=factory.clock.today().isoformat(),
    )
    assert redirected_to(done, base), done.text
    plan = await browser.client.get(done.headers["location"])
    assert (
        "The patient agreed to version 3" in plan.text
        and "This is the plan as it is now" in plan.text
    )

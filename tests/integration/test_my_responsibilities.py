"""My responsibilities: each person's open care-plan activities across their patients, overdue
first; a community partner's are those their organisation owns, without the goals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.factories import Factory, PatientWithTeam
from tests.integration.care_plan_support import changed, plan_url

from tandem.people.models import User

MINE = "/api/v1/my/responsibilities"


async def test_my_open_activities_across_my_patients_overdue_first(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    plan = await factory.care_plan(chart.patient, care_manager)  # a check-in call, mine
    await factory.care_plan_goal(chart.patient, care_manager)  # food bank: mine and the patient's
    other = await factory.patient(lead=care_manager, given_name="Ana", family_name="Ortiz")
    await factory.care_plan(other.patient, care_manager)
    client = await client_for(care_manager)
    activity_id = plan.goals[0].activities[0].id
    late = (factory.clock.today() - timedelta(days=3)).isoformat()
    await changed(
        client, "PATCH", chart.patient.id, f"/activities/{activity_id}", 6, {"due_on": late}
    )
    mine = (await client.get(MINE)).json()
    first = mine["items"][0]
    assert (first["title"], first["overdue"]) == ("Weekly check-in call", True)
    assert mine["overdue"] == 1
    assert sorted(i["patient"] for i in mine["items"]) == [
        "Núñez, José",
        "Núñez, José",
        "Ortiz, Ana",
    ]  # the patient's own food-bank activity is theirs, not mine
    assert {i["owner"] for i in mine["items"]} == {"me"}
    assert mine["items"][0]["goal"] == "I want to be back at work by the spring"
    # A finished activity is owed by nobody.
    await changed(
        client, "PATCH", chart.patient.id, f"/activities/{activity_id}", 7, {"status": "completed"}
    )
    assert len((await client.get(MINE)).json()["items"]) == 2


async def test_activities_on_a_patient_whose_team_i_left_are_not_mine_to_see(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    colleague = await factory.user(role="therapist", full_name="Theo Therapist")
    membership = await factory.member(chart.patient, colleague, role="therapist")
    plan = await factory.care_plan(chart.patient, care_manager)
    lead = await client_for(care_manager)
    await changed(
        lead,
        "POST",
        chart.patient.id,
        f"/goals/{plan.goals[0].id}/activities",
        3,
        {
            "title": "CBT sessions",
            "kind": "therapy",
            "responsible": {"kind": "team_member", "user_id": str(colleague.id)},
        },
    )
    theirs = await client_for(colleague)
    assert [i["title"] for i in (await theirs.get(MINE)).json()["items"]] == ["CBT sessions"]
    ended = await lead.post(
        f"/api/v1/patients/{chart.patient.id}/care-team/{membership.id}/end",
        json={"version": 1, "reason": "Moved away", "end_date": factory.clock.today().isoformat()},
    )
    assert ended.status_code == 200, ended.text
    assert (await theirs.get(MINE)).json()["items"] == []


async def test_a_partner_sees_what_its_organisation_owns_and_never_the_goals(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    housing = await factory.organisation(name="Harbour Housing", kind="community_partner")
    partner = await factory.user(
        role="community_partner", full_name="Hana Housing", organization=housing
    )
    await factory.member(chart.patient, partner, role="community_partner")
    plan = await factory.care_plan(chart.patient, care_manager)
    lead = await client_for(care_manager)
    await changed(
        lead,
        "POST",
        chart.patient.id,
        f"/goals/{plan.goals[0].id}/activities",
        3,
        {
            "title": "Supported housing application",
            "kind": "housing-application",
            "responsible": {"kind": "organisation", "organization_id": str(housing.id)},
        },
    )
    client = await client_for(partner)
    mine = (await client.get(MINE)).json()
    assert [(i["title"], i["owner"], i["goal"]) for i in mine["items"]] == [
        ("Supported housing application", "my organisation", None)
    ]
    assert "back at work" not in str(mine)
    # The rest of the plan stays closed to a partner.
    assert (await client.get(plan_url(chart.patient.id))).status_code == 403


async def test_the_page_lists_them_and_the_top_bar_links_to_it(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    await factory.care_plan(chart.patient, care_manager)
    browser = await browser_for(care_manager)
    page = await browser.client.get("/my/responsibilities")
    assert page.status_code == 200
    assert '<a href="/my/responsibilities" aria-current="page">My responsibilities</a>' in page.text
    assert "Weekly check-in call" in page.text and "Núñez, José" in page.text
    assert f"/patients/{chart.patient.id}/care-plan" in page.text
    empty = await browser_for(await factory.user(role="therapist"))
    nothing = await empty.client.get("/my/responsibilities")
    assert nothing.status_code == 200 and "Nothing is waiting for you" in nothing.text

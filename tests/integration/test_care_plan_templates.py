"""Care plan templates: listed with their sources, and applied to a patient's plan in one
version, each activity given to the real person in its usual party's place (the lead care
manager, the patient, the partner organisation on the team), or to the caller with a note."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.factories import Factory, PatientWithTeam
from tests.integration.care_plan_support import based_on, plan_url

from tandem.people.models import User

# The frozen clock's day (tests/conftest.py): 10 March 2026.
TODAY = date(2026, 3, 10)
DEPRESSION = "depression-collaborative-care"


def _activities(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for goal in plan["goals"] for a in goal["activities"]}


async def _apply(
    client: Any, patient_id: Any, template: str, version: int | None = None, **extra: Any
) -> Any:
    headers = based_on(version) if version is not None else {}
    return await client.post(
        plan_url(patient_id, "/from-template"),
        json={"template": template, **extra},
        headers=headers,
    )


async def test_the_templates_are_listed_with_their_goals_activities_and_sources(
    care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    response = await client.get("/api/v1/care-plan-templates")
    assert response.status_code == 200
    found = {t["code"]: t for t in response.json()}
    assert sorted(found) == [
        "anxiety-collaborative-care",
        DEPRESSION,
        "smi-housing-instability",
    ]
    assert "AIMS Center" in found[DEPRESSION]["source"]
    assert "Housing First" in found["smi-housing-instability"]["source"]
    assert "CALM" in found["anxiety-collaborative-care"]["source"]
    first = found[DEPRESSION]["goals"][0]
    assert first["target"] and first["prompt"] and first["activities"][0]["due_in_days"] == 14


async def test_a_template_starts_the_plan_in_one_version_with_real_parties_and_dates(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    pcp = await factory.user(role="primary_care_provider", full_name="Priya Doctor")
    await factory.member(chart.patient, pcp, role="primary_care_provider")
    client = await client_for(care_manager)
    response = await _apply(client, chart.patient.id, DEPRESSION, reason="First visit")
    assert response.status_code == 201, response.text
    plan = response.json()
    assert response.headers["ETag"] == '"1"'
    assert plan["version"] == 1
    assert [g["description"] for g in plan["goals"]] == [
        "I want to feel like myself again and enjoy the things I used to.",
        "I want to get back to doing things I care about every week.",
        "I want to stay well once I feel better.",
    ]
    assert {g["status"] for g in plan["goals"]} == {"proposed"}
    # 168, 56 and 180 days after 10 March 2026.
    assert [g["target_date"] for g in plan["goals"]] == ["2026-08-25", "2026-05-05", "2026-09-06"]
    acts = _activities(plan)
    assert len(acts) == 7
    follow_up = acts["Follow-up call with the care manager"]
    assert follow_up["responsible"]["user_id"] == str(care_manager.id)
    assert follow_up["responsible"]["name"] == "Casey Lead"
    assert follow_up["responsible"]["on_team"] is True
    assert follow_up["due_on"] == "2026-03-24"
    assert follow_up["status"] == "not-started"
    assert acts["Start or adjust depression medicine"]["responsible"]["name"] == "Priya Doctor"
    assert acts["Plan one enjoyable activity each week and do it"]["responsible"] == {
        "kind": "patient",
        "user_id": None,
        "organization_id": None,
        "related_person_id": None,
        "name": "The patient",
        "on_team": None,
    }
    # No psychiatric consultant on the team: the caller takes it, and is told so.
    review = acts["Psychiatric consultant reviews progress if not improving at 10 weeks"]
    assert review["responsible"]["user_id"] == str(care_manager.id)
    assert plan["notes"] == [
        "No psychiatric consultant on the care team for “Psychiatric consultant reviews "
        "progress if not improving at 10 weeks”: assigned to Casey Lead until the team "
        "chooses who does it."
    ]
    versions = (await client.get(plan_url(chart.patient.id, "/versions"))).json()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["reason"].startswith("First visit No psychiatric consultant")
    again = (await client.get(plan_url(chart.patient.id))).json()
    assert {k: v for k, v in plan.items() if k != "notes"} == again


async def test_a_template_added_to_a_plan_is_one_more_version_based_on_if_match(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    await factory.care_plan(chart.patient, care_manager)  # version 3, one goal
    client = await client_for(care_manager)
    response = await _apply(client, chart.patient.id, "anxiety-collaborative-care", version=3)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["version"] == 4
    assert len(plan["goals"]) == 3
    versions = (await client.get(plan_url(chart.patient.id, "/versions"))).json()
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert versions[-1]["reason"].startswith(
        "From the template “Anxiety — collaborative care” (version 1.0.0)."
    )
    diff = (await client.get(plan_url(chart.patient.id, "/versions/3/diff/4"))).json()
    assert len(diff["goals"]["added"]) == 2 and len(diff["activities"]["added"]) == 6


async def test_the_partner_organisation_and_team_roles_stand_in_for_the_usual_parties(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    housing = await factory.organisation(name="Harbor Housing", kind="community_partner")
    partner = await factory.user(role="community_partner", organization=housing)
    await factory.member(chart.patient, partner, role="community_partner")
    peer = await factory.user(role="peer_specialist", full_name="Pat Peer")
    await factory.member(chart.patient, peer, role="peer_specialist")
    therapist = await factory.user(role="therapist", full_name="Theo Therapist")
    await factory.member(chart.patient, therapist, role="therapist")
    client = await client_for(therapist)
    plan = (await _apply(client, chart.patient.id, "smi-housing-instability")).json()
    acts = _activities(plan)
    assert acts["Apply for supportive housing"]["responsible"]["kind"] == "organisation"
    assert acts["Apply for supportive housing"]["responsible"]["name"] == "Harbor Housing"
    assert acts["Peer support visits while housing is found"]["responsible"]["name"] == "Pat Peer"
    # The care manager's activities go to the lead, not to the therapist who applied it.
    assert acts["Weekly check-in call"]["responsible"]["name"] == "Casey Lead"
    assert [n.split(" on the care team")[0] for n in plan["notes"]] == [
        "No psychiatric consultant",
        "No primary care provider",
    ]
    assert all("Theo Therapist" in note for note in plan["notes"])


async def test_a_refused_template_changes_nothing_and_names_what_is_wrong(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    await factory.care_plan(chart.patient, care_manager)
    client = await client_for(care_manager)
    async with factory.unchanged(chart.patient):
        unknown = await _apply(client, chart.patient.id, "no-such-template", version=3)
        assert unknown.status_code == 422
        assert unknown.json()["detail"]["field"] == "template"
        stale = await _apply(client, chart.patient.id, DEPRESSION, version=2)
        assert stale.status_code == 412
        assert stale.json()["detail"]["field"] == "If-Match"
        second_plan = await _apply(client, chart.patient.id, DEPRESSION)
        assert second_plan.status_code == 409
        blank = await client.post(plan_url(chart.patient.id, "/from-template"), json={})
        assert blank.status_code == 422


async def test_the_page_form_applies_a_template_and_redirects_to_the_plan(
    chart: PatientWithTeam, care_manager: User, browser_for: Any, client_for: Any
) -> None:
    browser = await browser_for(care_manager)
    response = await browser.client.post(
        f"/patients/{chart.patient.id}/care-plan/from-template",
        data={"csrf_token": browser.csrf, "template": DEPRESSION, "version": ""},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == (
        f"/patients/{chart.patient.id}/care-plan?flash=plan-template-applied"
    )
    plan = (await (await client_for(care_manager)).get(plan_url(chart.patient.id))).json()
    assert plan["version"] == 1 and len(plan["goals"]) == 3


async def test_a_stale_page_form_shows_the_plan_changed_and_a_bad_one_its_problem(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    await factory.care_plan(chart.patient, care_manager)
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}/care-plan/from-template"
    async with factory.unchanged(chart.patient):
        stale = await browser.client.post(
            url, data={"csrf_token": browser.csrf, "template": DEPRESSION, "version": "2"}
        )
        assert stale.status_code == 409
        assert "The plan changed" in stale.text
        assert 'name="version" value="3"' in stale.text
        started_meanwhile = await browser.client.post(
            url, data={"csrf_token": browser.csrf, "template": DEPRESSION, "version": ""}
        )
        assert started_meanwhile.status_code == 409
        missing = await browser.client.post(
            url, data={"csrf_token": browser.csrf, "template": "", "version": "3"}
        )
        assert missing.status_code == 422
        assert 'id="tpl-template-error"' in missing.text
        assert "Add to the plan" in missing.text

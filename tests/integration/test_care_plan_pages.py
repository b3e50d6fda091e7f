"""The Care plan tab: starting a plan, goals and activities through forms, who does what, the
history with two versions compared, and the conflict notice when someone else saved first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.care_plan_support import (
    GOAL,
    activity,
    changed,
    need_of,
    new_plan,
    plan_url,
)
from tests.integration.test_forms import post, redirected_to

from tandem.people.models import User


def page_url(chart: PatientWithTeam, tail: str = "") -> str:
    return f"/patients/{chart.patient.id}/care-plan{tail}"


@pytest.fixture
async def planned(chart: PatientWithTeam, care_manager: User, client_for: Any) -> dict[str, Any]:
    """A plan with one goal (addressing a housing need) and one activity: version 3."""
    client = await client_for(care_manager)
    need_id = await need_of(client, chart.patient.id)
    plan = await new_plan(client, chart.patient.id)
    plan = await changed(
        client, "POST", chart.patient.id, "/goals", 1, {**GOAL, "addresses": [need_id]}
    )
    goal_id = plan["goals"][0]["id"]
    plan = await changed(
        client,
        "POST",
        chart.patient.id,
        f"/goals/{goal_id}/activities",
        2,
        activity(care_manager.id),
    )
    return {"plan": plan, "goal_id": goal_id, "need_id": need_id, "client": client}


async def test_a_plan_is_started_from_the_tab(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    empty = await browser.client.get(page_url(chart))
    assert empty.status_code == 200
    assert "No care plan yet" in empty.text and "Start the care plan" in empty.text
    assert 'aria-current="page">Care plan</a>' in empty.text
    assert "Start the plan from a template" in empty.text
    assert 'value="depression-collaborative-care"' in empty.text
    started = await post(browser, page_url(chart), next_review_on="2026-13-01")
    assert started.status_code == 422
    assert 'id="start-next_review_on-error"' in started.text
    started = await post(browser, page_url(chart))
    assert redirected_to(started, page_url(chart))
    plan = await browser.client.get(started.headers["location"])
    assert "Version 1," in plan.text and "No goals yet" in plan.text
    for copy in ("/care-plan/print", "/care-plan.pdf", "/care-plan/print/clinical"):
        assert f'href="/patients/{chart.patient.id}{copy}"' in plan.text
    assert "Add goals and activities from a template" in plan.text
    assert "The care plan is started" in plan.text


async def test_a_goal_is_added_with_the_needs_it_addresses(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    form = await browser.client.get(page_url(chart, "/goals/new"))
    assert form.status_code == 200
    assert "Behind on rent" in form.text  # the need, offered as a box
    assert 'name="version" value="3"' in form.text
    added = await post(
        browser,
        page_url(chart, "/goals"),
        version=3,
        description="Keep my flat",
        target="Tenancy signed",
        status="active",
        achievement="in-progress",
        **{f"need.{planned['need_id']}": "on"},
        reason="Agreed at today's visit",
    )
    assert redirected_to(added, page_url(chart)), added.text
    plan = await browser.client.get(page_url(chart))
    assert "Keep my flat" in plan.text and "Tenancy signed" in plan.text
    assert "Version 4," in plan.text
    history = await browser.client.get(page_url(chart, "/history"))
    assert "Agreed at today&#39;s visit" in history.text
    assert "Keep my flat" in history.text  # the newest change, compared with the one before


async def test_a_refused_goal_names_the_field_and_keeps_what_was_typed(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    async with factory.unchanged():
        refused = await post(
            browser, page_url(chart, "/goals"), version=3, description="", target="Kept"
        )
        assert refused.status_code == 422
        assert 'href="#description"' in refused.text and 'value="Kept"' in refused.text
        foreign = await post(
            browser,
            page_url(chart, "/goals"),
            version=3,
            description="Someone else's need",
            **{"need.00000000-0000-0000-0000-000000000000": "on"},
        )
        assert foreign.status_code == 422
        assert 'id="addresses-error"' in foreign.text


async def test_an_activity_names_one_party_and_shows_under_who_does_what(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    goal_id = planned["goal_id"]
    form = await browser.client.get(page_url(chart, f"/goals/{goal_id}/activities/new"))
    assert form.status_code == 200
    assert f'value="team_member:{care_manager.id}"' in form.text
    assert 'value="patient"' in form.text
    async with factory.unchanged():
        odd = await post(
            browser,
            page_url(chart, f"/goals/{goal_id}/activities"),
            version=3,
            title="Keep a sleep diary",
            kind="other",
            responsible="team_member:not-an-id",
        )
        assert odd.status_code == 422 and 'id="responsible-error"' in odd.text
    yesterday = (factory.clock.today() - timedelta(days=1)).isoformat()
    added = await post(
        browser,
        page_url(chart, f"/goals/{goal_id}/activities"),
        version=3,
        title="Keep a sleep diary",
        kind="other",
        responsible="patient",
        due_on=yesterday,
        status="in-progress",
    )
    assert redirected_to(added, page_url(chart)), added.text
    plan = await browser.client.get(page_url(chart))
    who = plan.text.split('id="who-heading"')[1].split('id="goals-heading"')[0]
    assert "The patient" in who and "Keep a sleep diary" in who and "Overdue" in who
    assert care_manager.full_name in who and "Weekly check-in call" in who


async def test_a_change_based_on_an_older_version_shows_the_other_change(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    goal_id = planned["goal_id"]
    opened = await browser.client.get(page_url(chart, f"/goals/{goal_id}"))
    assert 'name="version" value="3"' in opened.text
    # Someone else saves first.
    await changed(
        planned["client"],
        "PATCH",
        chart.patient.id,
        f"/goals/{goal_id}",
        3,
        {"target": "Five hours most nights"},
    )
    async with factory.unchanged():
        late = await post(
            browser,
            page_url(chart, f"/goals/{goal_id}"),
            version=3,
            description="Sleep through the night, most nights",
            target=GOAL["target"],  # left as it was when the form opened
            target_date="",
            status="active",
            achievement="improving",
        )
    assert late.status_code == 409
    assert "Someone else changed the plan" in late.text
    assert "Five hours most nights" in late.text and "Six hours most nights" in late.text
    assert "Sleep through the night, most nights" in late.text  # what was typed is kept
    # The field this form left alone takes the other change's value: saving does not undo it.
    assert 'name="target" type="text" value="Five hours most nights"' in late.text
    assert 'name="version" value="4"' in late.text
    again = await post(
        browser,
        page_url(chart, f"/goals/{goal_id}"),
        version=4,
        description="Sleep through the night, most nights",
        target="Five hours most nights",
        status="active",
        achievement="improving",
    )
    assert redirected_to(again, page_url(chart)), again.text
    now = await planned["client"].get(plan_url(chart.patient.id))
    assert now.json()["version"] == 5 and now.json()["goals"][0]["achievement"] == "improving"


async def test_a_field_both_changed_keeps_what_was_typed_and_is_marked(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    goal_id = planned["goal_id"]
    await changed(
        planned["client"], "PATCH", chart.patient.id, f"/goals/{goal_id}", 3, {"target": "Five"}
    )
    async with factory.unchanged():
        late = await post(
            browser,
            page_url(chart, f"/goals/{goal_id}"),
            version=3,
            description=GOAL["description"],
            target="Seven",
            status="active",
            achievement="in-progress",
        )
    assert late.status_code == 409
    assert 'name="target" type="text" value="Seven"' in late.text
    assert 'id="target-error"' in late.text and "The other change set this to “Five”" in late.text


async def test_the_history_compares_two_versions_and_shows_one_as_it_was(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    history = await browser.client.get(page_url(chart, "/history?from=1&to=3"))
    assert history.status_code == 200
    assert "What changed from version 1 to version 3" in history.text
    assert GOAL["description"] in history.text and "Weekly check-in call" in history.text
    odd = await browser.client.get(page_url(chart, "/history?from=x&to=999"))
    assert odd.status_code == 200 and "version 2 to version 3" in odd.text
    shown = await browser.client.get(page_url(chart, "/versions/2"))
    assert shown.status_code == 200
    assert "as it was at version 2" in shown.text
    assert GOAL["description"] in shown.text and "Weekly check-in call" not in shown.text
    missing = await browser.client.get(page_url(chart, "/versions/40"))
    assert missing.status_code == 404


async def test_an_activity_is_changed_and_marked_entered_in_error(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    activity_id = planned["plan"]["goals"][0]["activities"][0]["id"]
    form = await browser.client.get(page_url(chart, f"/activities/{activity_id}"))
    assert form.status_code == 200 and 'value="Weekly check-in call"' in form.text
    saved = await post(
        browser,
        page_url(chart, f"/activities/{activity_id}"),
        version=3,
        title="Weekly check-in call",
        kind="check-in-call",
        responsible=f"team_member:{care_manager.id}",
        status="completed",
    )
    assert redirected_to(saved, page_url(chart)), saved.text
    refused = await post(
        browser, page_url(chart, f"/activities/{activity_id}/entered-in-error"), version=4
    )
    assert refused.status_code == 422
    withdrawn = await post(
        browser,
        page_url(chart, f"/activities/{activity_id}/entered-in-error"),
        version=4,
        reason="Recorded on the wrong goal",
    )
    assert redirected_to(withdrawn, page_url(chart)), withdrawn.text
    plan = await browser.client.get(page_url(chart))
    assert "Weekly check-in call" not in plan.text and "Version 5," in plan.text


async def test_who_may_open_and_change_the_plan_pages(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    outsider: User,
    browser_for: Any,
    planned: Any,
) -> None:
    peer = await factory.user(role="peer_specialist", full_name="Pat Peer")
    await factory.member(chart.patient, peer, role="peer_specialist")
    reader = await browser_for(peer)
    seen = await reader.client.get(page_url(chart))
    assert seen.status_code == 200 and GOAL["description"] in seen.text
    assert "Add a goal" not in seen.text and "/care-plan/goals/" not in seen.text
    assert (
        await reader.client.get(page_url(chart, f"/goals/{planned['goal_id']}"))
    ).status_code == 403
    stranger = await browser_for(outsider)
    async with factory.unchanged():
        hidden = await stranger.client.get(page_url(chart))
        assert hidden.status_code == 404 and chart.patient.family_name not in hidden.text
        assert (
            await post(stranger, page_url(chart, "/goals"), version=3, description="x")
        ).status_code == 404


async def test_a_need_shows_the_goals_and_activities_that_address_it(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    browser = await browser_for(care_manager)
    needs = await browser.client.get(f"/patients/{chart.patient.id}/needs")
    card = needs.text.split(f'id="need-{planned["need_id"]}"')[1].split("</article>")[0]
    assert "In the care plan" in card and GOAL["description"] in card
    assert f"Weekly check-in call ({care_manager.full_name})" in card
    other = await planned["client"].post(
        f"/api/v1/patients/{chart.patient.id}/needs",
        json={"domain": "food-insecurity", "description": "Food runs out", "status": "confirmed"},
    )
    needs = await browser.client.get(f"/patients/{chart.patient.id}/needs")
    card = needs.text.split(f'id="need-{other.json()["id"]}"')[1].split("</article>")[0]
    assert "No goal in the care plan addresses this need yet" in card
    link = f"/care-plan/goals/new?need={other.json()['id']}"
    assert link in card
    form = await browser.client.get(f"/patients/{chart.patient.id}{link}")
    assert f'name="need.{other.json()["id"]}" value="on" checked' in form.text
    assert f'name="need.{planned["need_id"]}" value="on">' in form.text


async def test_the_plan_shows_its_checks_with_one_click_fixes_and_its_review(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    client = planned["client"]
    activity_id = planned["plan"]["goals"][0]["activities"][0]["id"]
    late = (factory.clock.today() - timedelta(days=2)).isoformat()
    await changed(
        client, "PATCH", chart.patient.id, f"/activities/{activity_id}", 3, {"due_on": late}
    )
    past = (factory.clock.today() - timedelta(days=1)).isoformat()
    browser = await browser_for(care_manager)
    plan = await browser.client.get(page_url(chart))
    checks = plan.text.split('id="checks-heading"')[1].split("</section>")[0]
    assert "Weekly check-in call" in checks and "Mark it completed" in checks
    assert (
        f'action="/patients/{chart.patient.id}/care-plan/activities/{activity_id}/status"' in checks
    )
    done = await post(
        browser, page_url(chart, f"/activities/{activity_id}/status"), version=4, status="completed"
    )
    assert redirected_to(done, page_url(chart)), done.text
    plan = await browser.client.get(page_url(chart))
    assert 'id="checks-heading"' not in plan.text or "Mark it completed" not in plan.text
    # A review: the next one's day is the team's; one in the past is refused, naming it.
    refused = await post(browser, page_url(chart, "/review"), version=5, next_review_on=past)
    assert refused.status_code == 422 and 'id="review-next_review_on-error"' in refused.text
    soon = (factory.clock.today() + timedelta(days=60)).isoformat()
    reviewed = await post(
        browser, page_url(chart, "/review"), version=5, next_review_on=soon, reason="Went well"
    )
    assert redirected_to(reviewed, page_url(chart)), reviewed.text
    plan = await browser.client.get(reviewed.headers["location"])
    assert "The review is recorded" in plan.text and "Version 6," in plan.text


async def test_with_an_alert_open_the_plan_shows_the_safety_plan_first(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any, planned: Any
) -> None:
    await factory.response(chart.patient, care_manager, answers=phq9_answers(15, item9=2))
    browser = await browser_for(care_manager)
    plan = await browser.client.get(page_url(chart))
    card = plan.text.split('id="safety-plan-heading"')[1].split("</section>")[0]
    assert "A safety alert is open and there is no safety plan yet" in card
    assert f"/patients/{chart.patient.id}/care-plan/safety-plan/edit" in card
    assert plan.text.index('id="safety-plan-heading"') < plan.text.index('id="goals-heading"')

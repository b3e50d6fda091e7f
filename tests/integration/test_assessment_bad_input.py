"""Bad answers get a 4xx naming the item or field, and nothing is stored; a patient outside the
caller's care teams is 404 on every assessment route, writes included, and nothing changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import update
from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import (
    named_fields,
    patient_url,
    suicide_risk,
)
from tests.snapshots import assert_unchanged

from tandem.assessments import api as assessments_api
from tandem.careteams.models import CareTeamMember
from tandem.people.models import User


async def post_response(
    client: httpx.AsyncClient, patient_id: Any, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(patient_url(patient_id, "/responses"), json=body)


def without(answers: dict[str, Any], *items: str) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k not in items}


# -- bad answers ------------------------------------------------------------------------------

PHQ9_ALERTING = phq9_answers(15, item9=2)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"answers": without(PHQ9_ALERTING, "9")}, {"answers.9"}),
        ({"answers": without(PHQ9_ALERTING, "1", "9")}, {"answers.1", "answers.9"}),
        ({"answers": PHQ9_ALERTING | {"3": ""}}, {"answers.3"}),
        ({"answers": PHQ9_ALERTING | {"1": "LA0000-0"}}, {"answers.1"}),
        ({"answers": PHQ9_ALERTING | {"1": "LA6572-7"}}, {"answers.1"}),
        ({"answers": PHQ9_ALERTING | {"difficulty": "LA6571-9"}}, {"answers.difficulty"}),
        ({"answers": PHQ9_ALERTING | {"1": ["LA6568-5", "LA6569-3"]}}, {"answers.1"}),
        ({"answers": PHQ9_ALERTING | {"10": "LA6568-5"}}, {"answers.10"}),
        ({"answers": PHQ9_ALERTING | {"1": 3}}, {"answers.1"}),
        ({"answers": PHQ9_ALERTING | {"1": "LA65\x0068-5"}}, {"answers"}),
        ({"answers": ["LA6568-5"] * 9}, {"answers"}),
        ({"answers": None}, {"answers"}),
        ({"answered_on": "2026-03-11"}, {"answered_on"}),
        ({"answered_on": "1979-12-31"}, {"answered_on"}),
        ({"answered_on": "10/03/2026"}, {"answered_on"}),
        ({"instrument": "pcl-5"}, {"instrument"}),
        ({"instrument": None}, {"instrument"}),
        ({"instrument": "x" * 41}, {"instrument"}),
        ({"source": "family"}, {"source"}),
        ({"score": 15}, {"score"}),
    ],
    ids=[
        "item-9-missing",
        "two-items-missing",
        "blank-answer",
        "unknown-code",
        "code-of-another-list",
        "difficulty-with-a-frequency-code",
        "two-answers-to-one-item",
        "unknown-item",
        "number-not-code",
        "nul-character",
        "answers-not-an-object",
        "answers-missing",
        "future-date",
        "before-birth",
        "date-format",
        "unknown-instrument",
        "instrument-missing",
        "instrument-too-long",
        "unknown-source",
        "unexpected-field",
    ],
)
async def test_a_bad_phq9_is_refused_naming_the_item_and_nothing_is_stored(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    body: dict[str, Any],
    fields: set[str],
) -> None:
    client = await client_for(care_manager)
    request = {"instrument": "phq-9", "answers": PHQ9_ALERTING, **body}
    request = {k: v for k, v in request.items() if v is not None}
    empty = await factory.patient_record(chart.patient)
    before = await factory.last_audit_id()
    response = await post_response(client, chart.patient.id, request)
    assert response.status_code == 422, response.text
    assert fields <= named_fields(response), response.text
    assert_unchanged(empty, await factory.patient_record(chart.patient))
    assert [e.action for e in await factory.audit_events(after=before)] == []


async def test_every_wrong_item_is_named_with_its_own_message(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    answers = without(PHQ9_ALERTING, "2") | {"4": "LA0000-0", "extra": "LA6568-5"}
    async with factory.unchanged(chart.patient):
        response = await post_response(
            client, chart.patient.id, {"instrument": "phq-9", "answers": answers}
        )
        assert response.status_code == 422
    errors = response.json()["detail"]["errors"]
    assert set(errors) == {"answers.2", "answers.4", "answers.extra"}
    assert errors["answers.2"] == "Item 2 — feeling down or hopeless: an answer is required."
    assert "'LA0000-0' is not one of its answers" in errors["answers.4"]
    assert errors["answers.extra"] == "PHQ-9 has no item 'extra'."


@pytest.mark.parametrize(
    ("instrument", "answers", "field"),
    [
        (
            "social-needs",
            SOCIAL_NEEDS_POSITIVE | {"housing-problems": ["LA9-3", "LA28580-1"]},
            "answers.housing-problems",
        ),
        ("social-needs", without(SOCIAL_NEEDS_POSITIVE, "food-worry"), "answers.food-worry"),
        ("social-needs", SOCIAL_NEEDS_POSITIVE | {"living": ["LA31994-9"] * 2}, "answers.living"),
        ("suicide-risk", suicide_risk(q4=True) | {"q6": "LA33-6"}, "answers.q6"),
        ("suicide-risk", without(suicide_risk(q5=True), "q3"), "answers.q3"),
        ("gad-7", without(phq9_answers(15), "9", "difficulty"), "answers.8"),
        ("audit-c", {"1": "LA6270-8", "2": "LA6270-8", "3": "LA6270-8"}, "answers.2"),
    ],
    ids=[
        "none-of-the-above-and-mould",
        "food-item-missing",
        "one-answer-twice",
        "behaviour-with-a-yes-code",
        "question-3-missing",
        "phq9-items-on-a-gad7",
        "frequency-code-for-quantity",
    ],
)
async def test_bad_answers_to_other_instruments_are_named_and_raise_nothing(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    instrument: str,
    answers: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    empty = await factory.patient_record(chart.patient)
    response = await post_response(
        client, chart.patient.id, {"instrument": instrument, "answers": answers}
    )
    assert response.status_code == 422, response.text
    assert field in named_fields(response), response.text
    assert_unchanged(empty, await factory.patient_record(chart.patient))


# -- outside the care team --------------------------------------------------------------------


@dataclass
class Scene:
    chart: PatientWithTeam
    ids: dict[str, str]


@pytest.fixture
async def scene(factory: Factory, chart: PatientWithTeam, care_manager: User) -> Scene:
    """A patient with one of everything: a PHQ-9 with an alert, a screen with needs, an
    assessment."""
    phq9 = await factory.response(chart.patient, care_manager, answers=PHQ9_ALERTING)
    social = await factory.response(
        chart.patient, care_manager, instrument="social-needs", answers=SOCIAL_NEEDS_POSITIVE
    )
    assessment = await factory.assessment(chart.patient, care_manager, response_ids=[phq9.id])
    ids = {
        "patient_id": str(chart.patient.id),
        "response_id": str(phq9.id),
        "alert_id": str(phq9.alerts_raised[0]),
        "need_id": str(social.needs_identified[0]),
        "assessment_id": str(assessment.id),
        "instrument_code": "phq-9",
    }
    return Scene(chart=chart, ids=ids)


P = "/api/v1/patients/{patient_id}"
ASSESSMENT_BODY = {
    "narrative": "Someone else's narrative",
    "priorities": "Someone else's priorities",
    "response_ids": [],
    "need_ids": [],
}
OUTSIDER_REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", P + "/responses", None),
    ("POST", P + "/responses", {"instrument": "phq-9", "answers": phq9_answers(20, item9=3)}),
    ("GET", P + "/responses/{response_id}", None),
    (
        "POST",
        P + "/responses/{response_id}/amend",
        {"version": 1, "answers": phq9_answers(3), "reason": "Nothing to see"},
    ),
    (
        "POST",
        P + "/responses/{response_id}/entered-in-error",
        {"version": 1, "reason": "Nothing to see"},
    ),
    ("GET", P + "/trajectories/{instrument_code}", None),
    ("GET", P + "/safety-alerts", None),
    (
        "POST",
        P + "/safety-alerts/{alert_id}/resolve",
        {"version": 1, "actions": ["other"], "action_taken": "Closing someone else's alert"},
    ),
    ("GET", P + "/needs", None),
    ("POST", P + "/needs", {"domain": "clinical", "description": "Invented need"}),
    (
        "POST",
        P + "/needs/{need_id}/status",
        {"version": 1, "status": "dismissed", "reason": "Not mine to dismiss"},
    ),
    ("GET", P + "/comprehensive-assessments", None),
    ("POST", P + "/comprehensive-assessments", ASSESSMENT_BODY),
    ("GET", P + "/comprehensive-assessments/{assessment_id}", None),
    (
        "POST",
        P + "/comprehensive-assessments/{assessment_id}/amend",
        {**ASSESSMENT_BODY, "version": 1, "reason": "Nothing to see"},
    ),
    (
        "POST",
        P + "/comprehensive-assessments/{assessment_id}/entered-in-error",
        {"version": 1, "reason": "Nothing to see"},
    ),
]
OUTSIDER_IDS = [f"{method} {path.removeprefix(P)}" for method, path, _ in OUTSIDER_REQUESTS]


def test_every_assessment_route_that_takes_a_patient_is_in_the_outsider_list() -> None:
    routes = {
        (method, "/api/v1" + route.path)
        for route in assessments_api.router.routes
        if isinstance(route, APIRoute) and "{patient_id}" in route.path
        for method in route.methods
    }
    assert routes == {(method, path) for method, path, _ in OUTSIDER_REQUESTS}


async def check_refused_and_unchanged(
    factory: Factory, scene: Scene, client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    patient = scene.chart.patient
    # All patient data, not only this chart: a write must not land on the caller's own patients.
    before_rows = await factory.all_patient_data()
    before = await factory.last_audit_id()
    response = await client.request(method, path.format(**scene.ids), json=body)
    assert response.status_code == 404, response.text
    assert patient.family_name not in response.text and patient.mrn not in response.text
    assert_unchanged(before_rows, await factory.all_patient_data())
    # Only the refusal is on the patient's record: nothing was read or changed.
    events = await factory.audit_events(patient_id=patient.id, after=before)
    assert [(e.record_type, e.outcome) for e in events] == [("AccessRefused", 4)]


@pytest.mark.parametrize(("method", "path", "body"), OUTSIDER_REQUESTS, ids=OUTSIDER_IDS)
async def test_a_patient_outside_my_care_teams_is_404_on_every_route_and_nothing_changes(
    factory: Factory,
    scene: Scene,
    outsider: User,
    client_for: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    await factory.patient(lead=outsider)  # a care manager with a caseload of their own
    client = await client_for(outsider)
    await check_refused_and_unchanged(factory, scene, client, method, path, body)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [r for r in OUTSIDER_REQUESTS if r[0] == "POST"],
    ids=[i for i, r in zip(OUTSIDER_IDS, OUTSIDER_REQUESTS, strict=True) if r[0] == "POST"],
)
async def test_a_former_team_member_can_no_longer_write(
    factory: Factory,
    scene: Scene,
    client_for: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    therapist = await factory.user(role="therapist")
    membership = await factory.member(scene.chart.patient, therapist, role="therapist")
    async with factory.system_session() as session:
        await session.execute(
            update(CareTeamMember)
            .where(CareTeamMember.id == membership.id)
            .values(status="inactive")
        )
        await session.commit()
    client = await client_for(therapist)
    await check_refused_and_unchanged(factory, scene, client, method, path, body)


async def test_an_unknown_patient_is_404_and_the_administrator_sees_no_clinical_data(
    factory: Factory, scene: Scene, admin: User, care_manager: User, client_for: Any
) -> None:
    body = {"instrument": "phq-9", "answers": phq9_answers(5)}
    as_admin = await client_for(admin)
    async with factory.unchanged():
        unknown = await post_response(await client_for(care_manager), uuid.uuid4(), body)
        assert unknown.status_code == 404
        assert (await post_response(as_admin, scene.chart.patient.id, body)).status_code == 404
    url = patient_url(scene.chart.patient.id, "/safety-alerts")
    assert (await as_admin.get(url)).status_code == 404


async def test_a_safety_notification_is_not_shown_once_the_lead_leaves_the_team(
    factory: Factory, scene: Scene, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    assert len((await client.get("/api/v1/notifications")).json()) == 1
    async with factory.system_session() as session:
        await session.execute(
            update(CareTeamMember)
            .where(CareTeamMember.id == scene.chart.lead_membership.id)
            .values(status="inactive")
        )
        await session.commit()
    assert (await client.get("/api/v1/notifications")).json() == []

"""The comprehensive assessment: the screens done, the narrative, what matters to the patient,
strengths and the needs chosen (candidates chosen are confirmed); amended with a reason."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam, phq9_answers
from tests.integration.assessment_support import (
    REFUSED_CORRECTION_IDS,
    REFUSED_CORRECTIONS,
    administer,
    days_ago,
    detail,
    get_json,
    named_fields,
    needs,
    patient_url,
    stored,
)
from tests.snapshots import assert_unchanged

from tandem.assessments.models import ComprehensiveAssessment
from tandem.clock import FrozenClock
from tandem.people.models import User

ASSESSMENT = {
    "narrative": "Low mood since losing work in the spring; sleeping poorly; drinks little.",
    "priorities": "Keeping my flat and getting back to work.",
    "strengths": "Close to her sister; walks every day.",
}


async def create(client: httpx.AsyncClient, patient_id: Any, **body: Any) -> httpx.Response:
    url = patient_url(patient_id, "/comprehensive-assessments")
    return await client.post(url, json={**ASSESSMENT, **body})


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def screens(
    client: httpx.AsyncClient, patient_id: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A PHQ-9 and a social-needs screen positive for housing and food."""
    phq9 = await administer(client, patient_id, phq9_answers(13))
    social = await administer(client, patient_id, SOCIAL_NEEDS_POSITIVE, instrument="social-needs")
    return phq9, social


async def test_an_assessment_gathers_screens_and_needs_and_confirms_the_candidates_chosen(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    phq9, social = await screens(client, pid)
    housing = next(n for n in await needs(client, pid) if n["domain"] == "housing-instability")
    before = await factory.last_audit_id()
    body = created(
        await create(
            client,
            pid,
            response_ids=[phq9["id"], social["id"], phq9["id"]],
            need_ids=[housing["id"]],
        )
    )
    assert body["response_ids"] == [phq9["id"], social["id"]]
    assert body["need_ids"] == [housing["id"]]
    assert (body["narrative"], body["priorities"], body["strengths"]) == (
        ASSESSMENT["narrative"],
        ASSESSMENT["priorities"],
        ASSESSMENT["strengths"],
    )
    assert (body["status"], body["version"], body["author"]) == ("final", 1, care_manager.full_name)
    assert (body["assessed_on"], body["revisions"]) == (clock.today().isoformat(), [])
    statuses = {n["domain"]: n for n in await needs(client, pid)}
    assert statuses["housing-instability"]["status"] == "confirmed"
    assert statuses["housing-instability"]["history"][-1]["reason"] == (
        "Confirmed in the comprehensive assessment"
    )
    assert statuses["food-insecurity"]["status"] == "identified"
    changes = {
        (e.action, e.record_type, e.record_id)
        for e in await factory.audit_events(after=before)
        if e.action != "R"
    }
    assert changes == {
        ("C", "ComprehensiveAssessment", body["id"]),
        ("U", "Need", housing["id"]),
    }


async def test_assessments_are_listed_newest_first_and_read_back(
    chart: PatientWithTeam, care_manager: User, client_for: Any, clock: FrozenClock
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    older = created(await create(client, pid, assessed_on=days_ago(clock, 90).isoformat()))
    newer = created(await create(client, pid, strengths=None))
    listed = await get_json(client, patient_url(pid, "/comprehensive-assessments"))
    assert [a["id"] for a in listed] == [newer["id"], older["id"]]
    read = await get_json(client, patient_url(pid, f"/comprehensive-assessments/{older['id']}"))
    assert (read["assessed_on"], read["strengths"]) == (
        days_ago(clock, 90).isoformat(),
        ASSESSMENT["strengths"],
    )
    assert newer["strengths"] is None


async def test_another_patients_screens_or_needs_are_refused_naming_the_list(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    other = await factory.patient(lead=care_manager)
    client = await client_for(care_manager)
    mine_phq9, _ = await screens(client, chart.patient.id)
    mine_need = (await needs(client, chart.patient.id))[0]
    theirs_phq9, _ = await screens(client, other.patient.id)
    theirs_need = (await needs(client, other.patient.id))[0]
    records = [await factory.patient_record(p) for p in (chart.patient, other.patient)]

    wrong_screen = await create(
        client, chart.patient.id, response_ids=[mine_phq9["id"], theirs_phq9["id"]]
    )
    assert wrong_screen.status_code == 422
    assert detail(wrong_screen)["field"] == "response_ids"
    wrong_need = await create(
        client, chart.patient.id, need_ids=[mine_need["id"], theirs_need["id"]]
    )
    assert wrong_need.status_code == 422
    assert detail(wrong_need)["field"] == "need_ids"

    assert await stored(factory, ComprehensiveAssessment, chart.patient.id) == []
    # The refused request confirmed nothing, not even this patient's own need.
    assert {n["status"] for n in await needs(client, chart.patient.id)} == {"identified"}
    assert {n["status"] for n in await needs(client, other.patient.id)} == {"identified"}
    for record, patient in zip(records, (chart.patient, other.patient), strict=True):
        assert_unchanged(record, await factory.patient_record(patient))


async def test_a_withdrawn_screen_or_a_dismissed_need_cannot_be_chosen(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    phq9, _ = await screens(client, pid)
    url = patient_url(pid, f"/responses/{phq9['id']}/entered-in-error")
    withdrawn = await client.post(url, json={"version": 1, "reason": "Wrong patient"})
    assert withdrawn.status_code == 200
    record = await factory.patient_record(pid)
    refused = await create(client, pid, response_ids=[phq9["id"]])
    assert (refused.status_code, detail(refused)["field"]) == (422, "response_ids")
    assert_unchanged(record, await factory.patient_record(pid))

    food = next(n for n in await needs(client, pid) if n["domain"] == "food-insecurity")
    dismiss = await client.post(
        patient_url(pid, f"/needs/{food['id']}/status"),
        json={"version": 1, "status": "dismissed", "reason": "Not a need, she says"},
    )
    assert dismiss.status_code == 200
    record = await factory.patient_record(pid)
    refused = await create(client, pid, need_ids=[food["id"]])
    assert (refused.status_code, detail(refused)["field"]) == (422, "need_ids")
    assert await stored(factory, ComprehensiveAssessment, pid) == []
    assert_unchanged(record, await factory.patient_record(pid))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"narrative": "ok"}, "narrative"),
        ({"priorities": None}, "priorities"),
        ({"assessed_on": "2026-03-11"}, "assessed_on"),
        ({"assessed_on": "1979-01-01"}, "assessed_on"),
        ({"response_ids": ["not-a-uuid"]}, "response_ids"),
        ({"need_ids": ["00000000-0000-4000-8000-000000000000"]}, "need_ids"),
    ],
)
async def test_an_assessment_with_a_bad_field_is_422_naming_it(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    change: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    body = {k: v for k, v in {**ASSESSMENT, **change}.items() if v is not None}
    record = await factory.patient_record(chart.patient)
    response = await client.post(
        patient_url(chart.patient.id, "/comprehensive-assessments"), json=body
    )
    assert response.status_code == 422, response.text
    assert field in named_fields(response)
    assert_unchanged(record, await factory.patient_record(chart.patient))


# -- amending and withdrawing -----------------------------------------------------------------


async def amend(
    client: httpx.AsyncClient, assessment: dict[str, Any], **change: Any
) -> httpx.Response:
    url = patient_url(
        assessment["patient_id"], f"/comprehensive-assessments/{assessment['id']}/amend"
    )
    body = {
        **ASSESSMENT,
        "version": assessment["version"],
        "reason": "She added what matters most",
        "response_ids": assessment["response_ids"],
        "need_ids": assessment["need_ids"],
        **change,
    }
    return await client.post(url, json={k: v for k, v in body.items() if v is not None})


async def test_an_amendment_keeps_what_the_assessment_said_before(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    _, social = await screens(client, pid)
    food = next(n for n in await needs(client, pid) if n["domain"] == "food-insecurity")
    first = created(await create(client, pid, response_ids=[social["id"]]))
    clock.advance(days=2)
    response = await amend(
        client, first, priorities="Seeing my grandchildren every week.", need_ids=[food["id"]]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["version"], body["priorities"]) == (
        "amended",
        2,
        "Seeing my grandchildren every week.",
    )
    assert body["assessed_on"] == first["assessed_on"]
    assert body["need_ids"] == [food["id"]]
    [revision] = body["revisions"]
    assert (revision["version"], revision["change"], revision["reason"]) == (
        1,
        "amended",
        "She added what matters most",
    )
    assert revision["snapshot"]["priorities"] == ASSESSMENT["priorities"]
    assert revision["snapshot"]["need_ids"] == []
    assert revision["changed_by"] == care_manager.full_name
    assert next(n for n in await needs(client, pid) if n["id"] == food["id"])["status"] == (
        "confirmed"
    )


@pytest.mark.parametrize(
    ("change", "status", "field"), REFUSED_CORRECTIONS, ids=REFUSED_CORRECTION_IDS
)
async def test_a_refused_amendment_changes_nothing(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    client = await client_for(care_manager)
    first = created(await create(client, chart.patient.id))
    record = await factory.patient_record(chart.patient)
    response = await amend(client, first, narrative="Something else entirely.", **change)
    assert response.status_code == status, response.text
    assert field in named_fields(response)
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_an_assessment_entered_in_error_stays_listed_and_can_no_longer_change(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    pid = chart.patient.id
    first = created(await create(client, pid))
    url = patient_url(pid, f"/comprehensive-assessments/{first['id']}/entered-in-error")
    before = await factory.last_audit_id()
    response = await client.post(url, json={"version": 1, "reason": "Written on the wrong chart"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["version"]) == ("entered-in-error", 2)
    assert [(r["change"], r["reason"]) for r in body["revisions"]] == [
        ("entered-in-error", "Written on the wrong chart")
    ]
    [event] = [e for e in await factory.audit_events(after=before) if e.action == "U"]
    assert (event.record_type, event.record_id) == ("ComprehensiveAssessment", first["id"])
    listed = await get_json(client, patient_url(pid, "/comprehensive-assessments"))
    assert [(a["id"], a["status"]) for a in listed] == [(first["id"], "entered-in-error")]
    record = await factory.patient_record(pid)
    again = await client.post(url, json={"version": 2, "reason": "Twice"})
    assert (again.status_code, detail(again)["field"]) == (422, "status")
    amended = await amend(client, body)
    assert (amended.status_code, detail(amended)["field"]) == (422, "status")
    assert len(await stored(factory, ComprehensiveAssessment, pid)) == 1
    assert_unchanged(record, await factory.patient_record(pid))

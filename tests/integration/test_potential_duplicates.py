"""The potential-duplicates queue: a match with a patient the user may not see is accepted
without a word and waits for the privacy officer, who links, dismisses or merges it later.
Administrators work the same queue with record ids and matched fields only."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.factories import Browser, Factory, PatientWithTeam
from tests.snapshots import PatientRecord, assert_unchanged

from tandem.people.models import PatientIdentifier, PotentialDuplicate, User
from tandem.web.pages import day

QUEUE = "/api/v1/potential-duplicates"
NEW_PATIENT = {
    "given_name": "José",
    "family_name": "Núñez",
    "gender": "male",
    "preferred_language": "English",
    "contact_preference": "phone",
}
RESOLVE = {"outcome": "linked", "note": "Same address and phone on both registrations"}


def detail(response: httpx.Response) -> dict[str, Any]:
    body = response.json()["detail"]
    assert isinstance(body, dict), body
    return body


async def questions(factory: Factory) -> list[PotentialDuplicate]:
    async with factory.system_session() as session:
        stmt = select(PotentialDuplicate).order_by(PotentialDuplicate.raised_at)
        return list((await session.execute(stmt)).scalars())


async def records_of(factory: Factory, question: PotentialDuplicate) -> list[PatientRecord]:
    """Both patients' whole records: a decision on the question concerns them both."""
    return [
        await factory.patient_record(patient)
        for patient in (question.patient_id, question.other_patient_id)
    ]


def assert_both_unchanged(before: list[PatientRecord], after: list[PatientRecord]) -> None:
    for was, now in zip(before, after, strict=True):
        assert_unchanged(was, now)


async def post(browser: Browser, url: str, **fields: Any) -> httpx.Response:
    data = {k: str(v) for k, v in fields.items()}
    return await browser.client.post(url, data={"csrf_token": browser.csrf, **data})


def shape(body: dict[str, Any], *, leave_out: tuple[str, ...]) -> dict[str, Any]:
    """A registration's answer without what names the patient: the rest must be alike."""
    return {k: v for k, v in body.items() if k not in leave_out}


@pytest.fixture
async def hidden(factory: Factory) -> PatientWithTeam:
    """A patient on another team: the clinicians in these tests may not see them."""
    return await factory.patient(
        given_name="José", family_name="Núñez", birth_date=date(1980, 5, 17), mrn="T0000004242"
    )


@pytest.fixture
async def question(
    factory: Factory, outsider: User, client_for: Any, hidden: PatientWithTeam
) -> PotentialDuplicate:
    """The question ``outsider`` raised, unknowingly, by registering ``hidden`` again."""
    client = await client_for(outsider)
    body = {**NEW_PATIENT, "birth_date": hidden.patient.birth_date.isoformat()}
    assert (await client.post("/api/v1/patients", json=body)).status_code == 201
    [raised] = await questions(factory)
    return raised


# -- registering ------------------------------------------------------------------------------


async def test_registering_a_match_of_a_hidden_patient_answers_as_a_registration_without_one(
    factory: Factory,
    outsider: User,
    client_for: Any,
    hidden: PatientWithTeam,
) -> None:
    client = await client_for(outsider)
    matching = await client.post(
        "/api/v1/patients", json={**NEW_PATIENT, "birth_date": "1980-05-17"}
    )
    unmatched = await client.post(
        "/api/v1/patients", json={**NEW_PATIENT, "birth_date": "1980-05-18"}
    )
    assert matching.status_code == unmatched.status_code == 201, matching.text
    assert list(matching.json()) == list(unmatched.json())
    identity = ("id", "mrn", "birth_date")
    assert shape(matching.json(), leave_out=identity) == shape(unmatched.json(), leave_out=identity)
    assert matching.headers.keys() == unmatched.headers.keys()
    assert hidden.patient.mrn not in matching.text and str(hidden.patient.id) not in matching.text

    [question] = await questions(factory)
    assert question.patient_id == uuid.UUID(matching.json()["id"])
    assert question.other_patient_id == hidden.patient.id
    assert question.matched == ["given_name", "family_name", "birth_date"]
    assert (question.status, question.raised_by) == ("open", outsider.id)


async def test_the_registration_form_answers_a_hidden_match_as_it_answers_no_match(
    factory: Factory, outsider: User, browser_for: Any, hidden: PatientWithTeam
) -> None:
    browser = await browser_for(outsider)

    async def register(birth_date: date) -> tuple[httpx.Response, str]:
        answer = await post(browser, "/patients/new", birth_date=birth_date, **NEW_PATIENT)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        patient_id = location.split("/")[2].split("?")[0]
        chart = await browser.client.get(location)
        assert chart.status_code == 200
        mrn = re.search(r"T\d{10}", chart.text)
        assert mrn
        # What differs by nature between two registrations: the id, the MRN, the birth date.
        text = chart.text.replace(patient_id, "<id>").replace(mrn.group(0), "<mrn>")
        text = text.replace(day(birth_date), "<born>").replace(birth_date.isoformat(), "<born>")
        return answer, text

    matching, matching_page = await register(date(1980, 5, 17))
    unmatched, unmatched_page = await register(date(1980, 5, 18))
    assert matching.headers["location"].split("?")[1] == unmatched.headers["location"].split("?")[1]
    assert matching_page == unmatched_page
    assert hidden.patient.mrn not in matching_page
    assert len(await questions(factory)) == 1


async def test_registering_the_same_pair_again_opens_no_second_question(
    factory: Factory,
    outsider: User,
    client_for: Any,
    hidden: PatientWithTeam,
    question: PotentialDuplicate,
) -> None:
    held = await factory.identifier(hidden.patient, system="medicaid", value="MCD-77")
    # The same two records meet again through the Medicaid id: still one question.
    client = await client_for(outsider)
    again = await client.post(
        f"/api/v1/patients/{question.patient_id}/identifiers",
        json={"system": "medicaid", "value": held.value},
    )
    assert again.status_code == 201, again.text
    assert [q.id for q in await questions(factory)] == [question.id]
    stored = await factory.reload(PatientIdentifier, uuid.UUID(again.json()["id"]))
    assert (stored.patient_id, stored.status) == (question.patient_id, "active")


# -- identifiers ------------------------------------------------------------------------------


async def test_an_identifier_held_by_a_hidden_patient_is_recorded_and_queued_silently(
    factory: Factory,
    outsider: User,
    client_for: Any,
    hidden: PatientWithTeam,
) -> None:
    held = await factory.identifier(hidden.patient, system="medicaid", value="MCD-4410-1")
    mine = await factory.patient(lead=outsider)
    client = await client_for(outsider)
    url = f"/api/v1/patients/{mine.patient.id}/identifiers"
    matching = await client.post(url, json={"system": "medicaid", "value": held.value})
    unmatched = await client.post(url, json={"system": "medicaid", "value": "MCD-4410-2"})
    assert matching.status_code == unmatched.status_code == 201, matching.text
    identity = ("id", "value")
    assert shape(matching.json(), leave_out=identity) == shape(unmatched.json(), leave_out=identity)
    assert hidden.patient.mrn not in matching.text

    [question] = await questions(factory)
    assert (question.patient_id, question.other_patient_id) == (mine.patient.id, hidden.patient.id)
    assert question.matched == ["medicaid"]


async def test_an_identifier_held_by_another_of_my_patients_is_refused_naming_their_mrn(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    other = await factory.patient(lead=care_manager)
    held = await factory.identifier(other.patient, system="medicaid", value="MCD-9")
    client = await client_for(care_manager)
    records = [await factory.patient_record(p) for p in (chart.patient, other.patient)]
    refused = await client.post(
        f"/api/v1/patients/{chart.patient.id}/identifiers",
        json={"system": "medicaid", "value": held.value},
    )
    assert refused.status_code == 409
    assert detail(refused)["field"] == "value"
    assert other.patient.mrn in detail(refused)["message"]
    assert await questions(factory) == []
    for record, patient in zip(records, (chart.patient, other.patient), strict=True):
        assert_unchanged(record, await factory.patient_record(patient))


async def test_the_same_identifier_twice_on_one_patient_is_a_conflict(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}/identifiers"
    body = {"system": "medicaid", "value": "MCD-12"}
    assert (await client.post(url, json=body)).status_code == 201
    record = await factory.patient_record(chart.patient)
    again = await client.post(url, json=body)
    assert again.status_code == 409
    assert detail(again)["field"] == "value"
    assert await questions(factory) == []
    assert_unchanged(record, await factory.patient_record(chart.patient))


# -- who sees what ----------------------------------------------------------------------------


async def test_the_privacy_officer_sees_who_the_two_patients_are(
    factory: Factory,
    outsider: User,
    client_for: Any,
    browser_for: Any,
    hidden: PatientWithTeam,
    question: PotentialDuplicate,
) -> None:
    officer = await factory.user(role="privacy_officer")
    client = await client_for(officer)
    [listed] = (await client.get(QUEUE)).json()
    assert listed["id"] == str(question.id)
    assert listed["raised_by"] == outsider.username
    assert listed["matched"] == ["given_name", "family_name", "birth_date"]
    assert listed["other"] == {
        "id": str(hidden.patient.id),
        "mrn": hidden.patient.mrn,
        "display_name": "Núñez, José",
        "birth_date": "1980-05-17",
        "status": "active",
    }
    assert listed["patient"]["id"] == str(question.patient_id)
    one = await client.get(f"{QUEUE}/{question.id}")
    assert one.status_code == 200 and one.json() == listed

    browser = await browser_for(officer)
    for url in ("/admin/duplicates", f"/admin/duplicates/{question.id}"):
        shown = await browser.client.get(url)
        assert shown.status_code == 200
        assert hidden.patient.mrn in shown.text and "Núñez, José" in shown.text
        assert "Given name, Family name, Date of birth" in shown.text
        assert outsider.username in shown.text


async def test_an_administrator_sees_only_record_ids_and_what_matched(
    factory: Factory,
    outsider: User,
    admin: User,
    client_for: Any,
    browser_for: Any,
    hidden: PatientWithTeam,
    question: PotentialDuplicate,
) -> None:
    client = await client_for(admin)
    listed = await client.get(QUEUE)
    one = await client.get(f"{QUEUE}/{question.id}")
    assert listed.status_code == one.status_code == 200
    assert listed.json() == [one.json()]
    assert one.json()["patient"] is None and one.json()["other"] is None
    assert one.json()["other_patient_id"] == str(hidden.patient.id)
    assert one.json()["matched"] == ["given_name", "family_name", "birth_date"]

    browser = await browser_for(admin)
    pages = [
        await browser.client.get("/admin/duplicates"),
        await browser.client.get(f"/admin/duplicates/{question.id}"),
    ]
    for answer in (listed, one, *pages):
        assert answer.status_code == 200
        assert hidden.patient.mrn not in answer.text
        assert "Núñez" not in answer.text and "José" not in answer.text
        assert "1980" not in answer.text
    for shown in pages:
        assert str(hidden.patient.id) in shown.text
        assert "Given name, Family name, Date of birth" in shown.text


async def test_a_care_manager_is_refused_the_queue(
    factory: Factory,
    outsider: User,
    care_manager: User,
    client_for: Any,
    browser_for: Any,
    hidden: PatientWithTeam,
    question: PotentialDuplicate,
) -> None:
    client = await client_for(care_manager)
    browser = await browser_for(care_manager)
    records = await records_of(factory, question)
    answers = [
        await client.get(QUEUE),
        await client.get(f"{QUEUE}/{question.id}"),
        await client.post(f"{QUEUE}/{question.id}/resolve", json={**RESOLVE, "version": 1}),
        await browser.client.get("/admin/duplicates"),
        await browser.client.get(f"/admin/duplicates/{question.id}"),
        await post(browser, f"/admin/duplicates/{question.id}", version=1, **RESOLVE),
    ]
    assert [a.status_code for a in answers] == [403] * 6
    for answer in answers:
        assert hidden.patient.mrn not in answer.text
    assert (await factory.reload(PotentialDuplicate, question.id)).status == "open"
    assert_both_unchanged(records, await records_of(factory, question))


async def test_the_queue_filters_by_status(
    factory: Factory, outsider: User, admin: User, client_for: Any, question: PotentialDuplicate
) -> None:
    client = await client_for(admin)
    decided = await client.post(f"{QUEUE}/{question.id}/resolve", json={**RESOLVE, "version": 1})
    assert decided.status_code == 200, decided.text

    async def ids(status: str | None) -> list[str]:
        answer = await client.get(QUEUE, params={"status": status} if status else {})
        assert answer.status_code == 200
        return [q["id"] for q in answer.json()]

    assert await ids(None) == await ids("open") == []
    assert await ids("linked") == await ids("all") == [str(question.id)]
    assert await ids("dismissed") == await ids("merge_later") == []
    assert (await client.get(QUEUE, params={"status": "closed"})).status_code == 422


# -- deciding ---------------------------------------------------------------------------------


async def test_resolving_records_the_decision_and_is_audited(
    factory: Factory, outsider: User, client_for: Any, question: PotentialDuplicate
) -> None:
    officer = await factory.user(role="privacy_officer")
    client = await client_for(officer)
    before = await factory.last_audit_id()
    decided = await client.post(
        f"{QUEUE}/{question.id}/resolve", json={**RESOLVE, "outcome": "merge_later", "version": 1}
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["note"], body["resolved_by"]) == (
        "merge_later",
        RESOLVE["note"],
        officer.username,
    )
    assert body["resolved_at"] is not None and body["version"] == 2
    stored = await factory.reload(PotentialDuplicate, question.id)
    assert (stored.status, stored.resolved_by, stored.resolved_at) == (
        "merge_later",
        officer.id,
        factory.clock.now(),
    )
    # One event on each of the two patients' records: the decision concerns them both.
    events = [e for e in await factory.audit_events(after=before) if e.action == "U"]
    assert {(e.record_type, e.record_id, e.patient_id) for e in events} == {
        ("PotentialDuplicate", str(question.id), question.patient_id),
        ("PotentialDuplicate", str(question.id), question.other_patient_id),
    }
    for event in events:
        assert (event.username, event.outcome) == (officer.username, 0)
        assert "merge_later" in (event.detail or "")
    assert (await client.get(QUEUE)).json() == []


async def test_a_decided_question_or_a_stale_version_is_refused(
    factory: Factory, outsider: User, client_for: Any, question: PotentialDuplicate
) -> None:
    client = await client_for(await factory.user(role="privacy_officer"))
    url = f"{QUEUE}/{question.id}/resolve"
    assert (await client.post(url, json={**RESOLVE, "version": 1})).status_code == 200
    records = await records_of(factory, question)
    stale = await client.post(url, json={**RESOLVE, "outcome": "dismissed", "version": 1})
    again = await client.post(url, json={**RESOLVE, "outcome": "dismissed", "version": 2})
    assert (stale.status_code, detail(stale)["field"]) == (409, "version")
    assert (again.status_code, detail(again)["field"]) == (409, "outcome")
    assert (await factory.reload(PotentialDuplicate, question.id)).status == "linked"
    assert_both_unchanged(records, await records_of(factory, question))


async def test_an_unknown_question_is_not_found(admin: User, client_for: Any) -> None:
    client = await client_for(admin)
    unknown = uuid.uuid4()
    assert (await client.get(f"{QUEUE}/{unknown}")).status_code == 404
    resolve = await client.post(f"{QUEUE}/{unknown}/resolve", json={**RESOLVE, "version": 1})
    assert resolve.status_code == 404


async def test_the_decision_form_records_a_decision_and_names_what_is_missing(
    factory: Factory,
    outsider: User,
    client_for: Any,
    browser_for: Any,
    question: PotentialDuplicate,
) -> None:
    browser = await browser_for(await factory.user(role="privacy_officer"))
    url = f"/admin/duplicates/{question.id}"
    form = await browser.client.get(url)
    assert 'type="radio"' in form.text and 'name="version" value="1"' in form.text
    for outcome in ("linked", "dismissed", "merge_later"):
        assert f'value="{outcome}"' in form.text

    records = await records_of(factory, question)
    missing = await post(browser, url, version=1, note="")
    assert missing.status_code == 422
    assert 'href="#outcome"' in missing.text and 'href="#note"' in missing.text
    assert "Choose whether the two records are the same person." in missing.text
    # A form from another version: refused, and shown again on the version there is now.
    stale = await post(browser, url, version=7, outcome="dismissed", note="Different mothers")
    assert stale.status_code == 409 and "Changed by someone else" in stale.text
    assert 'name="version" value="1"' in stale.text and "Different mothers" in stale.text
    assert_both_unchanged(records, await records_of(factory, question))
    decided = await post(browser, url, version=1, outcome="dismissed", note="Different mothers")
    assert decided.status_code == 303
    assert decided.headers["location"] == "/admin/duplicates?flash=duplicate-decided"
    queue = await browser.client.get(decided.headers["location"])
    assert "Decision recorded" in queue.text and "Nothing waiting for a decision" in queue.text
    stored = await factory.reload(PotentialDuplicate, question.id)
    assert (stored.status, stored.note) == ("dismissed", "Different mothers")


async def test_a_stale_decision_form_answers_409_with_the_question_as_it_is_now(
    factory: Factory,
    outsider: User,
    client_for: Any,
    browser_for: Any,
    question: PotentialDuplicate,
) -> None:
    first = await client_for(await factory.user(role="privacy_officer"))
    decided = await first.post(f"{QUEUE}/{question.id}/resolve", json={**RESOLVE, "version": 1})
    assert decided.status_code == 200
    browser = await browser_for(await factory.user(role="privacy_officer"))
    records = await records_of(factory, question)
    late = await post(
        browser, f"/admin/duplicates/{question.id}", version=1, outcome="dismissed", note="Not so"
    )
    assert late.status_code == 409
    assert "Changed by someone else" in late.text
    assert RESOLVE["note"] in late.text  # the decision already made, shown afresh
    assert 'name="outcome"' not in late.text  # and nothing left to decide
    assert (await factory.reload(PotentialDuplicate, question.id)).status == "linked"
    assert_both_unchanged(records, await records_of(factory, question))


async def test_the_patients_access_log_says_nothing_of_the_question_to_the_team(
    factory: Factory, outsider: User, client_for: Any, question: PotentialDuplicate
) -> None:
    officer = await client_for(await factory.user(role="privacy_officer"))
    url = f"{QUEUE}/{question.id}/resolve"
    assert (await officer.post(url, json={**RESOLVE, "version": 1})).status_code == 200
    # The registering care manager is the new patient's lead and reads its access log.
    lead = await client_for(outsider)
    log = await lead.get(f"/api/v1/patients/{question.patient_id}/access-log")
    assert log.status_code == 200
    assert {e["record_type"] for e in log.json()["items"]} & {"PotentialDuplicate"} == set()

"""Every date a person enters is held to the bounds of tandem.dates: not before 1900, not before
the patient's birth, not in the future. Refused with 422 naming the field, on the JSON API and on
the forms (the message beside the field); accepted on the boundary days themselves."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from tests.conftest import FROZEN_AT
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.test_bad_input import VALID_PATIENT, named_fields
from tests.snapshots import assert_unchanged

from tandem.dates import EARLIEST
from tandem.people.models import User

BORN = date(1980, 5, 17)  # the chart fixture's patient
TODAY = FROZEN_AT.date()
DAY = timedelta(days=1)


@dataclass
class Scene:
    factory: Factory
    chart: PatientWithTeam
    client: httpx.AsyncClient
    outsider: httpx.AsyncClient

    @property
    def url(self) -> str:
        return f"/api/v1/patients/{self.chart.patient.id}"


Send = Callable[[str], Awaitable[httpx.Response]]
# Makes what the request needs (a period to end, a response to amend), then gives the request
# that sends a day: a refusal is compared with the record as it was after the set-up.
Submit = Callable[[Scene], Awaitable[Send]]


async def register(s: Scene) -> Send:
    async def send(day: str) -> httpx.Response:
        body = {**VALID_PATIENT, "birth_date": day, "confirm_not_duplicate": True}
        return await s.client.post("/api/v1/patients", json=body)

    return send


async def edit_birth_date(s: Scene) -> Send:
    async def send(day: str) -> httpx.Response:
        return await s.client.patch(s.url, json={"version": 1, "birth_date": day})

    return send


async def break_the_glass(s: Scene) -> Send:
    async def send(day: str) -> httpx.Response:
        body = {"mrn": s.chart.patient.mrn, "birth_date": day, "reason": "Brought in unresponsive"}
        return await s.outsider.post("/api/v1/break-glass", json=body)

    return send


async def enrol(s: Scene) -> Send:
    async def send(day: str) -> httpx.Response:
        body = {"programme": "Perinatal mental health", "start_date": day}
        return await s.client.post(s.url + "/enrolments", json=body)

    return send


async def add_member(s: Scene) -> Send:
    therapist = await s.factory.user(role="therapist")

    async def send(day: str) -> httpx.Response:
        body = {"role": "therapist", "user_id": str(therapist.id), "start_date": day}
        return await s.client.post(s.url + "/care-team", json=body)

    return send


async def answer(s: Scene) -> Send:
    async def send(day: str) -> httpx.Response:
        body = {"instrument": "phq-9", "answers": phq9_answers(9), "answered_on": day}
        return await s.client.post(s.url + "/responses", json=body)

    return send


async def amend_answer(s: Scene) -> Send:
    response = await s.factory.response(s.chart.patient, s.chart.lead)

    async def send(day: str) -> httpx.Response:
        body = {
            "version": 1,
            "answers": phq9_answers(8),
            "reason": "Item 1 misread",
            "answered_on": day,
        }
        return await s.client.post(f"{s.url}/responses/{response.id}/amend", json=body)

    return send


async def assess(s: Scene) -> Send:
    async def send(day: str) -> httpx.Response:
        body = {"narrative": "Low mood.", "priorities": "Work.", "assessed_on": day}
        return await s.client.post(s.url + "/comprehensive-assessments", json=body)

    return send


# The periods below were stored starting on 1 January 1900, before this patient's birth (as an
# import could leave them), so that an end date meets the birth bound and not only the start.


async def discharge(s: Scene) -> Send:
    enrolment = await s.factory.enrolment(s.chart.patient, start_date=EARLIEST)

    async def send(day: str) -> httpx.Response:
        body = {"version": 1, "phase": "discharged", "end_date": day}
        return await s.client.patch(f"{s.url}/enrolments/{enrolment.id}", json=body)

    return send


async def end_member(s: Scene) -> Send:
    therapist = await s.factory.user(role="therapist")
    member = await s.factory.member(
        s.chart.patient, therapist, role="therapist", start_date=EARLIEST
    )

    async def send(day: str) -> httpx.Response:
        body = {"version": 1, "reason": "Moved away", "end_date": day}
        return await s.client.post(f"{s.url}/care-team/{member.id}/end", json=body)

    return send


async def end_relative(s: Scene) -> Send:
    person = await s.factory.related_person(s.chart.patient, start_date=EARLIEST)

    async def send(day: str) -> httpx.Response:
        body = {"version": 1, "reason": "Moved away", "end_date": day}
        return await s.client.post(f"{s.url}/related-persons/{person.id}/end", json=body)

    return send


# (what is dated, how it is submitted, the field, whether the patient's birth bounds it)
FIELDS: list[tuple[str, Submit, str, bool]] = [
    ("patient-birth-date", register, "birth_date", False),
    ("edited-birth-date", edit_birth_date, "birth_date", False),
    ("break-glass-birth-date", break_the_glass, "birth_date", False),
    ("enrolment-start", enrol, "start_date", True),
    ("enrolment-end", discharge, "end_date", True),
    ("membership-start", add_member, "start_date", True),
    ("membership-end", end_member, "end_date", True),
    ("relationship-end", end_relative, "end_date", True),
    ("date-answered", answer, "answered_on", True),
    ("amended-date-answered", amend_answer, "answered_on", True),
    ("assessment-date", assess, "assessed_on", True),
]


def refused_cases() -> list[Any]:
    """Each field with each day it must refuse, and the words the refusal uses."""
    return [
        pytest.param(submit, field, day, words, id=f"{name}-{label}")
        for name, submit, field, birth in FIELDS
        for label, day, words in [
            ("before-1900", EARLIEST - DAY, "cannot be before 1900"),
            ("before-birth", BORN - DAY, "before the patient's date of birth"),
            ("tomorrow", TODAY + DAY, "cannot be in the future"),
        ]
        if birth or label != "before-birth"
    ]


def accepted_cases() -> list[Any]:
    """Each field with its first and its last acceptable day."""
    return [
        pytest.param(submit, day, id=f"{name}-{label}")
        for name, submit, _, birth in FIELDS
        for label, day in [
            ("birth" if birth else "1900", BORN if birth else EARLIEST),
            ("today", TODAY),
        ]
    ]


@pytest.fixture
async def scene(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    outsider: User,
    client_for: Any,
) -> Scene:
    return Scene(factory, chart, await client_for(care_manager), await client_for(outsider))


@pytest.mark.parametrize(("submit", "field", "day", "words"), refused_cases())
async def test_a_date_out_of_bounds_is_422_naming_the_field(
    scene: Scene, submit: Submit, field: str, day: date, words: str
) -> None:
    send = await submit(scene)
    # Every patient's data: a refused registration would have made a new patient.
    data = await scene.factory.all_patient_data()
    response = await send(day.isoformat())
    assert response.status_code == 422, response.text
    assert field in named_fields(response), response.text
    assert words in response.text
    assert_unchanged(data, await scene.factory.all_patient_data())


@pytest.mark.parametrize(("submit", "day"), accepted_cases())
async def test_the_boundary_days_themselves_are_accepted(
    scene: Scene, submit: Submit, day: date
) -> None:
    response = await (await submit(scene))(day.isoformat())
    # Emergency access looks the patient up by MRN and date of birth: a boundary date that is not
    # theirs is a lookup that ran and found no one, not a refused date.
    expected = {404} if submit is break_the_glass else {200, 201}
    assert response.status_code in expected, response.text


async def test_an_enrolment_starting_in_year_1_is_refused_and_not_stored(
    factory: Factory, scene: Scene
) -> None:
    record = await factory.patient_record(scene.chart.patient)
    response = await (await enrol(scene))("0001-01-01")
    assert response.status_code == 422, response.text
    assert named_fields(response) >= {"start_date"}
    assert "cannot be before 1900" in response.text
    assert (await scene.client.get(scene.url + "/enrolments")).json() == []
    assert_unchanged(record, await factory.patient_record(scene.chart.patient))


# -- the forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fields", "field_id", "message"),
    [
        (
            "/enrolments",
            {"programme": "Perinatal mental health", "phase": "active", "start_date": "0001-01-01"},
            "enrol-start_date",
            "The date cannot be before 1900; check the year.",
        ),
        (
            "/enrolments",
            {"programme": "Perinatal mental health", "phase": "active", "start_date": "1980-05-16"},
            "enrol-start_date",
            "Start date is before the patient&#39;s date of birth.",
        ),
        (
            "/care-team",
            {"role": "therapist", "user_id": "{therapist}", "start_date": "2026-03-11"},
            "add-start_date",
            "Start date cannot be in the future.",
        ),
        (
            "/assessments",
            {"narrative": "Low mood.", "priorities": "Work.", "assessed_on": "1899-12-31"},
            "new-assessed_on",
            "The date cannot be before 1900; check the year.",
        ),
        (
            "/responses",
            {"instrument": "phq-9", "answered_on": "1979-01-01"}
            | {f"answers.{k}": v for k, v in phq9_answers(9).items()},
            "answered_on",
            "The date answered is before the patient&#39;s date of birth.",
        ),
    ],
    ids=[
        "enrolment-in-year-1",
        "enrolment-before-birth",
        "membership-tomorrow",
        "assessment-before-1900",
        "answered-before-birth",
    ],
)
async def test_a_refused_date_on_a_form_is_shown_next_to_the_field(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    browser_for: Any,
    path: str,
    fields: dict[str, str],
    field_id: str,
    message: str,
) -> None:
    browser = await browser_for(care_manager)
    therapist = await factory.user(role="therapist")
    data = {k: v.format(therapist=therapist.id) for k, v in fields.items()}
    url = f"/patients/{chart.patient.id}{path}"
    record = await factory.patient_record(chart.patient)
    response = await browser.client.post(url, data={"csrf_token": browser.csrf, **data})
    assert response.status_code == 422, response.text
    assert f'<p class="error" id="{field_id}-error">{message}</p>' in response.text, re.findall(
        r'<p class="error".*?</p>', response.text
    )
    assert_unchanged(record, await factory.patient_record(chart.patient))


async def test_a_birth_date_in_the_future_is_shown_next_to_the_field(
    factory: Factory, chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    fields = {**VALID_PATIENT, "birth_date": "2026-03-11", "csrf_token": browser.csrf}
    data = await factory.all_patient_data()
    response = await browser.client.post("/patients/new", data=fields)
    assert response.status_code == 422, response.text
    expected = '<p class="error" id="birth_date-error">Date of birth cannot be in the future.</p>'
    assert expected in response.text
    assert_unchanged(data, await factory.all_patient_data())

"""Limits every request meets before a route sees it: no control characters in the address, no
query parameter over 500 characters (422 naming it), no NUL in a JSON string (422 naming the
field), and no body over TANDEM_MAX_BODY_BYTES (413, declared or streamed)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.integration.test_bad_input import VALID_PATIENT, named_fields
from tests.snapshots import assert_unchanged

from tandem.people.models import User
from tandem.web.limits import MAX_PARAMETER_LENGTH

LIMIT = 1_048_576  # the default of TANDEM_MAX_BODY_BYTES, which the tests leave as it is
LONG = "x" * (MAX_PARAMETER_LENGTH + 1)


# -- the address -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/patients", {"q": "Ana\x00Núñez"}, "q"),
        ("/api/v1/staff", {"q": "\x00"}, "q"),
        ("/api/v1/patients/{patient}/responses", {"instrument": "phq\x009"}, "instrument"),
        ("/api/v1/patients", {"q": "Ana\x1bNúñez"}, "q"),
        ("/api/v1/patients", {"q": "Ana\x7f"}, "q"),
        ("/api/v1/patients", {"q\x00": "Ana"}, "q\\x00"),
        ("/api/v1/patients", {"q": LONG}, "q"),
        ("/api/v1/me", {"anything": LONG}, "anything"),
        ("/api/v1/me", {LONG: "1"}, "x" * 40 + "…"),
        ("/api/v1/patients/{patient}", {"page": "1", "flash": "\x00"}, "flash"),
    ],
    ids=[
        "nul-in-a-search",
        "only-nul",
        "nul-in-an-instrument-code",
        "escape-character",
        "delete-character",
        "nul-in-a-parameter-name",
        "over-long-search",
        "over-long-unknown-parameter",
        "over-long-parameter-name",
        "second-parameter",
    ],
)
async def test_a_bad_query_parameter_on_the_api_is_422_naming_it(
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    path: str,
    params: dict[str, str],
    field: str,
) -> None:
    client = await client_for(care_manager)
    response = await client.get(path.format(patient=chart.patient.id), params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert (detail["code"], detail["field"]) == ("invalid", field)
    assert field in detail["message"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/caseload", {"q": "Ana\x00"}),
        ("/caseload", {"q": LONG}),
        ("/patients/{patient}/responses/new", {"instrument": "phq\x009"}),
        ("/login", {"next": "/caseload\x00"}),
    ],
    ids=["nul-in-a-search", "over-long-search", "nul-in-an-instrument-code", "nul-signed-out"],
)
async def test_a_bad_query_parameter_on_a_page_is_the_422_error_page_naming_it(
    chart: PatientWithTeam,
    care_manager: User,
    browser_for: Any,
    path: str,
    params: dict[str, str],
) -> None:
    browser = await browser_for(care_manager)
    response = await browser.client.get(path.format(patient=chart.patient.id), params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("text/html")
    (name,) = params
    assert f"The parameter &#39;{name}&#39;" in response.text
    assert "Back to the start page" in response.text


@pytest.mark.parametrize(
    "path",
    ["/api/v1/patients/%00", "/patients/%00/measurements", "/static/%00", "/static/tandem%01.css"],
)
async def test_a_control_character_in_the_path_is_422(
    care_manager: User, client_for: Any, path: str
) -> None:
    client = await client_for(care_manager)
    response = await client.get(path)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "Núñez\t"},
        {"q": "Núñez\r\n"},
        {"q": "x" * MAX_PARAMETER_LENGTH},
        {"q": "", "page": "1"},
    ],
    ids=["tab", "line-break", "exactly-500-characters", "empty"],
)
async def test_query_parameters_within_the_limits_are_served(
    chart: PatientWithTeam, care_manager: User, browser_for: Any, params: dict[str, str]
) -> None:
    browser = await browser_for(care_manager)
    response = await browser.client.get("/caseload", params=params)
    assert response.status_code == 200, response.text


# -- NUL in a JSON body ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/patients", {**VALID_PATIENT, "given_name": "Ana\u0000"}, "given_name"),
        ("/api/v1/patients", {**VALID_PATIENT, "address": "\u0000"}, "address"),
        (
            "/api/v1/patients/{patient}/comprehensive-assessments",
            {"narrative": "Low\u0000mood.", "priorities": "Work."},
            "narrative",
        ),
        (
            "/api/v1/patients/{patient}/responses",
            {"instrument": "phq-9", "answers": {**phq9_answers(9), "1\u0000": "LA6568-5"}},
            "answers",
        ),
        (
            "/api/v1/patients/{patient}/needs",
            {"domain": "housing", "description": "Needs\u0000 a flat"},
            "description",
        ),
    ],
    ids=["name", "address-only-nul", "narrative", "answer-key", "need"],
)
async def test_a_nul_in_a_json_string_is_422_naming_the_field(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    # Every patient's data: a refused registration would have made a new patient.
    data = await factory.all_patient_data()
    response = await client.post(path.format(patient=chart.patient.id), json=body)
    assert response.status_code == 422, response.text
    assert field in named_fields(response), response.text
    assert "NUL" in response.text
    assert_unchanged(data, await factory.all_patient_data())


# -- the size of a body ------------------------------------------------------------------------


def padded_patient(size: int) -> bytes:
    """A valid registration exactly ``size`` bytes long (JSON allows trailing white space)."""
    body = json.dumps({**VALID_PATIENT, "confirm_not_duplicate": True}).encode()
    return body + b" " * (size - len(body))


async def chunks(body: bytes, size: int = 65_536) -> AsyncIterator[bytes]:
    """The body streamed without a Content-Length (Transfer-Encoding: chunked)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def caseload_total(client: httpx.AsyncClient) -> int:
    return int((await client.get("/api/v1/patients")).json()["total"])


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_a_json_body_one_byte_over_the_limit_is_413_and_nothing_is_stored(
    factory: Factory, care_manager: User, client_for: Any, streamed: bool
) -> None:
    client = await client_for(care_manager)
    body = padded_patient(LIMIT + 1)
    data = await factory.all_patient_data()
    response = await client.post(
        "/api/v1/patients",
        content=chunks(body) if streamed else body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert detail["code"] == "too_large"
    assert "1,048,576 bytes" in detail["message"]
    assert await caseload_total(client) == 0
    assert_unchanged(data, await factory.all_patient_data())


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_a_json_body_at_the_limit_is_processed(
    care_manager: User, client_for: Any, streamed: bool
) -> None:
    client = await client_for(care_manager)
    body = padded_patient(LIMIT)
    response = await client.post(
        "/api/v1/patients",
        content=chunks(body) if streamed else body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert await caseload_total(client) == 1


def registration_form(csrf: str, size: int) -> bytes:
    """The registration form, exactly ``size`` bytes, padded in a field the form ignores."""
    fields = {**VALID_PATIENT, "csrf_token": csrf, "confirm_not_duplicate": "on", "padding": ""}
    body = httpx.QueryParams(fields).__str__().encode()
    return body + b"x" * (size - len(body))


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_a_form_one_byte_over_the_limit_is_the_413_page_and_nothing_is_stored(
    factory: Factory, care_manager: User, browser_for: Any, client_for: Any, streamed: bool
) -> None:
    browser = await browser_for(care_manager)
    body = registration_form(browser.csrf, LIMIT + 1)
    data = await factory.all_patient_data()
    response = await browser.client.post(
        "/patients/new",
        content=chunks(body) if streamed else body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Too much to send" in response.text
    assert await caseload_total(await client_for(care_manager)) == 0
    assert_unchanged(data, await factory.all_patient_data())


async def test_a_form_at_the_limit_is_processed(
    care_manager: User, browser_for: Any, client_for: Any
) -> None:
    browser = await browser_for(care_manager)
    response = await browser.client.post(
        "/patients/new",
        content=registration_form(browser.csrf, LIMIT),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303, response.text
    assert await caseload_total(await client_for(care_manager)) == 1


@pytest.mark.parametrize("settings_overrides", [{"max_body_bytes": 20_000}])
async def test_the_limit_is_configuration(
    factory: Factory, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    data = await factory.all_patient_data()
    response = await client.post(
        "/api/v1/patients",
        content=padded_patient(20_001),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert "20,000 bytes" in response.text
    assert_unchanged(data, await factory.all_patient_data())

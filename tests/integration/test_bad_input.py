"""Bad input gets a clear 4xx naming the field — never a 500, never a change."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from tests.factories import Factory, PatientWithTeam
from tests.snapshots import assert_unchanged, rows_of

from tandem.people.models import User

VALID_PATIENT: dict[str, Any] = {
    "given_name": "Amara",
    "family_name": "Okafor",
    "birth_date": "1991-08-02",
    "gender": "female",
}
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def named_fields(response: httpx.Response) -> set[str]:
    """Field names a 4xx names: the last part of each validation location, or ``field``."""
    detail = response.json()["detail"]
    if isinstance(detail, list):
        return {str(error["loc"][-1]) for error in detail if len(error["loc"]) > 1} | {
            str(error["loc"][1]) for error in detail if len(error["loc"]) > 1
        }
    return {detail["field"]} if detail.get("field") else set()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"given_name": None}, "given_name"),
        ({"given_name": ""}, "given_name"),
        ({"given_name": "   "}, "given_name"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"gender": "robot"}, "gender"),
        ({"contact_preference": "carrier pigeon"}, "contact_preference"),
        ({"birth_date": "1899-12-31"}, "birth_date"),
        ({"birth_date": "2099-01-01"}, "birth_date"),
        ({"birth_date": "17/05/1980"}, "birth_date"),
        ({"birth_date": "1980-02-30"}, "birth_date"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"interpreter_needed": "perhaps"}, "interpreter_needed"),
        ({"managing_organization_id": "nope"}, "managing_organization_id"),
        ({"managing_organization_id": UNKNOWN}, "managing_organization_id"),
        ({"preferred_language": "x"}, "preferred_language"),
        ({"nickname": "Ams"}, "nickname"),
    ],
)
async def test_registering_a_patient_with_a_bad_field_is_422_naming_it(
    factory: Factory, care_manager: User, client_for: Any, change: dict[str, Any], field: str
) -> None:
    client = await client_for(care_manager)
    body = {**VALID_PATIENT, **change}
    body = {k: v for k, v in body.items() if not (k in change and v is None)}
    async with factory.unchanged():
        response = await client.post("/api/v1/patients", json=body)
        assert response.status_code == 422, response.text
    assert field in named_fields(response), response.text


@pytest.mark.parametrize("missing", ["given_name", "family_name", "birth_date", "gender"])
async def test_a_missing_required_field_is_named(
    factory: Factory, care_manager: User, client_for: Any, missing: str
) -> None:
    client = await client_for(care_manager)
    body = {k: v for k, v in VALID_PATIENT.items() if k != missing}
    async with factory.unchanged():
        response = await client.post("/api/v1/patients", json=body)
        assert response.status_code == 422
    assert missing in named_fields(response)


@pytest.mark.parametrize(
    "content",
    [b'{"given_name": "Amara",', b"not json at all", b"", b"[]", b'"a string"', b"null"],
    ids=["truncated", "text", "empty", "array", "string", "null"],
)
async def test_a_body_that_is_not_a_json_object_is_422(
    factory: Factory, care_manager: User, client_for: Any, content: bytes
) -> None:
    client = await client_for(care_manager)
    async with factory.unchanged():
        response = await client.post(
            "/api/v1/patients", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422


async def test_a_form_posted_to_the_json_api_is_422(
    factory: Factory, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    async with factory.unchanged():
        response = await client.post("/api/v1/patients", data=VALID_PATIENT)
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("", {"version": "first"}, "version"),
        ("", {"version": 0}, "version"),
        ("", {"version": 1, "gender": "robot"}, "gender"),
        ("", {"version": 1, "mrn": "T0000000001"}, "mrn"),
        ("", {"version": 1, "birth_date": "2099-01-01"}, "birth_date"),
        ("", {"given_name": "No version"}, "version"),
        ("/related-persons", {"name": "Ana", "relationship": "cousin"}, "relationship"),
        ("/related-persons", {"name": "Ana", "relationship": "parent", "email": "x"}, "email"),
        ("/related-persons", {"relationship": "parent"}, "name"),
        ("/identifiers", {"system": "passport", "value": "X1"}, "system"),
        ("/identifiers", {"system": "medicaid", "value": ""}, "value"),
        ("/care-team", {"role": "boss", "user_id": UNKNOWN}, "role"),
        ("/care-team", {"role": "therapist"}, "user_id"),
        ("/care-team/lead", {"user_id": UNKNOWN, "reason": "x"}, "reason"),
        ("/enrolments", {"programme": "Perinatal"}, "start_date"),
        ("/enrolments", {"programme": "AB", "start_date": "2020-01-01"}, "programme"),
        (
            "/enrolments",
            {"programme": "Perinatal", "start_date": "2020-01-01", "phase": "x"},
            "phase",
        ),
        ("/entered-in-error", {"version": 1}, "reason"),
        ("/entered-in-error", {"version": 1, "reason": "ok"}, "reason"),
    ],
)
async def test_changes_with_a_bad_field_are_422_naming_it(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    client = await client_for(care_manager)
    url = f"/api/v1/patients/{chart.patient.id}{path}"
    method = "PATCH" if path == "" else "POST"
    async with factory.unchanged(chart.patient):
        response = await client.request(method, url, json=body)
        assert response.status_code == 422, response.text
    assert field in named_fields(response), response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/patients/{unknown}", None),
        ("PATCH", "/api/v1/patients/{patient}/related-persons/{unknown}", {"version": 1}),
        (
            "POST",
            "/api/v1/patients/{patient}/related-persons/{unknown}/end",
            {"version": 1, "reason": "gone"},
        ),
        ("PATCH", "/api/v1/patients/{patient}/care-team/{unknown}", {"version": 1}),
        (
            "POST",
            "/api/v1/patients/{patient}/care-team/{unknown}/end",
            {"version": 1, "reason": "gone"},
        ),
        ("PATCH", "/api/v1/patients/{patient}/enrolments/{unknown}", {"version": 1}),
        (
            "POST",
            "/api/v1/patients/{patient}/enrolments/{unknown}/entered-in-error",
            {"version": 1, "reason": "gone"},
        ),
        (
            "POST",
            "/api/v1/patients/{patient}/identifiers/{unknown}/entered-in-error",
            {"version": 1, "reason": "gone"},
        ),
        ("PATCH", "/api/v1/organizations/{unknown}", {"name": "Somewhere"}),
        ("PATCH", "/api/v1/users/{unknown}", {"version": 1}),
        ("POST", "/api/v1/users/{unknown}/deactivate", None),
        ("POST", "/api/v1/break-glass/{unknown}/review", {"note": "looked"}),
    ],
)
async def test_unknown_ids_are_404(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    admin: User,
    client_for: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    as_admin = "/organizations" in path or "/users" in path or "/break-glass" in path
    client = await client_for(admin if as_admin else care_manager)
    url = path.format(patient=chart.patient.id, unknown=uuid.uuid4())
    async with factory.unchanged():
        response = await client.request(method, url, json=body)
        assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/patients/not-a-uuid", "patient_id"),
        ("/api/v1/patients?page=0", "page"),
        ("/api/v1/patients?page=many", "page"),
        ("/api/v1/patients?page_size=201", "page_size"),
        (f"/api/v1/patients?q={'x' * 101}", "q"),
        ("/api/v1/staff?role=wizard", "role"),
    ],
)
async def test_bad_paths_and_query_parameters_are_422_naming_them(
    care_manager: User, client_for: Any, url: str, field: str
) -> None:
    client = await client_for(care_manager)
    response = await client.get(url)
    assert response.status_code == 422
    assert field in named_fields(response)


NASTY_STRINGS = [
    "\x00",
    "Ana\x00Núñez",
    "\U0001f600" * 30,
    "'; DROP TABLE patient; --",
    "%_\\",
    "x" * 10_000,
    "\u202eevil",
]
NASTY_TARGETS = ["register", "edit", "relative", "identifier", "search"]


# Where each write keeps the text it was sent: (table, column).
NASTY_STORED = {
    "register": ("patient", "given_name"),
    "edit": ("patient", "address"),
    "relative": ("related_person", "name"),
    "identifier": ("patient_identifier", "value"),
}


def _nasty_request(target: str, patient_id: uuid.UUID, text: str) -> tuple[str, str, Any, Any]:
    url = f"/api/v1/patients/{patient_id}"
    return {
        "register": ("POST", "/api/v1/patients", {**VALID_PATIENT, "given_name": text}, None),
        "edit": ("PATCH", url, {"version": 1, "address": text}, None),
        "relative": (
            "POST",
            f"{url}/related-persons",
            {"name": text, "relationship": "other"},
            None,
        ),
        "identifier": ("POST", f"{url}/identifiers", {"system": "other", "value": text}, None),
        "search": ("GET", "/api/v1/patients", None, {"q": text[:100]}),
    }[target]


@pytest.mark.parametrize("target", NASTY_TARGETS)
@pytest.mark.parametrize("text", NASTY_STRINGS, ids=lambda t: repr(t[:12]))
async def test_nasty_text_never_causes_a_server_error(
    request: pytest.FixtureRequest,
    backend: Any,
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    client_for: Any,
    text: str,
    target: str,
) -> None:
    client = await client_for(care_manager)
    method, url, body, params = _nasty_request(target, chart.patient.id, text)
    before = await factory.all_patient_data()
    response = await client.request(method, url, json=body, params=params)
    assert response.status_code < 500, f"{method} {url}: {response.status_code}"
    after = await factory.all_patient_data()
    if response.status_code >= 400 or target == "search":
        assert_unchanged(before, after)
    else:
        # Accepted, it is kept exactly as sent: no truncation, no mangling.
        table, column = NASTY_STORED[target]
        assert text in {row[column] for row in rows_of(after, table)}

"""The route walker: every route that takes ``{patient_id}`` — JSON API and HTML pages alike —
answers 404 to someone outside the patient's care team, and every such GET works and is
audited for the lead care manager.

Routes are discovered from the application itself, so a route added later is covered without
editing this file. If a new route needs a particular body, add it to ``SAMPLE_BODIES``; if it
has a new kind of path parameter, tell ``KNOWN_IDS`` which record it names.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from tests.factories import SOCIAL_NEEDS_POSITIVE, Factory, PatientWithTeam, phq9_answers

from tandem.access.service import require_patient
from tandem.app import create_app
from tandem.config import Settings
from tandem.deps import SessionDep
from tandem.people.models import User
from tandem.people.service import audit_patient
from tandem.web.deps import PageCtx

API_PREFIX = "/api/v1"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Bodies for routes whose schema-generated sample is not good enough, keyed "METHOD /path".
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    # The comprehensive-assessment pages live at /assessments, the JSON API at
    # /comprehensive-assessments, so their forms cannot borrow the API's sample.
    "POST /patients/{patient_id}/assessments": {
        "narrative": "Sample narrative written by the route walker",
        "priorities": "What matters, in the patient's words",
    },
    "POST /patients/{patient_id}/assessments/{assessment_id}/amend": {
        "version": 1,
        "narrative": "Sample narrative written by the route walker",
        "priorities": "What matters, in the patient's words",
        "reason": "Corrected by the route walker",
    },
    "POST /patients/{patient_id}/assessments/{assessment_id}/entered-in-error": {
        "version": 1,
        "reason": "Entered in error by the route walker",
    },
}


@dataclass(frozen=True)
class PatientRoute:
    method: str
    path: str  # as the client calls it, e.g. /api/v1/patients/{patient_id}
    endpoint: Callable[..., Any]
    api: FastAPI | None  # the JSON sub-application, None for HTML pages

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.api is not None

    @property
    def local_path(self) -> str:
        return self.path.removeprefix(API_PREFIX) if self.is_api else self.path


def _flatten(routes: list[BaseRoute]) -> Iterator[tuple[BaseRoute, Any]]:
    """(route, context) pairs; newer FastAPI keeps included routers lazily behind contexts."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:
        for route in routes:
            yield route, route
        return
    for context in iterate(routes):
        yield context.original_route, context


def _walk(routes: list[BaseRoute], prefix: str, api: FastAPI | None) -> Iterator[PatientRoute]:
    for route, context in _flatten(routes):
        if isinstance(route, Mount):
            sub = route.app
            if isinstance(sub, FastAPI):
                yield from _walk(sub.routes, prefix + route.path, sub)
            elif route.routes:
                yield from _walk(route.routes, prefix + route.path, api)
            continue
        path, methods, endpoint = context.path, context.methods, context.endpoint
        if path and "{patient_id}" in path and methods and endpoint is not None:
            for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
                yield PatientRoute(method, prefix + path, endpoint, api)


def patient_routes(app: FastAPI) -> list[PatientRoute]:
    """Every (method, path) of ``app`` and its mounted applications that takes a patient."""
    return list(_walk(app.routes, "", None))


def _collection_app() -> FastAPI:
    # Only the route table is read: the engine is created lazily and never connects.
    url = f"sqlite+aiosqlite:///{Path(__file__).parent / 'never-opened.sqlite3'}"
    return create_app(Settings(environment="test", database_url=url), check_migrations=False)


ROUTES = patient_routes(_collection_app())
ROUTE_IDS = [r.key for r in ROUTES]
GET_ROUTES = [r for r in ROUTES if r.method == "GET"]


# -- sample values -------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def sample(schema: dict[str, Any], doc: dict[str, Any]) -> Any:
    """A small valid value for a JSON schema: required fields only, first enum member."""
    schema = _resolve(schema, doc)
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, doc).get("type") != "null"]
            return sample(options[0], doc) if options else None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(sample(part, doc))
        return merged
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: sample(props[name], doc) for name in schema.get("required", [])}
    if kind == "array":
        return [sample(schema.get("items", {}), doc) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return float(max(1, schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2020-01-15"
        if fmt == "date-time":
            return "2026-03-10T14:30:00Z"
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "email":
            return "someone@example.org"
        text = "Sample text written by the route walker"
        text = text.ljust(schema.get("minLength", 0), "x")
        return text[: schema.get("maxLength", len(text))]
    return None


def request_body(route: PatientRoute) -> dict[str, Any] | None:
    """The JSON body the route's OpenAPI operation asks for (HTML forms borrow it by path)."""
    if route.key in SAMPLE_BODIES:
        return SAMPLE_BODIES[route.key]
    api = route.api
    if api is None:
        # An HTML form posting to the same path as a JSON operation takes the same fields.
        for other in ROUTES:
            if other.is_api and other.method == route.method and other.local_path == route.path:
                return request_body(other)
        return None
    doc = api.openapi()
    operation = doc["paths"].get(route.local_path, {}).get(route.method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    body = sample(content["application/json"]["schema"], doc)
    return body if isinstance(body, dict) else None


def required_query(route: PatientRoute) -> dict[str, Any]:
    if route.api is None:
        return {}
    doc = route.api.openapi()
    operation = doc["paths"].get(route.local_path, {}).get(route.method.lower(), {})
    return {
        p["name"]: sample(p["schema"], doc)
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }


def _dummy_for(annotation: Any) -> str:
    """A well-formed value for a path parameter nobody told us about."""
    options = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = options[0]
    if kind is uuid.UUID:
        return str(uuid.uuid4())
    if kind is int:
        return "1"
    if kind is date:
        return "2020-01-15"
    if isinstance(kind, type) and issubclass(kind, Enum):
        return str(next(iter(kind)).value)
    return "sample"


def path_parameters(route: PatientRoute) -> dict[str, Any]:
    hints = typing.get_type_hints(route.endpoint)
    names = [
        segment[1:-1].split(":")[0]
        for segment in route.path.split("/")
        if segment.startswith("{") and segment.endswith("}")
    ]
    return {name: hints.get(name, str) for name in names}


# -- the scene -----------------------------------------------------------------------------


@dataclass
class Scene:
    chart: PatientWithTeam
    known_ids: dict[str, Any]


@pytest.fixture
async def scene(factory: Factory, care_manager: User) -> Scene:
    """A patient with something in every list: team members, a relative, an enrolment …"""
    chart = await factory.patient(lead=care_manager, given_name="Walter", family_name="Walker")
    pcp = await factory.user(role="primary_care_provider")
    member = await factory.member(chart.patient, pcp, role="primary_care_provider")
    person = await factory.related_person(chart.patient)
    enrolment = await factory.enrolment(chart.patient)
    identifier = await factory.identifier(chart.patient)
    phq9 = await factory.response(chart.patient, care_manager, answers=phq9_answers(12, item9=1))
    social = await factory.response(
        chart.patient, care_manager, instrument="social-needs", answers=SOCIAL_NEEDS_POSITIVE
    )
    assessment = await factory.assessment(chart.patient, care_manager, response_ids=[phq9.id])
    known_ids = {
        "patient_id": chart.patient.id,
        "member_id": member.id,
        "person_id": person.id,
        "related_person_id": person.id,
        "enrolment_id": enrolment.id,
        "identifier_id": identifier.id,
        "response_id": phq9.id,
        "alert_id": phq9.alerts_raised[0],
        "need_id": social.needs_identified[0],
        "assessment_id": assessment.id,
        "instrument_code": "phq-9",
    }
    return Scene(chart=chart, known_ids=known_ids)


def fill_path(route: PatientRoute, known: dict[str, Any], *, strict: bool) -> str:
    values: dict[str, str] = {}
    for name, annotation in path_parameters(route).items():
        if name in known:
            values[name] = str(known[name])
        elif strict:
            pytest.fail(
                f"{route.key}: the route walker does not know which record '{name}' names; "
                "add it to the scene's known_ids in tests/integration/test_route_walker.py"
            )
        else:
            values[name] = _dummy_for(annotation)
    return route.path.format(**values)


async def call(
    route: PatientRoute, client: httpx.AsyncClient, url: str, csrf: str | None
) -> httpx.Response:
    body = request_body(route) if route.method in UNSAFE else None
    params = required_query(route)
    if route.is_api:
        return await client.request(route.method, url, json=body, params=params)
    headers = {"X-CSRF-Token": csrf} if csrf and route.method in UNSAFE else {}
    if route.method in UNSAFE:
        form = {k: str(v) for k, v in (body or {}).items()}
        form["csrf_token"] = csrf or ""
        return await client.request(route.method, url, data=form, headers=headers)
    return await client.request(route.method, url, params=params, headers=headers)


# -- the checks, shared by the walker and its self-test -------------------------------------


async def check_outsider_gets_404(
    route: PatientRoute, scene: Scene, outsider: User, client_for: Any, browser_for: Any
) -> None:
    url = fill_path(route, scene.known_ids, strict=False)
    if route.is_api:
        response = await call(route, await client_for(outsider), url, None)
    else:
        signed_in = await browser_for(outsider)
        response = await call(route, signed_in.client, url, signed_in.csrf)
    assert response.status_code == 404, f"{route.key} answered {response.status_code}"
    patient = scene.chart.patient
    assert patient.mrn not in response.text
    assert patient.family_name not in response.text


async def check_lead_reads_with_audit(
    route: PatientRoute,
    scene: Scene,
    factory: Factory,
    client_for: Any,
    browser_for: Any,
) -> None:
    lead = scene.chart.lead
    url = fill_path(route, scene.known_ids, strict=True)
    if route.is_api:
        client, csrf = await client_for(lead), None
    else:
        signed_in = await browser_for(lead)
        client, csrf = signed_in.client, signed_in.csrf
        client.follow_redirects = True
    before = await factory.last_audit_id()
    response = await call(route, client, url, csrf)
    assert 200 <= response.status_code < 300, f"{route.key}: {response.status_code}"
    events = await factory.audit_events(patient_id=scene.chart.patient.id, after=before)
    assert events, f"{route.key} read patient data without an audit event"
    assert {e.username for e in events} == {lead.username}


# -- the tests -----------------------------------------------------------------------------


def test_the_walker_finds_the_patient_routes_of_the_json_api() -> None:
    keys = {r.key for r in ROUTES}
    assert {
        "GET /api/v1/patients/{patient_id}",
        "PATCH /api/v1/patients/{patient_id}",
        "GET /api/v1/patients/{patient_id}/care-team",
        "POST /api/v1/patients/{patient_id}/enrolments",
        "GET /api/v1/patients/{patient_id}/access-log",
    } <= keys
    assert len(GET_ROUTES) >= 6


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
async def test_someone_outside_the_care_team_gets_404(
    route: PatientRoute,
    scene: Scene,
    outsider: User,
    factory: Factory,
    client_for: Any,
    browser_for: Any,
) -> None:
    # The outsider is a real care manager with a caseload of their own.
    await factory.patient(lead=outsider)
    await check_outsider_gets_404(route, scene, outsider, client_for, browser_for)


@pytest.mark.parametrize("route", GET_ROUTES, ids=[r.key for r in GET_ROUTES])
async def test_the_lead_care_manager_can_read_and_the_read_is_audited(
    route: PatientRoute, scene: Scene, factory: Factory, client_for: Any, browser_for: Any
) -> None:
    await check_lead_reads_with_audit(route, scene, factory, client_for, browser_for)


# -- self-test: a page added later is found and walked like the rest ----------------------

probe = APIRouter(include_in_schema=False)


@probe.get("/patients/{patient_id}/walker-probe/{member_id}")
async def probe_page(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID, member_id: uuid.UUID
) -> HTMLResponse:
    access = await require_patient(session, ctx, patient_id)
    audit_patient(session, ctx, access, "WalkerProbe", member_id)
    return HTMLResponse(f"<h1>{access.patient.family_name}</h1>")


@probe.post("/patients/{patient_id}/walker-probe/{member_id}")
async def probe_form(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID, member_id: uuid.UUID
) -> HTMLResponse:
    await require_patient(session, ctx, patient_id)
    return HTMLResponse("saved")


async def test_an_html_page_added_later_is_found_and_walked(
    app: FastAPI, scene: Scene, outsider: User, factory: Factory, client_for: Any, browser_for: Any
) -> None:
    app.include_router(probe)
    found = [r for r in patient_routes(app) if "walker-probe" in r.path]
    assert [(r.method, r.is_api) for r in found] == [("GET", False), ("POST", False)]
    for route in found:
        await check_outsider_gets_404(route, scene, outsider, client_for, browser_for)
    await check_lead_reads_with_audit(found[0], scene, factory, client_for, browser_for)


async def test_the_walker_fails_for_a_path_parameter_it_cannot_fill(scene: Scene) -> None:
    route = PatientRoute("GET", "/patients/{patient_id}/goals/{goal_id}", probe_page, None)
    with pytest.raises(pytest.fail.Exception, match="goal_id"):
        fill_path(route, scene.known_ids, strict=True)

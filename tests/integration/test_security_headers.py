"""Browser hardening: every response carries the security headers, no page runs inline script or
style or loads anything from another origin, and /api/v1/docs is Tandem's own copy of Swagger UI.

Pages and API routes are discovered from the application itself, as the route walker does, so a
page added later is checked without editing this file. If it has a new kind of path parameter,
tell the scene's ``known_ids`` which record it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount
from tests.factories import BASE_URL, SOCIAL_NEEDS_POSITIVE, Factory, api_client, phq9_answers
from tests.integration.walker_spec import ROUTES
from tests.page_checks import inline_code, outside_urls

from tandem.app import create_app
from tandem.config import Settings
from tandem.people.models import PotentialDuplicate, User
from tandem.web.api_docs import SWAGGER_UI_PATH

API_PREFIX = "/api/v1"
DOCS = f"{API_PREFIX}/docs"

# -- discovering the routes ----------------------------------------------------------------


def _get_paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    """The path of every GET route of the app and of the applications mounted in it."""
    for context in fastapi.routing.iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, Mount):
            if isinstance(route.app, FastAPI):
                yield from _get_paths(route.app.routes, prefix + route.path)
            continue  # /static: a directory of files, checked on its own below
        if context.methods and "GET" in context.methods:
            yield prefix + context.path


def _collection_app() -> FastAPI:
    # Only the route table is read: the engine is created lazily and never connects.
    url = f"sqlite+aiosqlite:///{Path(__file__).parent / 'never-opened.sqlite3'}"
    return create_app(Settings(environment="test", database_url=url), check_migrations=False)


GET_PATHS = sorted(set(_get_paths(_collection_app().routes)))
# The docs page lives in the API application but is a page for people.
PAGE_PATHS = [p for p in GET_PATHS if not p.startswith(API_PREFIX) or p == DOCS]
API_PATHS = [p for p in GET_PATHS if p.startswith(API_PREFIX) and p != DOCS]


# -- what every response must carry --------------------------------------------------------


def policy(response: httpx.Response) -> dict[str, str]:
    header = response.headers.get("content-security-policy", "")
    pairs = (part.strip().partition(" ") for part in header.split(";") if part.strip())
    return {name: sources for name, _, sources in pairs}


def header_problems(response: httpx.Response, *, cacheable: bool = False) -> list[str]:
    """What is missing from a response's security headers (empty when nothing is)."""
    headers, csp = response.headers, policy(response)
    expected = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    problems = [
        f"CSP {directive} is {csp.get(directive)!r}, not {sources!r}"
        for directive, sources in expected.items()
        if csp.get(directive) != sources
    ]
    header = headers.get("content-security-policy", "")
    loose = ("unsafe-inline", "unsafe-eval", "*")
    problems += [f"CSP allows {word}" for word in loose if word in header]
    for name, value in {
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
    }.items():
        if headers.get(name) != value:
            problems.append(f"{name} is {headers.get(name)!r}, not {value!r}")
    if not cacheable and headers.get("cache-control") != "no-store":
        problems.append(f"cache-control is {headers.get('cache-control')!r}, not 'no-store'")
    if "strict-transport-security" in headers:
        problems.append("strict-transport-security over plain http")
    where = f"{response.request.method} {response.request.url.path}"
    return [f"{where}: {problem}" for problem in problems]


# -- what no page may contain --------------------------------------------------------------


def page_problems(response: httpx.Response) -> list[str]:
    where = response.request.url.path
    html = response.text
    problems = [f"{where}: {what}" for what in inline_code(html)]
    problems += [f"{where}: links to {url}" for url in outside_urls(html)]
    return problems


# -- the scene: a patient with a record behind every kind of page ---------------------------


@dataclass
class Scene:
    known_ids: dict[str, Any]
    signed_in: list[Any]  # Browser per role: the lead care manager, an administrator, ...


@pytest.fixture
async def scene(
    factory: Factory, care_manager: User, outsider: User, client_for: Any, browser_for: Any
) -> Scene:
    organisation = await factory.organisation()
    chart = await factory.patient(lead=care_manager, given_name="Hedda", family_name="Headers")
    pcp = await factory.user(role="primary_care_provider", organization=organisation)
    member = await factory.member(chart.patient, pcp, role="primary_care_provider")
    person = await factory.related_person(chart.patient)
    enrolment = await factory.enrolment(chart.patient)
    identifier = await factory.identifier(chart.patient)
    phq9 = await factory.response(chart.patient, care_manager, answers=phq9_answers(14, item9=1))
    social = await factory.response(
        chart.patient, care_manager, instrument="social-needs", answers=SOCIAL_NEEDS_POSITIVE
    )
    assessment = await factory.assessment(chart.patient, care_manager, response_ids=[phq9.id])
    plan = await factory.care_plan(chart.patient, care_manager)
    await factory.safety_plan(chart.patient, care_manager)
    # Emergency access by a clinician outside the team gives the review pages a grant to show.
    granted = await (await client_for(outsider)).post(
        f"{API_PREFIX}/break-glass",
        json={
            "mrn": chart.patient.mrn,
            "birth_date": chart.patient.birth_date.isoformat(),
            "reason": "Seen in the emergency department",
        },
    )
    assert granted.status_code == 201, granted.text
    # The same person registered again outside the team opens a possible-duplicate question.
    elsewhere = await factory.user(role="care_manager")
    registered = await (await client_for(elsewhere)).post(
        f"{API_PREFIX}/patients",
        json={
            "given_name": "Hedda",
            "family_name": "Headers",
            "birth_date": chart.patient.birth_date.isoformat(),
            "gender": "female",
        },
    )
    assert registered.status_code == 201, registered.text
    async with factory.system_session() as session:
        question_id = await session.scalar(select(PotentialDuplicate.id))
    admin = await factory.user(role="administrator")
    officer = await factory.user(role="privacy_officer")
    known_ids = {
        "patient_id": chart.patient.id,
        "member_id": member.id,
        "person_id": person.id,
        "enrolment_id": enrolment.id,
        "identifier_id": identifier.id,
        "response_id": phq9.id,
        "alert_id": phq9.alerts_raised[0],
        "need_id": social.needs_identified[0],
        "assessment_id": assessment.id,
        "user_id": pcp.id,
        "org_id": organisation.id,
        "organization_id": organisation.id,
        "grant_id": granted.json()["id"],
        "question_id": question_id,
        "code": "phq-9",
        "instrument_code": "phq-9",
        "goal_id": plan.goals[0].id,
        "activity_id": plan.goals[0].activities[0].id,
        "version": 1,
        "first": 1,
        "second": plan.version,
    }
    signed_in = [await browser_for(user) for user in (care_manager, admin, officer)]
    return Scene(known_ids=known_ids, signed_in=signed_in)


def fill(path: str, known: dict[str, Any]) -> str:
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    unknown = [name for name in names if name not in known]
    if unknown:
        pytest.fail(f"{path}: add {unknown} to the scene's known_ids in {Path(__file__).name}")
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(known[m.group(1)]), path)


async def first_served(clients: list[httpx.AsyncClient], url: str) -> list[httpx.Response]:
    """Ask as each role in turn until one is let in: pages for administrators or privacy
    officers answer 403 to a care manager. Every answer on the way is returned."""
    answers = []
    for client in clients:
        response = await client.get(url)
        answers.append(response)
        if response.status_code not in (403, 404):
            break
    return answers


# -- the tests -----------------------------------------------------------------------------


def test_the_walk_finds_the_pages_the_api_and_the_docs() -> None:
    assert {"/login", "/caseload", "/patients/{patient_id}/measurements", DOCS} <= set(PAGE_PATHS)
    assert {f"{API_PREFIX}/patients/{{patient_id}}", f"{API_PREFIX}/openapi.json"} <= set(API_PATHS)
    # Every page declared by hand in walker_spec is walked, and nothing else but the API docs.
    declared = {
        path
        for method, _, path in (key.partition(" ") for key in ROUTES)
        if method == "GET" and not path.startswith(API_PREFIX)
    }
    assert set(PAGE_PATHS) == declared | {DOCS}


async def test_every_page_is_hardened_and_has_no_inline_code_or_outside_origin(
    scene: Scene,
) -> None:
    clients = [browser.client for browser in scene.signed_in]
    extra = ["/patients/{patient_id}/responses/new?instrument=phq-9"]  # the questionnaire form
    problems: list[str] = []
    served: dict[str, str] = {}
    for path in PAGE_PATHS + extra:
        answers = await first_served(clients, fill(path, scene.known_ids))
        for response in answers:
            problems += header_problems(response)
        last = answers[-1]
        served[path] = f"{last.status_code} {last.headers.get('content-type', '')}"
        if last.status_code == 200 and last.headers["content-type"].startswith("text/html"):
            problems += page_problems(last)
    assert problems == []
    # Every page was shown to someone, but "/" (everyone's start page is elsewhere) and the
    # sign-in page (signed in already; it is checked signed out below); the icon and the
    # operations endpoints and the care plan's PDF are no pages.
    others = {path: what for path, what in served.items() if not what.startswith("200 text/html")}
    assert others == {
        "/patients/{patient_id}/care-plan.pdf": "200 application/pdf",
        "/": "303 ",
        "/login": "303 ",
        "/favicon.ico": "200 image/svg+xml",
        "/healthz": "200 application/json",
        "/readyz": "200 application/json",
        "/metrics": "200 text/plain; version=1.0.0; charset=utf-8",
    }
    measurements = await clients[0].get(
        fill("/patients/{patient_id}/measurements", scene.known_ids)
    )
    assert "<svg" in measurements.text, "the Measurements page should carry the SVG chart"


# Answers of the API that are files rather than JSON.
API_FILES = {f"{API_PREFIX}/audit-events.csv": "text/csv"}


async def test_every_api_answer_is_hardened_and_never_stored(
    scene: Scene, care_manager: User, admin: User, factory: Factory, client_for: Any
) -> None:
    officer = await factory.user(role="privacy_officer")
    clients = [await client_for(user) for user in (care_manager, admin, officer)]
    problems: list[str] = []
    served: dict[str, int] = {}
    for path in API_PATHS:
        answers = await first_served(clients, fill(path, scene.known_ids))
        for response in answers:
            problems += header_problems(response)
            kind = API_FILES.get(path, "application/json") if response.is_success else None
            assert response.headers["content-type"].startswith(kind or "application/json"), path
        served[path] = answers[-1].status_code
    assert problems == []
    assert {path: status for path, status in served.items() if status != 200} == {}


async def test_sign_in_error_and_refusal_answers_are_hardened(app: FastAPI) -> None:
    async with api_client(app) as anonymous:
        answers = [
            await anonymous.get("/login"),
            await anonymous.get("/caseload"),  # to the sign-in page
            await anonymous.get("/no-such-page"),
            await anonymous.get(f"{API_PREFIX}/patients"),  # 401 without a token
            await anonymous.get(f"{API_PREFIX}/no-such-route"),
        ]
    assert [a.status_code for a in answers] == [200, 303, 404, 401, 404]
    assert [p for a in answers for p in header_problems(a)] == []
    assert page_problems(answers[0]) == []


broken = APIRouter(include_in_schema=False)


@broken.get("/broken-page")
async def broken_page() -> None:
    raise RuntimeError("a bug")


async def test_even_the_answer_to_a_bug_is_hardened(app: FastAPI) -> None:
    # Starlette answers an unhandled exception from outside every middleware.
    app.include_router(broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.get("/broken-page")
    assert response.status_code == 500
    assert header_problems(response) == []


async def test_error_pages_for_people_are_hardened(scene: Scene) -> None:
    client = scene.signed_in[0].client
    missing = await client.get("/patients/00000000-0000-4000-8000-000000000000")
    malformed = await client.get("/patients/not-an-id/measurements")
    for response in (missing, malformed):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert header_problems(response) == []
        assert page_problems(response) == []


async def test_static_files_are_hardened_but_may_be_cached(app: FastAPI) -> None:
    async with api_client(app) as anonymous:
        answers = [
            await anonymous.get("/static/tandem.css"),
            await anonymous.get("/static/tandem-questionnaire.js"),
            await anonymous.get("/static/vendor/htmx-2.0.11.min.js"),
            await anonymous.get(f"{SWAGGER_UI_PATH}/swagger-ui-bundle.js"),
            await anonymous.get("/static/favicon.svg"),
        ]
    assert {a.status_code for a in answers} == {200}
    assert [p for a in answers for p in header_problems(a, cacheable=True)] == []
    assert all("no-store" not in a.headers.get("cache-control", "") for a in answers)


@pytest.mark.parametrize("settings_overrides", [{"public_url": "https://tandem.example.org"}])
async def test_https_deployments_send_strict_transport_security(app: FastAPI) -> None:
    async with api_client(app, base_url="https://testserver") as client:
        answers = [await client.get("/login"), await client.get(f"{API_PREFIX}/patients")]
    assert [a.headers.get("strict-transport-security") for a in answers] == ["max-age=31536000"] * 2


async def test_plain_http_deployments_send_no_strict_transport_security(app: FastAPI) -> None:
    async with api_client(app) as client:
        assert "strict-transport-security" not in (await client.get("/login")).headers


# -- the API docs --------------------------------------------------------------------------

ASSET = re.compile(r"\s(?:src|href)=\"([^\"]+)\"")


async def test_the_api_docs_are_served_from_tandems_own_copy_of_swagger_ui(app: FastAPI) -> None:
    async with api_client(app) as anonymous:
        docs = await anonymous.get(DOCS)
        assert docs.status_code == 200
        assert docs.headers["content-type"].startswith("text/html")
        assets = [url for url in ASSET.findall(docs.text) if "/static/" in url]
        answers = {url: await anonymous.get(url) for url in assets}
    assert {urlsplit(url).path for url in assets} == {
        f"{SWAGGER_UI_PATH}/swagger-ui.css",
        f"{SWAGGER_UI_PATH}/swagger-ui-bundle.js",
        "/static/tandem-api-docs.js",
    }
    assert {url: a.status_code for url, a in answers.items()} == dict.fromkeys(assets, 200)
    types = {
        urlsplit(url).path.rsplit(".", 1)[1]: a.headers["content-type"]
        for url, a in answers.items()
    }
    assert types["css"].startswith("text/css") and types["js"].startswith("text/javascript")
    assert page_problems(docs) == []
    assert not re.search(r"https?://(?!testserver/)", docs.text)
    assert "persistAuthorization" not in docs.text
    init = next(a.text for url, a in answers.items() if url.endswith("tandem-api-docs.js"))
    assert "persistAuthorization: false" in init
    assert "persistAuthorization: true" not in init
    assert "validatorUrl: null" in init  # no outside badge service either


async def test_only_swagger_uis_two_files_are_served_from_its_package(app: FastAPI) -> None:
    async with api_client(app) as anonymous:
        others = [
            await anonymous.get(f"{SWAGGER_UI_PATH}/{name}")
            for name in ("redoc.standalone.js", "favicon.png", "../core.py", "")
        ]
    assert [a.status_code for a in others] == [404] * len(others)


async def test_the_api_docs_relax_only_images_for_swagger_uis_icons(app: FastAPI) -> None:
    async with api_client(app) as anonymous:
        docs, page = await anonymous.get(DOCS), await anonymous.get("/login")
    assert header_problems(docs) == []
    # Swagger UI's stylesheet draws its icons as data: images; nothing else differs.
    assert policy(docs) == {**policy(page), "img-src": "'self' data:"}
    assert policy(page)["img-src"] == "'self'"

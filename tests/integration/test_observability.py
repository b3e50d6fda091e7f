"""Operations: one structured log line per request, /healthz, /readyz and /metrics.

The log line names the request (its id, given or made), the signed-in user by id, the route
template — never the address, which names the patient's record, nor anything of the patient —,
the method, the status and the duration. Health and metrics need no sign-in and show nothing of
a patient; /metrics answers this machine only, or whoever has the configured token.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.factories import BASE_URL, Factory, PatientWithTeam

from tandem.app import create_app
from tandem.config import Settings
from tandem.observe.logs import JsonFormatter
from tandem.people.models import User
from tandem.runtime import Runtime

LOGGER = "tandem.request"


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The request log lines as the server writes them (JSON), parsed back."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == LOGGER]


async def _patient(factory: Factory, lead: User) -> PatientWithTeam:
    return await factory.patient(lead=lead, given_name="Rosalind", family_name="Quackenbush")


async def test_a_chart_request_logs_one_line_with_the_route_template_and_no_patient_detail(
    factory: Factory, care_manager: User, browser_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    chart = await _patient(factory, care_manager)
    browser = await browser_for(care_manager)
    caplog.set_level(logging.INFO, logger=LOGGER)
    caplog.clear()
    response = await browser.client.get(
        f"/patients/{chart.patient.id}", headers={"X-Request-ID": "lb-7f3a.42"}
    )
    assert response.status_code == 200
    assert "Quackenbush" in response.text  # the page shows the patient; the log line must not
    assert response.headers["x-request-id"] == "lb-7f3a.42"
    [line] = _lines(caplog)
    assert set(line) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "user_id",
        "method",
        "route",
        "status",
        "duration_ms",
    }
    assert line["request_id"] == "lb-7f3a.42"
    assert line["user_id"] == str(care_manager.id)
    assert line["route"] == "/patients/{patient_id}"
    assert (line["method"], line["status"], line["level"]) == ("GET", 200, "info")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    text = json.dumps(line)
    for detail in ("Rosalind", "Quackenbush", str(chart.patient.id), chart.patient.mrn):
        assert detail not in text


async def test_an_api_request_logs_the_template_under_the_mounted_api(
    factory: Factory, care_manager: User, client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    chart = await _patient(factory, care_manager)
    client = await client_for(care_manager)
    caplog.set_level(logging.INFO, logger=LOGGER)
    caplog.clear()
    response = await client.get(f"/api/v1/patients/{chart.patient.id}?q=Quackenbush")
    assert response.status_code == 200
    [line] = _lines(caplog)
    assert line["route"] == "/api/v1/patients/{patient_id}"
    assert line["user_id"] == str(care_manager.id)
    assert "Quackenbush" not in json.dumps(line)


async def test_a_request_without_a_usable_id_gets_one_made_and_a_signed_out_one_no_user(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        made = await c.get("/login")
        forged = await c.get("/login", headers={"X-Request-ID": 'x" injected="1'})
        unknown = await c.get("/patients/0192f0c4-1c5e-7000-8000-000000000000/no-such-page")
    assert unknown.status_code == 404
    ids = [made.headers["x-request-id"], forged.headers["x-request-id"]]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and ids[0] != ids[1]
    lines = _lines(caplog)
    assert [line["request_id"] for line in lines[:2]] == ids
    assert [line["user_id"] for line in lines] == [None, None, None]
    # An address no route matches is logged as such, not as itself.
    assert (lines[2]["route"], lines[2]["status"]) == ("<unmatched>", 404)
    assert "0192f0c4" not in json.dumps(lines[2])


async def test_healthz_answers_without_the_database(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        response = await c.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_is_ready_on_a_migrated_database_with_its_audit_keys(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        response = await c.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def _readyz_of(settings: Settings) -> httpx.Response:
    rt = Runtime.build(settings)
    app = create_app(settings, runtime=rt, check_migrations=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return await client.get("/readyz")
    finally:
        await rt.engine.dispose()


async def test_readyz_answers_503_with_the_reason_on_an_unmigrated_database(
    tmp_path: Path, settings_for: Any
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    response = await _readyz_of(settings_for(url, data_dir=tmp_path))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "migration none" in body["reason"] and "tandem db upgrade" in body["reason"]


async def test_readyz_answers_503_when_the_database_cannot_be_reached(
    tmp_path: Path, settings_for: Any
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'tandem.sqlite3'}"
    response = await _readyz_of(settings_for(url, data_dir=tmp_path))
    assert response.status_code == 503
    assert "cannot be reached" in response.json()["reason"]


async def test_readyz_answers_503_when_the_audit_key_cannot_be_loaded(
    settings: Settings, runtime: Runtime
) -> None:
    broken = settings.model_copy(update={"audit_key": "not base64!"})
    rt = Runtime(broken, runtime.engine, runtime.sessionmaker, runtime.clock)
    app = create_app(broken, runtime=rt, check_migrations=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    reason = response.json()["reason"]
    assert reason.startswith("the audit keys are not loaded")
    assert "not base64!" not in reason


def _client(app: FastAPI, host: str = "127.0.0.1", **headers: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers)


async def test_metrics_count_requests_by_route_template_and_show_the_pool_and_audit_events(
    app: FastAPI, factory: Factory, care_manager: User, client_for: Any
) -> None:
    chart = await _patient(factory, care_manager)
    client = await client_for(care_manager)
    for _ in range(3):
        assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 200
    async with _client(app) as local:
        response = await local.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    series = 'method="GET",route="/api/v1/patients/{patient_id}",status="200"'
    assert f"tandem_http_requests_total{{{series}}} 3.0" in lines
    assert f'tandem_http_request_duration_seconds_bucket{{le="+Inf",{series}}} 3.0' in lines
    text = response.text
    for name in (
        "tandem_db_pool_size ",
        "tandem_db_pool_in_use ",
        "tandem_audit_events_written_total ",
    ):
        assert name in text
    for detail in ("Rosalind", "Quackenbush", str(chart.patient.id)):
        assert detail not in text


async def test_audit_events_written_counts_what_requests_commit(
    app: FastAPI, factory: Factory, care_manager: User, client_for: Any
) -> None:
    chart = await _patient(factory, care_manager)
    client = await client_for(care_manager)

    async def written() -> float:
        async with _client(app) as local:
            text = (await local.get("/metrics")).text
        line = next(
            x for x in text.splitlines() if x.startswith("tandem_audit_events_written_total")
        )
        return float(line.split()[-1])

    before = await written()
    assert (await client.get(f"/api/v1/patients/{chart.patient.id}")).status_code == 200
    assert await written() == before + 1


@pytest.mark.parametrize(
    ("host", "headers"),
    [
        ("203.0.113.9", {}),
        # A proxy on this machine passes a remote client on: not this machine's request.
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}),
    ],
)
async def test_metrics_without_a_token_are_refused_to_anyone_but_this_machine(
    app: FastAPI, host: str, headers: dict[str, str]
) -> None:
    async with _client(app, host, **headers) as remote:
        response = await remote.get("/metrics")
    assert response.status_code == 403
    assert "TANDEM_METRICS_TOKEN" in response.json()["detail"]
    assert "tandem_http" not in response.text


@pytest.mark.parametrize("settings_overrides", [{"metrics_token": "s3cret-scrape-token"}])
async def test_with_a_token_metrics_answer_only_whoever_sends_it(app: FastAPI) -> None:
    async with _client(app) as local:
        assert (await local.get("/metrics")).status_code == 401
    async with _client(app, "203.0.113.9", Authorization="Bearer wrong") as wrong:
        refused = await wrong.get("/metrics")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    async with _client(app, "203.0.113.9", Authorization="Bearer s3cret-scrape-token") as ok:
        response = await ok.get("/metrics")
    assert response.status_code == 200 and "tandem_http_requests_total" in response.text

"""Schemathesis over the JSON API: generated requests, valid and not, never get a 5xx.

Schemathesis runs the application in its own event-loop thread, so it gets a committed SQLite
database of its own (it cannot join the per-test transaction), seeded with a care manager who
has patients. Path parameters named ``patient_id`` are pointed at those patients, so the fuzzer
reaches real charts rather than only 404s.

Cases come from schemathesis' Python API (``APIOperation.as_strategy``) driven by hypothesis,
one pytest test per operation: the pytest plugin's ``from_fixture(...).parametrize()`` breaks
on pytest 9 ("'Function' object has no attribute '_nodeid'"), and this way each operation
also proves it ran at least one case.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from tests.conftest import fuzz_seed, under_ci
from tests.factories import Factory
from tests.integration.walker_spec import ROUTES

from tandem.app import create_app
from tandem.clock import Clock
from tandem.config import Settings
from tandem.migrate import upgrade
from tandem.runtime import Runtime

# A small budget on a developer's machine, a larger one in CI; a new seed every run (printed in
# the report header, and TANDEM_FUZZ_SEED=N replays it).
MAX_EXAMPLES = 60 if under_ci() else 25


@dataclass
class FuzzTarget:
    schema: Any
    token: str
    patient_ids: list[uuid.UUID]
    # The privacy officer's, for the operations only that role may use (past the 403).
    officer_token: str

    def token_for(self, path: str) -> str:
        return self.officer_token if path.startswith(OFFICER_PATHS) else self.token


OFFICER_PATHS = ("/audit-events",)


async def _seed(settings: Settings) -> tuple[str, list[uuid.UUID], str]:
    runtime = Runtime.build(settings)
    try:
        factory = Factory(runtime.sessionmaker, Clock())
        org = await factory.organisation(name="Fuzz Clinic")
        lead = await factory.user(role="care_manager", username="fuzzer", organization=org)
        pcp = await factory.user(role="primary_care_provider", organization=org)
        ids = []
        for n in range(4):
            chart = await factory.patient(lead=lead, family_name=f"Fuzz{n}")
            await factory.member(chart.patient, pcp)
            await factory.related_person(chart.patient)
            await factory.enrolment(chart.patient)
            await factory.identifier(chart.patient, value=f"FUZZ-{n}")
            ids.append(chart.patient.id)
        await factory.patient(family_name="Hidden")  # someone else's patient
        officer = await factory.user(role="privacy_officer", username="fuzz.officer")
        return await factory.token(lead), ids, await factory.token(officer)
    finally:
        await runtime.engine.dispose()


def _off_loop(work: Callable[[], Any]) -> Any:
    # Migrations and seeding call asyncio.run; keep them off the test session's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@pytest.fixture(scope="session")
def fuzz_target(
    tmp_path_factory: pytest.TempPathFactory, settings_for: Callable[..., Settings]
) -> FuzzTarget:
    path: Path = tmp_path_factory.mktemp("fuzz") / "tandem.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    _off_loop(lambda: upgrade(url))
    settings = settings_for(url)
    token, ids, officer_token = _off_loop(lambda: asyncio.run(_seed(settings)))
    app = create_app(settings)  # checks the migrations at start-up, like production
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    return FuzzTarget(schema=schema, token=token, patient_ids=ids, officer_token=officer_token)


def _operation_labels() -> list[str]:
    """The API's operations, read from its OpenAPI document at collection time."""
    url = f"sqlite+aiosqlite:///{Path(__file__).parent / 'never-opened.sqlite3'}"
    app = create_app(Settings(environment="test", database_url=url), check_migrations=False)
    api = next(route.app for route in app.routes if getattr(route, "path", "") == "/api/v1")
    paths = api.openapi()["paths"]
    return [
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


OPERATIONS = _operation_labels()


def test_every_operation_of_the_api_is_fuzzed() -> None:
    # The routes declared by hand in walker_spec, not the schema the fuzzer reads them from.
    declared = {
        f"{method} {path.removeprefix('/api/v1')}"
        for method, _, path in (key.partition(" ") for key in ROUTES)
        if path.startswith("/api/v1/")
    }
    # The schema and its page are not operations of the API.
    assert set(OPERATIONS) == declared - {"GET /openapi.json", "GET /docs"}
    assert len(set(OPERATIONS)) == len(OPERATIONS)


def _cases(operation: Any, patient_ids: list[uuid.UUID]) -> st.SearchStrategy[Any]:
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(mode) for mode in modes]
    if "{patient_id}" in operation.path:
        # Mostly real patients, so the fuzzer reaches past the access check.
        strategies += [
            operation.as_strategy(mode, path_parameters={"patient_id": str(pid)})
            for mode in modes
            for pid in patient_ids
        ]
    return st.one_of(strategies)


@pytest.mark.slow
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_request_to_the_api_gets_a_server_error(label: str, fuzz_target: FuzzTarget) -> None:
    operation = fuzz_target.schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served OpenAPI document"
    calls = 0

    @given(case=_cases(operation, fuzz_target.patient_ids))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        # Each example is a whole HTTP request: slow next to Hypothesis's usual tests.
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @seed(fuzz_seed())
    def fuzz(case: Any) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(
            base_url="http://testserver/api/v1",
            headers={"Authorization": f"Bearer {fuzz_target.token_for(operation.path)}"},
            checks=[not_a_server_error],
        )

    fuzz()
    assert calls >= 1, f"schemathesis generated no case for {label}"

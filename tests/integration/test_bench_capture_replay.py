"""The benchmark's raw-SQL replay (``bench.capture``, ``bench.replay``): one real request's
statements are captured through the capture middleware, as the driver got them, and replayed
with the bare driver on the same database; the replay runs as many statements and commits,
its rows under fresh ids (so a write can be replayed again and again), its audit events
sealed into an unbroken chain. No timing here: that is ``python -m bench.run``'s.

On a committed database of the test's own: the per-test rolled-back transaction would turn
the request's COMMIT into savepoints, and the replay's own connection could not see its rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench import capture
from bench.capture import BEGIN, CAPTURE_HEADER, COMMIT, PING, Recording
from bench.replay import (
    PostgresReplay,
    SqliteReplay,
    fresh,
    pg_connections,
    sqlite_connection,
    sqlite_path,
)
from sqlalchemy import event
from tests.factories import BASE_URL, Factory, phq9_answers, seal_and_verify

from tandem.app import create_app
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.runtime import Runtime

HARNESS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.fixture
def listening() -> Iterator[None]:
    capture.install()
    try:
        yield
    finally:
        capture.uninstall()


@pytest.fixture
async def runtime(
    backend: Any, settings_for: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[Runtime]:
    built = Runtime.build(settings_for(backend.fresh_database()), clock=clock)
    try:
        yield built
    finally:
        await built.engine.dispose()


def client_of(app: capture.CaptureMiddleware, token: str | None = None) -> httpx.AsyncClient:
    """An in-process client of the capturing app, with a bearer token if given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers
    )


def recorded(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


async def replay(url: str, recording: Recording) -> int:
    """Replay the recording once, with fresh ids; how many statements it sent."""
    if recording.dialect == "sqlite":
        connection = sqlite_connection(sqlite_path(url))
        try:
            return SqliteReplay([connection]).run(fresh(recording))
        finally:
            connection.close()
    async with pg_connections(url, recording.connections) as connections:
        return await PostgresReplay(connections).run(fresh(recording))


async def test_a_captured_submission_replays_with_as_many_statements_and_commits(
    runtime: Runtime, listening: None, tmp_path: Path
) -> None:
    factory = Factory(runtime.sessionmaker, runtime.clock)
    lead = await factory.user(role="care_manager")
    chart = await factory.patient(lead=lead)
    app = capture.CaptureMiddleware(
        create_app(runtime.settings, runtime=runtime, check_migrations=False), tmp_path
    )
    body = {"instrument": "phq-9", "answers": phq9_answers(15, item9=1)}
    path = f"/api/v1/patients/{chart.patient.id}/responses"
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(HARNESS):
            seen.append(statement)

    async with client_of(app, await factory.token(lead)) as client:
        warm = await client.post(path, json=body)  # untouched by the capture: no header
        assert warm.status_code == 201, warm.text
        assert recorded(tmp_path) == []
        event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
        try:
            answer = await client.post(path, json=body, headers={CAPTURE_HEADER: "submission"})
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    assert answer.status_code == 201, answer.text
    recording = capture.load(tmp_path / "submission.pickle")
    assert recording.status == 201
    assert recording.dialect == runtime.engine.dialect.name
    assert recording.statements == len(seen) > 0
    assert [step.kind for step in recording.steps].count(COMMIT) == 1
    # No pre-ping before the request's statements (the pool refuses a closed connection at
    # check-out without a round trip); were one sent, it would be recorded and replayed too.
    assert PING not in [step.kind for step in recording.steps]
    if recording.dialect == "postgresql":  # SQLite's BEGIN IMMEDIATE is a statement of its own
        assert recording.steps[0].kind == BEGIN
    submitted = uuid.UUID(answer.json()["id"])
    assert submitted in recording.inserted_ids
    before = await factory.patient_record(chart.patient, trail=True)

    ran = await replay(runtime.settings.resolved_database_url, recording)
    again = await replay(runtime.settings.resolved_database_url, recording)

    assert ran == again == recording.statements
    after = await factory.patient_record(chart.patient, trail=True)
    responses = [dict(row)["id"] for row in after["assessment_response"]]
    new = set(responses) - {dict(row)["id"] for row in before["assessment_response"]}
    # The warm-up's, the captured one's and the two replays'.
    assert len(responses) == 4 and len(new) == 2 and submitted not in new
    observations = {dict(row)["response_id"] for row in after["observation"]}
    assert new <= observations
    # The replayed audit events name the replayed responses, not the captured one.
    created = [dict(row) for row in after["audit_event"] if dict(row)["action"] == "C"]
    named = {row["record_id"] for row in created if row["record_type"] == "QuestionnaireResponse"}
    assert {str(i) for i in new} | {str(submitted)} <= named
    report = await seal_and_verify(runtime)
    assert report.intact and report.unsealed == 0, (report.broken, report.problems)


async def test_requests_without_the_header_are_not_recorded(
    runtime: Runtime, listening: None, tmp_path: Path
) -> None:
    app = capture.CaptureMiddleware(
        create_app(runtime.settings, runtime=runtime, check_migrations=False), tmp_path
    )
    async with client_of(app) as client:
        assert (await client.get("/api/v1/patients")).status_code == 401
    assert recorded(tmp_path) == []

"""How many SQL statements the busiest requests run: the same number whatever the data (no
N+1), and no more than today's (a doubled read or check fails here, not as a slower figure).

Counted on the connection the request uses, from the first statement of the request to its
commit, leaving out transaction control (the test harness's savepoints, BEGIN). The numbers are
today's counts, asserted exactly: lower one when a change saves a statement; never raise one
without saying why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.factories import Factory, PatientWithTeam, phq9_answers

from tandem.people.models import User

# Transaction control: the test harness's savepoints, and BEGIN where the driver sends it.
HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block, harness savepoints left out."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(HARNESS):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def add_patients(factory: Factory, lead: User, count: int) -> None:
    """More patients on the care manager's caseload, each with an enrolment and two PHQ-9s."""
    for n in range(count):
        extra = await factory.patient(lead=lead, family_name=f"Extra{n}")
        await factory.enrolment(extra.patient)
        for total in (18, 12):
            await factory.response(extra.patient, lead, answers=phq9_answers(total))


async def add_history(factory: Factory, chart: PatientWithTeam, lead: User, count: int) -> None:
    """More PHQ-9s on the chart's patient, more goals and activities on their care plan, and
    more lines in every section of its safety plan."""
    for n in range(count):
        await factory.response(chart.patient, lead, answers=phq9_answers(20 - n))
        await factory.care_plan_goal(chart.patient, lead)
    await factory.safety_plan(chart.patient, lead, lines=count)


Request = Callable[[httpx.AsyncClient, PatientWithTeam], Awaitable[httpx.Response]]


def get(path: str) -> Request:
    async def send(client: httpx.AsyncClient, chart: PatientWithTeam) -> httpx.Response:
        return await client.get(path.format(patient=chart.patient.id))

    return send


async def submit_phq9(client: httpx.AsyncClient, chart: PatientWithTeam) -> httpx.Response:
    return await client.post(
        f"/api/v1/patients/{chart.patient.id}/responses",
        json={"instrument": "phq-9", "answers": phq9_answers(15, item9=1)},
    )


# (name, request, signed in through the browser?, its statements: the same on SQLite and
# PostgreSQL; each counts the sign-in lookup, the access decision, the reads and the audit insert)
SCENARIOS: list[tuple[str, Request, bool, int]] = [
    ("caseload, JSON", get("/api/v1/patients"), False, 4),
    ("caseload, HTML", get("/caseload"), True, 5),
    ("chart header, JSON", get("/api/v1/patients/{patient}"), False, 6),
    ("PHQ-9 trajectory, JSON", get("/api/v1/patients/{patient}/trajectories/phq-9"), False, 5),
    # No open safety alert: the banner does not ask when the last risk screen was (one more).
    ("Measurements page, HTML", get("/patients/{patient}/measurements"), True, 10),
    ("PHQ-9 submitted, JSON", submit_phq9, False, 9),
    # The plan, its goals, their needs, the activities with their owners' names (and whether
    # each owner is still on the team, joined), the agreements and the safety plan with its
    # lines: six reads. Then what its computed parts rest on, each from the domain that holds it:
    # the followed instruments' scores (achievement and "not improving"), where the current
    # enrolment began (the trajectory's baseline), the confirmed needs with when each was
    # confirmed (a check and a review reason) and the latest safety alert (a review reason):
    # four more.
    ("care plan, JSON", get("/api/v1/patients/{patient}/care-plan"), False, 13),
    # My caseload's plans, then their scores, needs, alerts and enrolments, one statement each
    # (none due here: one audit event; test_care_plan_review_api counts a list that has some).
    ("care plans due for review, JSON", get("/api/v1/care-plans/due-for-review"), False, 7),
    # The chart's frame (as on every chart page), the plan's six reads, the patient's needs
    # (the goals name the needs they address), and what the achievement, checks and review rest
    # on: the scores, the confirmed needs, the last safety alert (the enrolment is the header's).
    ("care plan page, HTML", get("/patients/{patient}/care-plan"), True, 18),
    # The frame, the plan's row, its versions, the two compared and the needs they name.
    ("care plan history, HTML", get("/patients/{patient}/care-plan/history"), True, 12),
    # The token, the activities across the caseload in one statement, the audit insert.
    ("my responsibilities, JSON", get("/api/v1/my/responsibilities"), False, 3),
    # A page: the session and the unread count; the plan's six reads (its safety plan, which
    # the patient's copy prints, among them) and the care team (the names and telephone
    # numbers to call).
    ("care plan printed, PDF", get("/patients/{patient}/care-plan.pdf"), True, 11),
    # And the plan's versions, and the facts its goals' achievement is worked out from (the
    # enrolment, the scores, the needs: careplans.service.progress.read_facts).
    ("care plan, team's copy", get("/patients/{patient}/care-plan/print/clinical"), True, 16),
    # The plan's version, and the safety plan with its lines and who reviewed and changed it.
    ("safety plan, JSON", get("/api/v1/patients/{patient}/care-plan/safety-plan"), False, 5),
    # The chart's frame as on every chart page, then the same two reads.
    ("safety plan page, HTML", get("/patients/{patient}/care-plan/safety-plan"), True, 10),
]


async def count_for(
    request: Request,
    browser: bool,
    *,
    chart: PatientWithTeam,
    care_manager: User,
    engine: AsyncEngine,
    client_for: Any,
    browser_for: Any,
) -> int:
    client = (await browser_for(care_manager)).client if browser else await client_for(care_manager)
    await request(client, chart)  # once to warm the caches (instruments, permission table)
    with statements(engine) as seen:
        answer = await request(client, chart)
    assert answer.status_code in (200, 201), answer.text
    return len(seen)


@pytest.mark.parametrize(
    ("name", "request_", "browser", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
async def test_a_request_runs_as_many_statements_whatever_the_data(
    name: str,
    request_: Request,
    browser: bool,
    expected: int,
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    engine: AsyncEngine,
    client_for: Any,
    browser_for: Any,
) -> None:
    await factory.enrolment(chart.patient)
    await factory.managed_by(chart.patient, await factory.organisation())
    await factory.response(chart.patient, care_manager, answers=phq9_answers(16))
    await factory.care_plan(chart.patient, care_manager)
    await factory.safety_plan(chart.patient, care_manager)
    kwargs = {
        "chart": chart,
        "care_manager": care_manager,
        "engine": engine,
        "client_for": client_for,
        "browser_for": browser_for,
    }
    small = await count_for(request_, browser, **kwargs)
    await add_patients(factory, care_manager, 4)
    await add_history(factory, chart, care_manager, 4)
    large = await count_for(request_, browser, **kwargs)
    assert large == small, f"{name}: {small} statements with little data, {large} with more"
    assert small == expected, (
        f"{name}: {small} statements where {expected} are expected; if a change saved one, lower "
        "the number in SCENARIOS; if it added one, say why"
    )


async def test_the_count_sees_each_statement_and_leaves_out_the_harness(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        with statements(engine) as seen:
            await connection.execute(text("SELECT 1"))
            nested = await connection.begin_nested()
            await connection.execute(text("SELECT 2"))
            await nested.rollback()
    assert [s.strip() for s in seen] == ["SELECT 1", "SELECT 2"]


async def test_an_open_alert_asks_the_banner_two_things_more(
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    engine: AsyncEngine,
    client_for: Any,
    browser_for: Any,
) -> None:
    """While a safety alert is open the banner asks when the last suicide-risk screen was and
    whether there is a safety plan to go through; without one it asks neither."""
    kwargs = {
        "chart": chart,
        "care_manager": care_manager,
        "engine": engine,
        "client_for": client_for,
        "browser_for": browser_for,
    }
    page = get("/patients/{patient}/measurements")
    quiet = await count_for(page, True, **kwargs)
    await factory.response(chart.patient, care_manager, answers=phq9_answers(12, item9=1))
    alerted = await count_for(page, True, **kwargs)
    await factory.safety_plan(chart.patient, care_manager)
    assert (alerted - quiet, await count_for(page, True, **kwargs) - quiet) == (2, 2)

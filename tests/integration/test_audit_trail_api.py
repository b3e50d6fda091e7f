"""The privacy officer searches the whole audit trail: by patient, user, period, outcome,
purpose and action, newest first or refused attempts first, a page at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.factories import Factory, PatientWithTeam
from tests.integration.audit_trail_support import add_events, event, events_by, hours_ago
from tests.integration.test_bad_input import named_fields

from tandem.people.models import User

URL = "/api/v1/audit-events"


@pytest.fixture
async def officer_client(privacy_officer: User, client_for: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await client_for(privacy_officer)
    return client


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


@contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def trail(factory: Factory, chart: PatientWithTeam, care_manager: User) -> dict[str, Any]:
    """Two patients' events over the last day: reads, an emergency access, refusals."""
    other = await factory.patient(given_name="Otto", family_name="Other")
    therapist = await factory.user(role="therapist", username="ther.theo")
    mine, theirs = chart.patient.id, other.patient.id
    made = await add_events(
        factory,
        event(hours_ago(factory, 10), by=care_manager, patient_id=mine),
        event(hours_ago(factory, 9), by=therapist, patient_id=theirs, action="U"),
        event(
            hours_ago(factory, 8),
            by=therapist,
            patient_id=mine,
            action="E",
            record_type="AccessRefused",
            outcome=4,
        ),
        event(hours_ago(factory, 7), by=therapist, patient_id=mine, purpose="BTG"),
        event(hours_ago(factory, 6), username="ghost", action="E", record_type="SignIn", outcome=4),
        event(hours_ago(factory, 5), by=care_manager, patient_id=theirs, action="C"),
    )
    return {"ids": made, "mine": chart.patient, "theirs": other.patient, "therapist": therapist}


async def test_the_search_answers_newest_first_with_who_what_and_whose(
    officer_client: httpx.AsyncClient, trail: dict[str, Any], care_manager: User
) -> None:
    page = await search(officer_client, user=care_manager.username)
    assert ids(page) == [trail["ids"][5], trail["ids"][0]]
    newest = page["items"][0]
    assert newest["username"] == care_manager.username
    assert newest["patient_id"] == str(trail["theirs"].id)
    assert newest["patient_mrn"] == trail["theirs"].mrn
    assert newest["action"] == "C"
    assert newest["outcome"] == 0
    assert newest["source_address"] == "10.0.0.7"
    assert page["next_cursor"] is None


async def test_the_search_finds_a_patients_events_by_mrn_or_by_id(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    made, mine = trail["ids"], trail["mine"]
    by_mrn = await search(officer_client, patient=mine.mrn.lower())
    by_id = await search(officer_client, patient=str(mine.id))
    assert ids(by_mrn) == [made[3], made[2], made[0]]
    # The first search is now on the patient's log too, newest of all.
    assert by_id["items"][0]["record_type"] == "AuditTrail"
    assert ids(by_id)[1:] == ids(by_mrn)


async def test_an_mrn_no_patient_has_is_422_naming_the_patient_filter(
    officer_client: httpx.AsyncClient,
) -> None:
    response = await officer_client.get(URL, params={"patient": "T0000000000"})
    assert response.status_code == 422
    assert response.json()["detail"]["field"] == "patient"


async def test_the_search_finds_one_users_events_whatever_the_case_typed(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    made = trail["ids"]
    assert ids(await search(officer_client, user="THER.Theo ")) == [made[3], made[2], made[1]]
    # A failed sign-in has no account behind it, only the name typed.
    assert ids(await search(officer_client, user="ghost")) == [made[4]]


async def test_the_period_is_the_clinics_days_both_ends_included(
    factory: Factory, officer_client: httpx.AsyncClient, care_manager: User
) -> None:
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    made = await add_events(
        factory,
        event(at("2026-03-01T23:59:59.999999"), by=care_manager),
        event(at("2026-03-02T00:00:00"), by=care_manager),
        event(at("2026-03-05T23:59:59.999999"), by=care_manager),
        event(at("2026-03-06T00:00:00"), by=care_manager),
    )
    within = await search(officer_client, **{"from": "2026-03-02", "to": "2026-03-05"})
    assert ids(within) == [made[2], made[1]]
    since = await search(officer_client, **{"from": "2026-03-06"}, user=care_manager.username)
    assert ids(since) == [made[3]]
    until = await search(officer_client, to="2026-03-01", user=care_manager.username)
    assert ids(until) == [made[0]]


async def test_the_search_by_outcome_finds_refused_attempts_or_successes(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    made = trail["ids"]
    assert ids(await search(officer_client, outcome="refused")) == [made[4], made[2]]
    successes = ids(await search(officer_client, outcome="success"))
    assert [made[5], made[3], made[1], made[0]] == [i for i in successes if i in made]


async def test_the_search_by_purpose_finds_emergency_access(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    assert ids(await search(officer_client, purpose="BTG")) == [trail["ids"][3]]


async def test_the_search_by_action_finds_creations(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    assert ids(await search(officer_client, action="C")) == [trail["ids"][5]]


async def test_the_filters_combine(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    found = await search(
        officer_client, patient=trail["mine"].mrn, user="ther.theo", outcome="success"
    )
    assert ids(found) == [trail["ids"][3]]


async def test_pages_follow_the_cursor_without_a_repeat_or_a_gap(
    factory: Factory, officer_client: httpx.AsyncClient, care_manager: User
) -> None:
    # Events recorded in the same instant are still ordered, by id.
    same = hours_ago(factory, 30)
    made = await add_events(
        factory,
        *(event(same, by=care_manager) for _ in range(3)),
        *(event(hours_ago(factory, 29 - n), by=care_manager) for n in range(4)),
    )
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"user": care_manager.username, "limit": 3}
        page = await search(officer_client, **params, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert pages == 3


async def test_refused_first_lists_the_refused_attempts_then_the_rest_across_pages(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    made = trail["ids"]
    expected = [made[4], made[2], made[5], made[3], made[1], made[0]]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"refused_first": "true", "limit": 2}
        page = await search(officer_client, **params, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i for i in seen if i in made] == expected
    # The page boundary fell exactly at the end of the refused attempts and nothing was lost.
    assert seen[:2] == expected[:2]


async def test_a_cursor_of_another_ordering_or_of_nothing_is_422_naming_it(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    page = await search(officer_client, refused_first="true", limit=1)
    other = await officer_client.get(URL, params={"cursor": page["next_cursor"]})
    forged = await officer_client.get(URL, params={"cursor": "not-a-cursor"})
    for response in (other, forged):
        assert response.status_code == 422
        assert named_fields(response) == {"cursor"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"outcome": "maybe"}, "outcome"),
        ({"purpose": "CURIOSITY"}, "purpose"),
        ({"action": "X"}, "action"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"refused_first": "perhaps"}, "refused_first"),
        ({"user": "x" * 81}, "user"),
        ({"patient": "  "}, "patient"),
        ({"patinet": "T0000000001"}, "patinet"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    officer_client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    for url in (URL, f"{URL}.csv"):
        response = await officer_client.get(url, params=params)
        assert response.status_code == 422, response.text
        assert field in named_fields(response), response.text


@pytest.mark.parametrize("role", ["care_manager", "administrator", "therapist"])
async def test_other_roles_are_refused_the_audit_trail_with_403_and_it_is_on_record(
    factory: Factory, client_for: Any, role: str
) -> None:
    user = await factory.user(role=role)
    client = await client_for(user)
    for url in (URL, f"{URL}/refused-summary", f"{URL}.csv"):
        mark = await factory.last_audit_id()
        response = await client.get(url)
        assert response.status_code == 403, url
        assert response.json()["detail"]["capability"] == "read_any_access_log"
        refused = await events_by(factory, user, after=mark)
        assert [(e.record_type, e.outcome) for e in refused] == [("AccessRefused", 4)]


async def test_searching_the_audit_trail_is_itself_audited(
    factory: Factory,
    privacy_officer: User,
    officer_client: httpx.AsyncClient,
    trail: dict[str, Any],
) -> None:
    mark = await factory.last_audit_id()
    await search(officer_client, patient=trail["mine"].mrn, outcome="refused")
    await search(officer_client, purpose="BTG")
    events = await events_by(factory, privacy_officer, after=mark)
    assert [(e.action, e.record_type, e.purpose, e.patient_id) for e in events] == [
        ("E", "AuditTrail", "HOPERAT", trail["mine"].id),
        ("E", "AuditTrail", "HOPERAT", None),
    ]
    assert '"outcome": "refused"' in (events[0].detail or "")
    assert '"purpose": "BTG"' in (events[1].detail or "")


async def test_a_search_request_takes_a_handful_of_statements_whatever_it_finds(
    factory: Factory,
    engine: AsyncEngine,
    officer_client: httpx.AsyncClient,
    trail: dict[str, Any],
    care_manager: User,
) -> None:
    await add_events(factory, *(event(hours_ago(factory, 2), by=care_manager) for _ in range(40)))
    await search(officer_client)  # the token's first use is written down once
    counts = []
    straddling = {"patient": trail["mine"].mrn, "refused_first": "true", "limit": 3}
    for params in ({}, {"patient": trail["mine"].mrn}, straddling):
        with statements_on(engine) as seen:
            page = await search(officer_client, **params)
        assert page["items"]
        counts.append(len(seen))
    # The token; the MRN when given; one query a page, two where refused-first straddles the
    # refused attempts and the rest; the search's own audit event; the savepoint the test's
    # transaction puts around the request (a transaction of its own in production). Never a
    # query per row.
    assert counts == [5, 6, 7], counts


async def test_an_unknown_patient_id_simply_finds_nothing(
    officer_client: httpx.AsyncClient, trail: dict[str, Any]
) -> None:
    assert ids(await search(officer_client, patient=str(uuid.uuid4()))) == []


@pytest.mark.parametrize(
    "params",
    [
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"from": "9999-12-31"},
        {"to": "0001-01-01"},
        {"limit": "200", "refused_first": "1"},
    ],
)
async def test_the_ends_of_the_calendar_are_periods_like_any_other(
    officer_client: httpx.AsyncClient, trail: dict[str, Any], params: dict[str, str]
) -> None:
    assert (await officer_client.get(URL, params=params)).status_code == 200
    period = {key: value for key, value in params.items() if key in {"from", "to"}}
    summary = await officer_client.get(f"{URL}/refused-summary", params=period)
    assert summary.status_code == 200

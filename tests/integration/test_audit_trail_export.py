"""The refused-attempts summary catches a user probing many records; the CSV export carries
every event a search matches, in batches, and no spreadsheet formula."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.factories import Factory, PatientWithTeam
from tests.integration.audit_trail_support import add_events, event, events_by, hours_ago

from tandem.people.models import User
from tandem.privacy import service

URL = "/api/v1/audit-events"


@pytest.fixture
async def officer_client(privacy_officer: User, client_for: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = await client_for(privacy_officer)
    return client


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports read two events a query, so that a few events make several batches."""
    monkeypatch.setattr(service, "EXPORT_BATCH", 2)


def refused(factory: Factory, hours: float, by: User, **values: Any) -> dict[str, Any]:
    return event(
        hours_ago(factory, hours),
        by=by,
        action="E",
        record_type="AccessRefused",
        outcome=4,
        **values,
    )


async def test_a_user_probing_many_records_tops_the_refused_attempts_summary(
    factory: Factory,
    officer_client: httpx.AsyncClient,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    prober = await factory.user(role="peer_specialist", full_name="Pat Prober")
    slip = await factory.user(role="therapist", full_name="Sally Slip")
    patient_id = chart.patient.id
    # Twelve guesses, one at a real patient; someone else was refused twice at the same one.
    guesses = [uuid.uuid4() for _ in range(11)]
    await add_events(
        factory,
        *(refused(factory, 20 - n, prober, record_id=g) for n, g in enumerate(guesses)),
        refused(factory, 3, prober, record_id=patient_id, patient_id=patient_id),
        refused(factory, 5, slip, record_id=patient_id, patient_id=patient_id),
        refused(factory, 4, slip, record_id=patient_id, patient_id=patient_id),
        event(hours_ago(factory, 2), by=care_manager, patient_id=patient_id),
        # Before the default 30 days: not counted.
        refused(factory, 24 * 40, slip, record_id=uuid.uuid4()),
    )
    response = await officer_client.get(f"{URL}/refused-summary")
    assert response.status_code == 200, response.text
    summary = response.json()
    users = [u for u in summary["users"] if u["username"] in {prober.username, slip.username}]
    assert [u["username"] for u in summary["users"]][:2] == [prober.username, slip.username]
    top, second = users
    assert (top["refused"], top["records"], top["patients"]) == (12, 12, 1)
    assert (second["refused"], second["records"], second["patients"]) == (2, 1, 1)
    assert top["full_name"] == "Pat Prober"
    assert top["role"] == "peer_specialist"
    assert top["first_at"] == hours_ago(factory, 20).isoformat().replace("+00:00", "Z")
    assert top["last_at"] == hours_ago(factory, 3).isoformat().replace("+00:00", "Z")
    assert summary["period_start"].startswith(
        (factory.clock.today() - timedelta(days=29)).isoformat()
    )
    assert summary["period_end"] is None
    # Over a period that reaches 40 days back, the old refusal counts too.
    since = (factory.clock.today() - timedelta(days=45)).isoformat()
    longer = (await officer_client.get(f"{URL}/refused-summary", params={"from": since})).json()
    assert next(u for u in longer["users"] if u["username"] == slip.username)["refused"] == 3


async def test_failed_sign_ins_are_summed_apart_from_the_accounts_refusals(
    factory: Factory, officer_client: httpx.AsyncClient, care_manager: User
) -> None:
    # Someone guessing the care manager's password is not the care manager.
    await add_events(
        factory,
        *(
            event(
                hours_ago(factory, n + 1),
                username=care_manager.username,
                action="E",
                record_type="SignIn",
                outcome=4,
            )
            for n in range(5)
        ),
    )
    summary = (await officer_client.get(f"{URL}/refused-summary")).json()
    mine = [u for u in summary["users"] if u["username"] == care_manager.username]
    assert [(u["role"], u["refused"], u["records"]) for u in mine] == [("anonymous", 5, 0)]


async def test_the_summary_is_itself_audited(
    factory: Factory, privacy_officer: User, officer_client: httpx.AsyncClient
) -> None:
    mark = await factory.last_audit_id()
    response = await officer_client.get(f"{URL}/refused-summary", params={"limit": 5})
    assert response.status_code == 200
    events = await events_by(factory, privacy_officer, after=mark)
    assert [(e.action, e.record_type, e.purpose) for e in events] == [
        ("E", "RefusedAttempts", "HOPERAT")
    ]


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_the_export_has_a_header_and_every_matching_event_read_in_batches(
    factory: Factory,
    officer_client: httpx.AsyncClient,
    chart: PatientWithTeam,
    care_manager: User,
    small_batches: None,
) -> None:
    made = await add_events(
        factory,
        *(
            event(hours_ago(factory, 10 - n), by=care_manager, patient_id=chart.patient.id)
            for n in range(5)
        ),
    )
    response = await officer_client.get(f"{URL}.csv", params={"user": care_manager.username})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="audit-trail-{factory.clock.today().isoformat()}.csv"'
    )
    header = response.text.splitlines()[0]
    assert header == (
        "id,recorded_at,user_id,username,role,action,patient_id,patient_mrn,record_type,"
        "record_id,outcome,purpose,source_address,detail"
    )
    rows = rows_of(response)
    assert [int(r["id"]) for r in rows] == list(reversed(made))
    assert rows[0]["patient_mrn"] == chart.patient.mrn
    assert rows[0]["recorded_at"] == hours_ago(factory, 6).isoformat()
    assert rows[0]["outcome"] == "0"


async def test_the_export_follows_the_search_refused_first_and_filters(
    factory: Factory,
    officer_client: httpx.AsyncClient,
    care_manager: User,
    small_batches: None,
) -> None:
    made = await add_events(
        factory,
        event(hours_ago(factory, 5), by=care_manager),
        refused(factory, 4, care_manager),
        event(hours_ago(factory, 3), by=care_manager, purpose="BTG"),
        refused(factory, 2, care_manager),
        event(hours_ago(factory, 1), by=care_manager),
    )
    params = {"user": care_manager.username, "refused_first": "on"}
    first = rows_of(await officer_client.get(f"{URL}.csv", params=params))
    assert [int(r["id"]) for r in first] == [made[3], made[1], made[4], made[2], made[0]]
    btg = rows_of(await officer_client.get(f"{URL}.csv", params={"purpose": "BTG"}))
    assert [int(r["id"]) for r in btg] == [made[2]]
    none = await officer_client.get(f"{URL}.csv", params={"user": "nobody.at.all"})
    assert none.text.count("\r\n") == 1  # the header alone


async def test_no_cell_of_the_export_is_a_spreadsheet_formula(
    factory: Factory, officer_client: httpx.AsyncClient
) -> None:
    # Usernames of failed sign-ins are whatever was typed into the form.
    typed = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"]
    await add_events(
        factory,
        *(
            event(
                hours_ago(factory, 1),
                username=name,
                role="anonymous",
                outcome=4,
                record_type="SignIn",
                detail='{"result": "=1+1, \\"quoted\\""}',
            )
            for name in typed
        ),
    )
    response = await officer_client.get(f"{URL}.csv", params={"outcome": "refused"})
    rows = rows_of(response)
    usernames = {r["username"] for r in rows}
    assert {"'" + name for name in typed} <= usernames
    assert not any(
        value.startswith(("=", "+", "-", "@", "\t")) for r in rows for value in r.values()
    )
    # Commas and quotes inside a value stay inside its cell.
    assert {r["detail"] for r in rows if r["username"] in {"'" + n for n in typed}} == {
        '{"result": "=1+1, \\"quoted\\""}'
    }


async def test_exporting_is_itself_audited_before_a_row_is_sent(
    factory: Factory,
    privacy_officer: User,
    officer_client: httpx.AsyncClient,
    chart: PatientWithTeam,
) -> None:
    mark = await factory.last_audit_id()
    response = await officer_client.get(
        f"{URL}.csv", params={"patient": chart.patient.mrn, "outcome": "refused"}
    )
    assert response.status_code == 200
    events = await events_by(factory, privacy_officer, after=mark)
    assert [(e.action, e.record_type, e.purpose, e.patient_id) for e in events] == [
        ("E", "AuditTrailExport", "HOPERAT", chart.patient.id)
    ]
    assert '"outcome": "refused"' in (events[0].detail or "")

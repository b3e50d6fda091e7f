"""Helpers shared by the assessment integration tests: API calls and read-backs of stored rows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from tests.factories import PHQ_CODES, Factory

from tandem.clock import FrozenClock

LOINC = "http://loinc.org"
PHQ9_TOTAL = "44261-6"
GAD7_TOTAL = "70274-6"
PHQ2_TOTAL = "55758-7"
AUDIT_C_TOTAL = "75626-2"
CSSRS_TRIAGE = "93373-9"
YES, NO = "LA33-6", "LA32-8"

# A social-needs screen that is negative in every domain.
SOCIAL_NEEDS_NEGATIVE: dict[str, Any] = {
    "living": "LA31993-1",
    "housing-problems": ["LA9-3"],
    "food-worry": "LA28398-8",
    "food-last": "LA28398-8",
    "transport": NO,
    "utilities": NO,
    "safety-hurt": "LA6270-8",
    "safety-insult": "LA6270-8",
    "safety-threaten": "LA6270-8",
    "safety-scream": "LA6270-8",
}


def patient_url(patient_id: Any, path: str = "") -> str:
    return f"/api/v1/patients/{patient_id}{path}"


def days_ago(clock: FrozenClock, days: int) -> date:
    return clock.today() - timedelta(days=days)


def phq9_items(*values: int) -> dict[str, str]:
    """PHQ-9 answers from nine item values, in item order."""
    assert len(values) == 9
    return {str(n): PHQ_CODES[v] for n, v in enumerate(values, start=1)}


def suicide_risk(**yes: bool | str) -> dict[str, str]:
    """C-SSRS triage answers: every question "no" unless named (q6 takes a behaviour code)."""
    answers = {f"q{n}": NO for n in range(1, 6)} | {"q6": NO}
    for name, value in yes.items():
        answers[name] = value if isinstance(value, str) else (YES if value else NO)
    return answers


async def administer(
    client: httpx.AsyncClient,
    patient_id: Any,
    answers: dict[str, Any],
    *,
    instrument: str = "phq-9",
    answered_on: date | None = None,
) -> dict[str, Any]:
    """POST a response and insist that it was recorded."""
    body: dict[str, Any] = {"instrument": instrument, "answers": answers}
    if answered_on is not None:
        body["answered_on"] = answered_on.isoformat()
    response = await client.post(patient_url(patient_id, "/responses"), json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# A correction without a proper reason, or based on a stale copy: (change, status, field).
REFUSED_CORRECTIONS: list[tuple[dict[str, Any], int, str]] = [
    ({"reason": None}, 422, "reason"),
    ({"reason": "no"}, 422, "reason"),
    ({"version": 9}, 409, "version"),
]
REFUSED_CORRECTION_IDS = ["no-reason", "short-reason", "stale"]
AMEND_REASON = "Item 4 was read from the wrong row of the paper form"


async def amend(
    client: httpx.AsyncClient, response: dict[str, Any], answers: dict[str, Any], **body: Any
) -> httpx.Response:
    url = patient_url(response["patient_id"], f"/responses/{response['id']}/amend")
    payload = {"version": response["version"], "answers": answers, "reason": AMEND_REASON, **body}
    return await client.post(url, json={k: v for k, v in payload.items() if v is not None})


async def withdraw(
    client: httpx.AsyncClient, response: dict[str, Any], **body: Any
) -> httpx.Response:
    url = patient_url(response["patient_id"], f"/responses/{response['id']}/entered-in-error")
    payload = {"version": response["version"], "reason": "Recorded on the wrong patient", **body}
    return await client.post(url, json={k: v for k, v in payload.items() if v is not None})


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def get_json(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def trajectory(client: httpx.AsyncClient, patient_id: Any, code: str = "phq-9") -> Any:
    return await get_json(client, patient_url(patient_id, f"/trajectories/{code}"))


async def alerts(client: httpx.AsyncClient, patient_id: Any, *, active: bool = False) -> Any:
    url = patient_url(patient_id, "/safety-alerts")
    return await get_json(client, url, **({"active": "true"} if active else {}))


async def needs(client: httpx.AsyncClient, patient_id: Any) -> Any:
    return await get_json(client, patient_url(patient_id, "/needs"))


async def stored(factory: Factory, model: type[Any], patient_id: uuid.UUID) -> list[Any]:
    """Every row of a patient-owned table for one patient, read as an operator job would."""
    async with factory.system_session() as session:
        stmt = select(model).where(model.patient_id == patient_id).order_by(model.id)
        return list((await session.execute(stmt)).scalars())


def detail(response: httpx.Response) -> dict[str, Any]:
    body = response.json()["detail"]
    assert isinstance(body, dict), body
    return body


def named_fields(response: httpx.Response) -> set[str]:
    """The fields a 4xx names: the dotted location of each validation error, or ``field``."""
    body = response.json()["detail"]
    if isinstance(body, list):
        names = set()
        for error in body:
            loc = [str(part) for part in error["loc"][1:]]
            names.update({".".join(loc[:n]) for n in range(1, len(loc) + 1)})
        return names
    fields = {body["field"]} if body.get("field") else set()
    return fields | set(body.get("errors", {}))

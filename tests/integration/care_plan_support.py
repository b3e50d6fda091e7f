"""Helpers for the care plan's tests: its address, and requests that name the version."""

from __future__ import annotations

from typing import Any

import httpx


def plan_url(patient_id: Any, tail: str = "") -> str:
    return f"/api/v1/patients/{patient_id}/care-plan{tail}"


def based_on(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


async def new_plan(client: httpx.AsyncClient, patient_id: Any, **body: Any) -> dict[str, Any]:
    response = await client.post(plan_url(patient_id), json=body)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


async def send(
    client: httpx.AsyncClient,
    method: str,
    patient_id: Any,
    tail: str,
    version: int | None,
    body: dict[str, Any],
) -> httpx.Response:
    headers = based_on(version) if version is not None else {}
    return await client.request(method, plan_url(patient_id, tail), json=body, headers=headers)


async def changed(
    client: httpx.AsyncClient,
    method: str,
    patient_id: Any,
    tail: str,
    version: int,
    body: dict[str, Any],
) -> dict[str, Any]:
    response = await send(client, method, patient_id, tail, version, body)
    assert response.status_code in (200, 201), response.text
    plan: dict[str, Any] = response.json()
    assert response.headers["ETag"] == f'"{plan["version"]}"'
    return plan


GOAL = {
    "description": "I want to sleep through the night again",
    "target": "Six hours most nights",
    "status": "active",
}


def activity(user_id: Any, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Weekly check-in call",
        "kind": "check-in-call",
        "responsible": {"kind": "team_member", "user_id": str(user_id)},
        **extra,
    }


async def need_of(client: httpx.AsyncClient, patient_id: Any) -> str:
    response = await client.post(
        f"/api/v1/patients/{patient_id}/needs",
        json={
            "domain": "housing-instability",
            "description": "Behind on rent",
            "status": "confirmed",
        },
    )
    assert response.status_code == 201, response.text
    need_id: str = response.json()["id"]
    return need_id


def safety_url(patient_id: Any) -> str:
    return plan_url(patient_id, "/safety-plan")


# A safety plan as a patient and their care manager might write it together.
SAFETY_PLAN: dict[str, Any] = {
    "warning_signs": [{"text": "I stop answering my phone"}, {"text": "I can't sleep"}],
    "coping_strategies": [{"text": "Walk the dog round the park"}],
    "people_and_places": [{"name": "The library on Elm Street"}],
    "people_to_ask": [{"name": "My sister Ana", "phone": "+1 555 010 4411"}],
    "professionals": [{"name": "Dr Patel, Riverside clinic", "phone": "+1 555 010 2000"}],
    "making_safe": [{"text": "My brother keeps the spare pills at his flat"}],
    "reasons_for_living": [{"text": "My daughter's wedding in June"}],
}


async def start_safety_plan(
    client: httpx.AsyncClient, patient_id: Any, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A safety plan for a patient with no care plan yet: the plan starts with it."""
    response = await client.put(
        safety_url(patient_id), json=body or SAFETY_PLAN, headers={"If-None-Match": "*"}
    )
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan

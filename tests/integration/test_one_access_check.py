"""A request asks the database who may see the patient once, however many services it calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from tests.factories import Factory, PatientWithTeam, phq9_answers

from tandem.access.scope import ACCESS_DECISION
from tandem.db import SCOPE_OPTION
from tandem.people.models import User


@contextmanager
def access_decisions() -> Iterator[list[str]]:
    """The statements that decide access, as they run."""
    seen: list[str] = []

    def listen(state: ORMExecuteState) -> None:
        if state.execution_options.get(SCOPE_OPTION) is ACCESS_DECISION:
            seen.append(str(state.statement))

    event.listen(Session, "do_orm_execute", listen)
    try:
        yield seen
    finally:
        event.remove(Session, "do_orm_execute", listen)


@pytest.mark.parametrize(
    "page",
    [
        "",
        "/measurements",
        "/care-team",
        "/needs",
        "/safety",
        "/responses/{response_id}",
        "/care-plan",
        "/care-plan/history",
    ],
)
async def test_a_chart_page_checks_access_once(
    page: str,
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    browser_for: Any,
) -> None:
    # Several services (the header, the tab, the banner) each ask for their capability.
    response = await factory.response(chart.patient, care_manager, answers=phq9_answers(12))
    await factory.care_plan(chart.patient, care_manager)
    browser = await browser_for(care_manager)
    url = f"/patients/{chart.patient.id}" + page.format(response_id=response.id)
    with access_decisions() as seen:
        answer = await browser.client.get(url)
    assert answer.status_code == 200, answer.text
    assert len(seen) == 1


async def test_an_api_write_and_its_read_back_check_access_once(
    chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    with access_decisions() as seen:
        created = await client.post(
            f"/api/v1/patients/{chart.patient.id}/responses",
            json={"instrument": "phq-9", "answers": phq9_answers(15, item9=1)},
        )
    assert created.status_code == 201, created.text
    # Recording, raising the alert, the needs and reading the response back: one decision.
    assert len(seen) == 1

"""Records with dates no rule accepts today (an enrolment in year 1, an answer before birth or in
the year 9999), stored directly as a migration from an older version or an import could leave
them, are shown, never a 500: trajectories, the Measurements page and its chart, the chart's
overview, and the enrolment can still be ended."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update
from tests.factories import Factory, PatientWithTeam
from tests.integration.assessment_support import patient_url

from tandem.assessments.models import Observation, Response
from tandem.people.models import User

YEAR_1 = date(1, 1, 1)


async def store_answered_on(factory: Factory, response_id: uuid.UUID, day: date) -> None:
    """Move a response (and its scores) to ``day`` behind the service's back."""
    async with factory.system_session() as session:
        await session.execute(
            update(Response).where(Response.id == response_id).values(answered_on=day)
        )
        await session.execute(
            update(Observation)
            .where(Observation.response_id == response_id)
            .values(effective_on=day)
        )
        await session.commit()


@pytest.fixture
async def odd_chart(factory: Factory, chart: PatientWithTeam, care_manager: User) -> Any:
    """The chart fixture's patient (born 17 May 1980), enrolled on 1 January of year 1, with a
    PHQ-9 answered before birth, one on 31 December 9999 and one as it should be."""
    await factory.enrolment(chart.patient, start_date=YEAR_1)
    before_birth = await factory.response(chart.patient, care_manager)
    await store_answered_on(factory, before_birth.id, date(1970, 1, 1))
    far_future = await factory.response(chart.patient, care_manager)
    await store_answered_on(factory, far_future.id, date.max)
    await factory.response(chart.patient, care_manager)
    return chart


async def test_the_trajectory_of_odd_stored_records_is_shown(
    odd_chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    client = await client_for(care_manager)
    response = await client.get(patient_url(odd_chart.patient.id, "/trajectories/phq-9"))
    assert response.status_code == 200, response.text
    trajectory = response.json()
    assert trajectory["enrolled_on"] == "0001-01-01"
    assert [p["on"] for p in trajectory["points"]] == ["1970-01-01", "2026-03-10", "9999-12-31"]
    assert trajectory["baseline"]["on"] == "1970-01-01"


async def test_the_measurements_page_shows_odd_stored_records_and_draws_the_chart(
    odd_chart: PatientWithTeam, care_manager: User, browser_for: Any
) -> None:
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{odd_chart.patient.id}/measurements")
    assert page.status_code == 200, page.text
    assert "the enrolment date (1 Jan 0001)" in page.text
    assert "1 Jan 1970" in page.text and "31 Dec 9999" in page.text
    assert 'class="trajectory-svg"' in page.text


@pytest.mark.parametrize("path", ["", "/enrolments", "/measurements"])
async def test_the_chart_pages_of_a_patient_enrolled_in_year_1_answer(
    odd_chart: PatientWithTeam, care_manager: User, browser_for: Any, path: str
) -> None:
    browser = await browser_for(care_manager)
    page = await browser.client.get(f"/patients/{odd_chart.patient.id}{path}")
    assert page.status_code == 200, page.text
    assert "1 Jan 0001" in page.text


async def test_an_enrolment_stored_as_starting_in_year_1_can_still_be_discharged(
    factory: Factory, chart: PatientWithTeam, care_manager: User, client_for: Any
) -> None:
    enrolment = await factory.enrolment(chart.patient, start_date=YEAR_1)
    client = await client_for(care_manager)
    response = await client.patch(
        patient_url(chart.patient.id, f"/enrolments/{enrolment.id}"),
        json={"version": 1, "phase": "discharged"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["start_date"], response.json()["status"]) == ("0001-01-01", "inactive")

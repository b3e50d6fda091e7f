"""The patient's own view of their access log (the portal will show it): who looked at my
record, in what role and when — people's names, never usernames, addresses or record ids."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.factories import Factory, PatientWithTeam
from tests.integration.audit_trail_support import add_events, event, hours_ago

from tandem.access.service import NotPermitted
from tandem.errors import NotFound, ValidationProblem
from tandem.people.models import User
from tandem.privacy.history import AccessHistory, patient_view_of_access_log
from tandem.privacy.service import patient_access_log


@pytest.fixture
async def looked_at(factory: Factory, chart: PatientWithTeam) -> dict[str, User]:
    """A therapist read the chart, a psychiatrist changed it in an emergency, an outsider was
    refused, an operator's job read it, and the privacy officer asked a duplicate question."""
    patient_id = chart.patient.id
    therapist = await factory.user(role="therapist", full_name="Theo Therapist")
    psychiatrist = await factory.user(role="psychiatric_consultant", full_name="Dr Pia Psych")
    outsider = await factory.user(role="care_manager", full_name="Olga Outside")
    officer = await factory.user(role="privacy_officer", full_name="Ruth Privacy")
    await add_events(
        factory,
        event(hours_ago(factory, 5), by=therapist, patient_id=patient_id),
        event(
            hours_ago(factory, 4),
            by=psychiatrist,
            action="U",
            patient_id=patient_id,
            purpose="BTG",
        ),
        event(
            hours_ago(factory, 3),
            by=outsider,
            action="E",
            patient_id=patient_id,
            record_type="AccessRefused",
            outcome=4,
        ),
        event(
            hours_ago(factory, 2),
            username="system:synth",
            role="system",
            patient_id=patient_id,
            purpose="SYSTEM",
        ),
        event(
            hours_ago(factory, 1),
            by=officer,
            patient_id=patient_id,
            record_type="PotentialDuplicate",
            purpose="HOPERAT",
        ),
    )
    return {"therapist": therapist, "psychiatrist": psychiatrist, "officer": officer}


@pytest.fixture
async def leads_view(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    looked_at: dict[str, User],
) -> AccessHistory:
    """The patient's view, asked for by their lead care manager (until the portal asks)."""
    async with sessionmaker() as session:
        return await patient_view_of_access_log(
            session, factory.context_for(care_manager), chart.patient.id
        )


async def test_the_patient_sees_who_looked_in_what_role_and_when_newest_first(
    factory: Factory, leads_view: AccessHistory
) -> None:
    view = leads_view
    assert [(e.name, e.role, e.action, e.emergency_access) for e in view.items] == [
        ("Dr Pia Psych", "psychiatric_consultant", "U", True),
        ("Theo Therapist", "therapist", "R", False),
    ]
    assert view.items[0].at == hours_ago(factory, 4)
    assert view.next_cursor is None


async def test_the_patients_view_holds_no_internal_details(
    chart: PatientWithTeam, looked_at: dict[str, User], leads_view: AccessHistory
) -> None:
    view = leads_view
    text = view.model_dump_json()
    for internal in ("10.0.0.7", looked_at["therapist"].username, str(chart.patient.id)):
        assert internal not in text
    assert set(view.items[0].model_dump()) == {
        "at",
        "name",
        "role",
        "action",
        "purpose",
        "emergency_access",
    }


async def test_the_patients_view_leaves_out_refusals_jobs_and_duplicate_questions(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    looked_at: dict[str, User],
) -> None:
    officer = looked_at["officer"]
    async with sessionmaker() as session:
        ctx = factory.context_for(officer)
        view = await patient_view_of_access_log(session, ctx, chart.patient.id)
        full_log = await patient_access_log(session, ctx, chart.patient.id, page=1, page_size=25)
    assert [e.name for e in view.items] == ["Dr Pia Psych", "Theo Therapist"]
    # The privacy officer's own log of the patient still shows all of it.
    assert {"PotentialDuplicate", "AccessRefused"} <= {e.record_type for e in full_log.items}


async def test_the_patients_view_pages_with_a_cursor(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    looked_at: dict[str, User],
) -> None:
    ctx = factory.context_for(care_manager)
    async with sessionmaker() as session:
        first = await patient_view_of_access_log(session, ctx, chart.patient.id, limit=1)
        assert first.next_cursor is not None
        second = await patient_view_of_access_log(
            session, ctx, chart.patient.id, cursor=first.next_cursor, limit=1
        )
        with pytest.raises(ValidationProblem) as bad:
            await patient_view_of_access_log(session, ctx, chart.patient.id, cursor="nonsense")
    assert [e.name for e in first.items + second.items] == ["Dr Pia Psych", "Theo Therapist"]
    assert second.next_cursor is None
    assert bad.value.field == "cursor"


async def test_reading_the_patients_view_is_on_the_patients_log(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    mark = await factory.last_audit_id()
    async with sessionmaker() as session:
        await patient_view_of_access_log(
            session, factory.context_for(care_manager), chart.patient.id
        )
        await session.commit()
    events = await factory.audit_events(after=mark)
    assert [(e.record_type, e.patient_id, e.user_id) for e in events] == [
        ("AuditLog", chart.patient.id, care_manager.id)
    ]
    assert events[0].detail == '{"view": "patient"}'


async def test_others_on_the_team_are_refused_and_outsiders_find_no_such_patient(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
) -> None:
    therapist = await factory.user(role="therapist")
    await factory.member(chart.patient, therapist, role="therapist")
    officer = await factory.user(role="privacy_officer")
    async with sessionmaker() as session:
        with pytest.raises(NotPermitted):
            await patient_view_of_access_log(
                session, factory.context_for(therapist), chart.patient.id
            )
        with pytest.raises(NotFound):
            await patient_view_of_access_log(
                session, factory.context_for(outsider), chart.patient.id
            )
        with pytest.raises(NotFound):
            await patient_view_of_access_log(session, factory.context_for(officer), uuid.uuid4())

"""The one choke point: queries on patient-owned tables must carry the access scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.factories import Factory, PatientWithTeam

from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.access.scope import (
    UnscopedPatientQuery,
    count_of,
    patient_owned_tables,
    scoped,
    scoped_to_patient,
    select_scoped,
    system_query,
)
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.clock import FrozenClock
from tandem.db import Base
from tandem.people.models import Patient, PatientIdentifier, RelatedPerson, User

PATIENT_TABLES = {
    "patient",
    "patient_identifier",
    "related_person",
    "care_team_member",
    "enrolment",
    "break_glass_grant",
}


def ctx_for(user: User, clock: FrozenClock) -> AccessContext:
    return AccessContext(
        user_id=user.id,
        username=user.username,
        role=user.role,
        organization_id=user.organization_id,
        clock=clock,
    )


def test_patient_owned_tables_include_every_table_of_patient_data() -> None:
    assert patient_owned_tables() >= PATIENT_TABLES


def test_every_table_with_a_patient_id_is_patient_owned() -> None:
    # A new table holding patient rows must opt in to the guard (CONTRIBUTING rule 4).
    # The audit log is read through its own service and is exempt by design.
    with_patient_id = {
        table.name
        for table in Base.metadata.tables.values()
        if "patient_id" in table.c and table.name != "audit_event"
    }
    assert with_patient_id <= patient_owned_tables()


def test_reference_tables_are_not_patient_owned() -> None:
    assert not {"app_user", "organization", "audit_event"} & patient_owned_tables()


@pytest.mark.parametrize(
    "model", [Patient, PatientIdentifier, RelatedPerson, CareTeamMember, Enrolment, BreakGlassGrant]
)
async def test_an_unscoped_select_on_a_patient_table_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], model: type[Base]
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(select(model))


async def test_an_unscoped_patient_table_inside_a_subquery_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    inner = select(Patient.id).where(Patient.family_name == "Núñez").scalar_subquery()
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(select(User).where(User.id == inner))


async def test_an_unscoped_count_of_patients_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery):
            await session.scalar(select(func.count()).select_from(Patient))


async def test_a_query_on_reference_tables_needs_no_scope(
    sessionmaker: async_sessionmaker[AsyncSession], care_manager: User
) -> None:
    async with sessionmaker() as session:
        assert (await session.execute(select(User).where(User.id == care_manager.id))).scalar_one()


async def test_scoped_query_returns_only_the_callers_patients(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    clock: FrozenClock,
) -> None:
    other = await factory.patient()
    async with sessionmaker() as session:
        stmt = scoped(select(Patient), ctx_for(care_manager, clock), Patient.id)
        ids = {p.id for p in (await session.execute(stmt)).scalars()}
    assert chart.patient.id in ids
    assert other.patient.id not in ids


async def test_select_scoped_filters_child_tables_by_care_relationship(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    clock: FrozenClock,
) -> None:
    mine = await factory.related_person(chart.patient, name="Mine")
    other = await factory.patient()
    theirs = await factory.related_person(other.patient, name="Theirs")
    async with sessionmaker() as session:
        rows = (
            await session.execute(select_scoped(RelatedPerson, ctx_for(care_manager, clock)))
        ).scalars()
        ids = {r.id for r in rows}
    assert mine.id in ids
    assert theirs.id not in ids


async def test_membership_starting_tomorrow_gives_no_access_yet(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    clock: FrozenClock,
) -> None:
    patient = (await factory.patient()).patient
    newcomer = await factory.user(role="therapist")
    await factory.member(patient, newcomer, role="therapist", start_date=clock.today())
    ctx = ctx_for(newcomer, clock)
    async with sessionmaker() as session:
        stmt = scoped(select(Patient.id), ctx, Patient.id)
        assert (await session.execute(stmt)).scalars().all() == [patient.id]
        clock.advance(days=-1)
        stmt = scoped(select(Patient.id), ctx, Patient.id)
        assert (await session.execute(stmt)).scalars().all() == []


async def test_scoped_to_patient_and_system_queries_pass_the_guard(
    sessionmaker: async_sessionmaker[AsyncSession], chart: PatientWithTeam
) -> None:
    async with sessionmaker() as session:
        members = await session.execute(
            scoped_to_patient(select(CareTeamMember), chart.patient.id, CareTeamMember.patient_id)
        )
        assert len(members.scalars().all()) == 1
        count = await session.scalar(
            system_query(select(func.count()).select_from(Patient), "test: count patients")
        )
        assert count is not None and count >= 1


async def test_a_system_context_cannot_build_a_care_relationship_scope(
    clock: FrozenClock,
) -> None:
    with pytest.raises(UnscopedPatientQuery):
        scoped(select(Patient), AccessContext.system(clock, reason="test"), Patient.id)


def test_count_of_refuses_an_unscoped_query() -> None:
    with pytest.raises(UnscopedPatientQuery):
        count_of(select(Patient))


async def test_count_of_a_scoped_query_counts_only_the_callers_patients(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    clock: FrozenClock,
) -> None:
    await factory.patient()
    async with sessionmaker() as session:
        stmt = scoped(select(Patient), ctx_for(care_manager, clock), Patient.id)
        assert await session.scalar(count_of(stmt)) == 1

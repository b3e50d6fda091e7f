"""The one choke point: a statement on patient data needs a proof of access minted in the same
session, for the patient it reads, with a capability that reads every table it reaches.

Each test runs its statements in a request-like session (a plain ``sessionmaker()`` session,
as a request's is) and sets up or reads back data in the operator's ``factory.system_session()``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import (
    Select,
    event,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from tests.factories import Factory, PatientWithTeam, phq9_answers
from tests.snapshots import assert_unchanged

import tandem.models  # noqa: F401  (every table mapped, so Base.metadata is complete)
from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.access.proof import PatientAccess, StaffAccess
from tandem.access.scope import (
    STAFF_TABLES,
    STAFF_WRITES,
    UnscopedPatientQuery,
    access_decision,
    as_caller,
    as_proven,
    caseload_filter,
    existence_probe,
    patient_filter,
    patient_owned,
    patient_owned_tables,
    scoped,
    scoped_for_staff,
    scoped_to_patient,
)
from tandem.access.service import NotPermitted, require_patient, require_staff
from tandem.assessments.models import (
    ComprehensiveAssessment,
    Need,
    Observation,
    Response,
    SafetyAlert,
)
from tandem.audit.log import keep_refused_attempts
from tandem.audit.models import AuditEvent
from tandem.audit.scope import audit_append
from tandem.capabilities import Capability, PatientData
from tandem.careteams.models import CareTeamMember
from tandem.clock import FrozenClock
from tandem.db import Base
from tandem.errors import NotFound
from tandem.notify.models import Notification
from tandem.people.models import (
    Patient,
    PatientIdentifier,
    PotentialDuplicate,
    RelatedPerson,
    User,
)

REFERENCE_TABLES = {"app_user", "organization", "user_session", "api_token"}
# What a community partner may not read (minimum necessary, 45 CFR 164.502(b); docs/access.md).
CLINICAL_MODELS: list[type[Any]] = [
    Response,
    SafetyAlert,
    PatientIdentifier,
    RelatedPerson,
    Need,
    ComprehensiveAssessment,
    AuditEvent,
]


async def prove(
    session: AsyncSession,
    factory: Factory,
    user: User,
    patient: Patient,
    capability: Capability = Capability.read_contact,
) -> PatientAccess:
    return await require_patient(
        session, factory.context_for(user), patient.id, capability=capability
    )


@pytest.fixture
async def partner(factory: Factory, chart: PatientWithTeam) -> User:
    """A community partner on ``chart``'s care team."""
    user = await factory.user(role="community_partner", full_name="Pat Partner")
    await factory.member(chart.patient, user, role="community_partner")
    return user


async def break_glass(
    factory: Factory, patient: Patient, user: User, *, minutes: int = 30
) -> BreakGlassGrant:
    """A grant as ``access.service.break_the_glass`` leaves it (negative minutes: expired)."""
    now = factory.clock.now()
    grant = BreakGlassGrant(
        id=uuid.uuid4(),
        patient_id=patient.id,
        user_id=user.id,
        reason="Brought to the emergency department, team unreachable",
        started_at=now - timedelta(minutes=max(0, -minutes) + 1),
        expires_at=now + timedelta(minutes=minutes),
    )
    async with factory.system_session() as session:
        session.add(grant)
        await session.commit()
    return grant


@contextlib.asynccontextmanager
async def records_unchanged(factory: Factory, *patients: Patient) -> AsyncIterator[None]:
    """Each patient's whole record (tests.snapshots) is as it was when the block began."""
    before = [await factory.patient_record(patient) for patient in patients]
    yield
    for patient, record in zip(patients, before, strict=True):
        assert_unchanged(record, await factory.patient_record(patient))


async def refused_at_flush(session: AsyncSession, match: str | None = None) -> None:
    """The pending change is refused at flush, and again at the commit a request ends with."""
    with pytest.raises(UnscopedPatientQuery, match=match):
        await session.flush()
    with pytest.raises(UnscopedPatientQuery, match=match):
        await session.commit()


@contextlib.contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


# -- which tables are patient data -----------------------------------------------------------


def test_every_table_with_a_patient_id_and_the_patient_table_are_marked_patient_data() -> None:
    with_patient_id = {t.name for t in Base.metadata.tables.values() if "patient_id" in t.c}
    assert with_patient_id | {"patient"} <= patient_owned_tables()


def test_the_audit_log_is_patient_data() -> None:
    assert "audit_event" in patient_owned_tables()


def test_reference_tables_are_not_patient_data() -> None:
    assert not REFERENCE_TABLES & patient_owned_tables()


def test_the_marker_lives_on_the_model_and_names_an_existing_key_column() -> None:
    for mapper in Base.registry.mappers:
        marker = getattr(mapper.class_, "__patient_owned__", None)
        if marker is None:
            continue
        assert isinstance(marker, PatientData), mapper.class_  # not a bare True (old design)
        assert marker.key in mapper.local_table.c, mapper.class_
    assert set(patient_owned()) == patient_owned_tables()


# -- statements without a proof ------------------------------------------------------------


UNSCOPED: dict[str, Any] = {
    "select": lambda: select(Patient),
    "select of a child table": lambda: select(SafetyAlert.message),
    "a patient table in a subquery": lambda: select(User).where(
        User.id.in_(select(Patient.id).scalar_subquery())
    ),
    "count": lambda: select(func.count()).select_from(Patient),
    "update": lambda: update(Patient).values(preferred_name="Mo"),
    "delete": lambda: Patient.__table__.delete(),
    "insert": lambda: insert(Need).values(id=uuid.uuid4()),
    "insert from select": lambda: insert(Need).from_select(
        ["id", "patient_id"], select(Need.id, Need.patient_id)
    ),
    "raw SQL": lambda: text("SELECT given_name FROM patient"),
    "raw SQL update": lambda: text("UPDATE safety_alert SET status = 'resolved'"),
    "SQL text in a FROM": lambda: select(literal_column("given_name")).select_from(text("patient")),
    "SQL text in a WHERE": lambda: select(User.id).where(
        text("EXISTS (SELECT 1 FROM safety_alert)")
    ),
    "a literal column": lambda: select(literal_column("(SELECT count(*) FROM patient)")),
}


@pytest.mark.parametrize("kind", sorted(UNSCOPED))
async def test_an_unscoped_statement_on_patient_data_is_refused_in_a_request_session(
    sessionmaker: async_sessionmaker[AsyncSession], chart: PatientWithTeam, kind: str
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(UNSCOPED[kind]())


async def test_session_get_of_a_patient_row_is_refused_in_a_request_session(
    sessionmaker: async_sessionmaker[AsyncSession], chart: PatientWithTeam
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery):
            await session.get(Patient, chart.patient.id)
        with pytest.raises(UnscopedPatientQuery):
            await session.get(CareTeamMember, chart.lead_membership.id)


async def test_orm_bulk_writes_without_a_proof_are_refused(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(
                update(Patient), [{"id": chart.patient.id, "preferred_name": "Mo"}]
            )
        # The legacy bulk methods skip both the flush and the ORM execute hook.
        with pytest.raises(UnscopedPatientQuery):
            await session.run_sync(
                lambda s: s.bulk_update_mappings(
                    Patient, [{"id": chart.patient.id, "preferred_name": "Mo", "version": 1}]
                )
            )
        with pytest.raises(UnscopedPatientQuery):
            await session.run_sync(
                lambda s: s.bulk_save_objects([Need(id=uuid.uuid4(), patient_id=chart.patient.id)])
            )
        await session.commit()


async def test_sql_naming_no_patient_table_passes_in_a_request_session(
    sessionmaker: async_sessionmaker[AsyncSession], care_manager: User
) -> None:
    async with sessionmaker() as session:
        assert await session.scalar(text("SELECT 1")) == 1
        assert await session.scalar(select(User.id).where(User.id == care_manager.id))


@pytest.mark.parametrize("kind", sorted(set(UNSCOPED) - {"delete", "insert", "raw SQL update"}))
async def test_everything_passes_in_a_system_session(
    factory: Factory, chart: PatientWithTeam, kind: str
) -> None:
    async with factory.system_session() as session:
        await session.execute(UNSCOPED[kind]())
        await session.rollback()


# -- flushes -------------------------------------------------------------------------------


def a_relative(patient: Patient, clock: FrozenClock, name: str = "Ana Núñez") -> RelatedPerson:
    return RelatedPerson(
        id=uuid.uuid4(),
        patient_id=patient.id,
        name=name,
        relationship="sibling",
        status="active",
        created_at=clock.now(),
    )


async def test_adding_patient_data_without_a_proof_is_refused_at_flush(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    clock: FrozenClock,
) -> None:
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        session.add(a_relative(chart.patient, clock))
        await refused_at_flush(session)


async def test_changing_patient_data_without_a_proof_is_refused_at_flush(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    person = await factory.related_person(chart.patient)
    loaded = await factory.reload(RelatedPerson, person.id)
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        session.add(loaded)  # a row read elsewhere (another session, a cache)
        loaded.phone = "+1 555 999 0000"
        await refused_at_flush(session)


async def test_a_proof_that_writes_lets_a_new_row_of_its_patient_be_flushed(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    clock: FrozenClock,
) -> None:
    other = await factory.patient()
    async with records_unchanged(factory, other.patient), sessionmaker() as session:
        await prove(session, factory, care_manager, chart.patient, Capability.edit_family)
        session.add(a_relative(chart.patient, clock))
        await session.flush()
        # The proof is for one patient: a row of another is still refused.
        session.add(a_relative(other.patient, clock))
        await refused_at_flush(session)


async def test_deleting_patient_data_is_refused_even_with_a_proof(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    person = await factory.related_person(chart.patient)
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient, Capability.edit_family)
        stmt = scoped_to_patient(
            select(RelatedPerson).where(RelatedPerson.id == person.id),
            access,
            RelatedPerson.patient_id,
        )
        row = (await session.execute(stmt)).scalar_one()
        await session.delete(row)
        with pytest.raises(UnscopedPatientQuery, match="never deleted"):
            await session.flush()
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(
                scoped_to_patient(
                    RelatedPerson.__table__.delete(), access, RelatedPerson.patient_id
                )
            )
        with pytest.raises(UnscopedPatientQuery, match="never deleted"):
            await session.commit()


# -- where the proof comes from ------------------------------------------------------------


async def test_a_proof_minted_in_another_session_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    async with sessionmaker() as minted_in:
        access = await prove(minted_in, factory, care_manager, chart.patient)
        async with sessionmaker() as used_in:
            with pytest.raises(UnscopedPatientQuery, match="not minted in this session"):
                await used_in.execute(scoped_to_patient(select(Patient), access, Patient.id))
        # The same statement in the session that proved access passes.
        rows = await minted_in.execute(scoped_to_patient(select(Patient), access, Patient.id))
        assert [p.id for p in rows.scalars()] == [chart.patient.id]


@pytest.mark.parametrize("end", ["commit", "rollback"])
async def test_a_proof_does_not_survive_its_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    clock: FrozenClock,
    end: str,
) -> None:
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient, Capability.edit_family)
        stmt = scoped_to_patient(select(Patient.id), access, Patient.id)
        assert await session.scalar(stmt) == chart.patient.id
        await getattr(session, end)()
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(stmt)
        session.add(a_relative(chart.patient, clock))
        await refused_at_flush(session)


async def test_a_proof_survives_a_savepoint_inside_its_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        async with session.begin_nested() as savepoint:
            await savepoint.rollback()
        stmt = scoped_to_patient(select(Patient.id), access, Patient.id)
        assert await session.scalar(stmt) == chart.patient.id


# -- what the filters reach ----------------------------------------------------------------


async def test_a_second_patient_table_not_filtered_to_the_proven_patient_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    joined = select(Observation, Response).join(Response, Response.id == Observation.response_id)
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        with pytest.raises(UnscopedPatientQuery, match="assessment_response"):
            await session.execute(scoped_to_patient(joined, access, Observation.patient_id))
        both = scoped_to_patient(joined, access, Observation.patient_id, Response.patient_id)
        assert (await session.execute(both)).all() == []


async def test_an_alias_of_a_patient_table_needs_its_own_filter(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    # Filtering the aliased table by name would leave the alias's rows (everyone's) unfiltered.
    other = aliased(SafetyAlert, name="other_alert")
    stmt = select(Patient, other).join(other, true())
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        with pytest.raises(UnscopedPatientQuery, match="alias"):
            await session.execute(
                scoped_to_patient(stmt, access, Patient.id, SafetyAlert.patient_id)
            )
        await session.execute(scoped_to_patient(stmt, access, Patient.id, other.patient_id))


async def test_an_alias_of_a_patient_table_needs_a_name(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    # Two anonymous aliases of one shape look alike to the guard's cache of findings; a named
    # alias is told apart, so the filter provably applies to it.
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        for _ in range(2):
            other = aliased(SafetyAlert)
            stmt = select(Patient.id, other.id).join(other, other.patient_id == Patient.id)
            with pytest.raises(UnscopedPatientQuery, match="without a name"):
                await session.execute(scoped_to_patient(stmt, access, Patient.id, other.patient_id))


async def test_statements_of_one_shape_are_each_checked_against_their_own_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    # The guard remembers what a shape reaches, never a verdict: the same statement with no
    # scope, or filtering the wrong table, is refused after it once passed.
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        stmt = select(SafetyAlert.id).where(SafetyAlert.status == "active")
        await session.execute(scoped_to_patient(stmt, access, SafetyAlert.patient_id))
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(stmt)
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(
                scoped_to_patient(stmt, access, Patient.id)  # filters the wrong table
            )


SUBQUERIES: dict[str, Any] = {
    "a derived table": lambda: (sub := select(SafetyAlert).subquery(), select(Patient, sub))[1],
    "an IN subquery": lambda: select(Patient).where(Patient.id.in_(select(SafetyAlert.patient_id))),
    "a scalar subquery": lambda: select(
        Patient, select(SafetyAlert.message).limit(1).scalar_subquery()
    ),
    "a CTE": lambda: (
        cte := select(SafetyAlert.patient_id).cte(),
        select(Patient).where(Patient.id.in_(select(cte.c.patient_id))),
    )[1],
}


@pytest.mark.parametrize("kind", sorted(SUBQUERIES))
async def test_a_patient_table_in_a_subquery_is_refused_even_if_named(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    kind: str,
) -> None:
    # The filters land on the statement's own FROM list; a subquery reads every patient's rows.
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        stmt = scoped_to_patient(SUBQUERIES[kind](), access, Patient.id, SafetyAlert.patient_id)
        with pytest.raises(UnscopedPatientQuery, match="subquery"):
            await session.execute(stmt)


async def test_a_subquery_that_borrows_the_statements_scope_is_still_a_subquery(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        outer = scoped_to_patient(select(Patient), access, Patient.id, SafetyAlert.patient_id)
        borrowed = select(SafetyAlert.patient_id).execution_options(**outer.get_execution_options())
        with pytest.raises(UnscopedPatientQuery, match="subquery"):
            await session.execute(outer.where(Patient.id.in_(borrowed)))


async def test_sql_text_inside_a_scoped_statement_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        stmt = select(Patient).where(text("EXISTS (SELECT 1 FROM safety_alert)"))
        with pytest.raises(UnscopedPatientQuery, match="SQL text"):
            await session.execute(scoped_to_patient(stmt, access, Patient.id))


async def test_an_outer_join_cannot_be_scoped_by_a_column_that_may_be_null(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    # "IS NULL" would also let through every audit event of no patient (sign-ins, refusals).
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        stmt = select(Patient, AuditEvent).outerjoin(AuditEvent, true())
        with pytest.raises(UnscopedPatientQuery, match="NULL"):
            scoped_to_patient(stmt, access, Patient.id, outer=(AuditEvent.patient_id,))


async def test_an_outer_joined_table_keeps_only_the_proven_patients_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    await factory.related_person(chart.patient, name="Theirs")
    other = await factory.patient()
    await factory.related_person(other.patient, name="Someone Else's")
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient, Capability.read_family)
        # Joined on anything at all, the other patient's relative is still filtered out.
        stmt = scoped_to_patient(
            select(Patient.id, RelatedPerson.name).outerjoin(RelatedPerson, true()),
            access,
            Patient.id,
            outer=(RelatedPerson.patient_id,),
        )
        assert (await session.execute(stmt)).all() == [(chart.patient.id, "Theirs")]


async def test_a_patient_scoped_count_counts_the_proven_patients_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    await factory.related_person(chart.patient, name="One")
    await factory.related_person(chart.patient, name="Two")
    other = await factory.patient()
    await factory.related_person(other.patient, name="Theirs")
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient, Capability.read_family)
        counted = select(func.count()).select_from(RelatedPerson)
        stmt = scoped_to_patient(counted, access, RelatedPerson.patient_id)
        assert await session.scalar(stmt) == 2


async def test_a_count_over_a_scoped_subquery_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    # The filters apply to the statement's own FROM list; wrapped in a subquery, they are out
    # of the guard's sight, whatever scope the outer statement carries.
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient, Capability.read_family)
        inner = scoped_to_patient(select(RelatedPerson), access, RelatedPerson.patient_id)
        outer = select(func.count()).select_from(inner.subquery())
        with pytest.raises(UnscopedPatientQuery):
            await session.scalar(scoped_to_patient(outer, access, RelatedPerson.patient_id))


# -- what the proof grants -----------------------------------------------------------------


@pytest.mark.parametrize("model", CLINICAL_MODELS, ids=lambda m: m.__tablename__)
async def test_a_community_partners_proof_cannot_read_clinical_tables(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    partner: User,
    model: type[Any],
) -> None:
    async with sessionmaker() as session:
        access = await prove(session, factory, partner, chart.patient)
        # Who the patient is, and the activities their organisation owes (My responsibilities).
        assert access.capabilities == {Capability.read_contact, Capability.read_own_activities}
        with pytest.raises(UnscopedPatientQuery, match=model.__tablename__):
            await session.execute(scoped_to_patient(select(model), access, model.patient_id))
        # Who the patient is, the partner may read.
        assert await session.scalar(scoped_to_patient(select(Patient.id), access, Patient.id))


@pytest.mark.parametrize("model", CLINICAL_MODELS, ids=lambda m: m.__tablename__)
async def test_a_lead_care_managers_proof_reads_clinical_tables(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    model: type[Any],
) -> None:
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        await session.execute(scoped_to_patient(select(model), access, model.patient_id))


async def partner_access(
    session: AsyncSession, factory: Factory, chart: PatientWithTeam, partner: User
) -> PatientAccess:
    return await prove(session, factory, partner, chart.patient)


async def emergency_access(
    session: AsyncSession, factory: Factory, chart: PatientWithTeam, partner: User
) -> PatientAccess:
    clinician = await factory.user(role="therapist")
    await break_glass(factory, chart.patient, clinician)
    access = await prove(session, factory, clinician, chart.patient)
    assert access.is_emergency
    return access


@pytest.mark.parametrize("make", [partner_access, emergency_access], ids=["partner", "btg"])
async def test_a_proof_without_a_write_capability_cannot_write(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    partner: User,
    clock: FrozenClock,
    make: Any,
) -> None:
    # Each block proves access first: emergency access stores a grant on the patient's record.
    async with sessionmaker() as session:
        access = await make(session, factory, chart, partner)
        assert not access.proof.writes
        async with records_unchanged(factory, chart.patient):
            access.patient.preferred_name = "Changed"
            await refused_at_flush(session, match="without a proof that writes")
    async with sessionmaker() as session:
        access = await make(session, factory, chart, partner)
        async with records_unchanged(factory, chart.patient):
            session.add(a_relative(chart.patient, clock))
            await refused_at_flush(session, match="without a proof that writes")
    async with sessionmaker() as session:
        access = await make(session, factory, chart, partner)
        async with records_unchanged(factory, chart.patient):
            stmt = scoped_to_patient(
                update(Patient).values(preferred_name="Mo"), access, Patient.id
            )
            with pytest.raises(UnscopedPatientQuery, match="needs one of"):
                await session.execute(stmt)
            await session.commit()


async def test_a_proof_writes_only_the_tables_its_capabilities_write(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    # A peer specialist reads the care team and records check-ins, but does not manage the
    # team: a service that forgot to ask for manage_care_team still cannot change it.
    peer = await factory.user(role="peer_specialist")
    await factory.member(chart.patient, peer, role="peer_specialist")
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        access = await prove(session, factory, peer, chart.patient, Capability.read_contact)
        assert access.can(Capability.read_care_team) and access.proof.writes
        stmt = scoped_to_patient(
            update(CareTeamMember).values(end_reason="Changed"),
            access,
            CareTeamMember.patient_id,
        )
        with pytest.raises(UnscopedPatientQuery, match="care_team_member needs one of"):
            await session.execute(stmt)
        await session.commit()
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        access = await prove(session, factory, peer, chart.patient, Capability.read_contact)
        chart.lead_membership.end_reason = "Changed"
        session.add(chart.lead_membership)
        await refused_at_flush(session, match="CareTeamMember")
    async with sessionmaker() as session:
        access = await prove(session, factory, peer, chart.patient, Capability.read_contact)
        session.add(a_relative(chart.patient, factory.clock))
        await session.flush()  # edit_family: a peer may


async def test_a_reader_may_mark_their_own_notification_read(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    partner: User,
    clock: FrozenClock,
) -> None:
    note = Notification(
        id=uuid.uuid4(),
        patient_id=chart.patient.id,
        user_id=partner.id,
        kind="contact",
        message="Call the patient back",
        link="/patients",
        priority="normal",
        created_at=clock.now(),
    )
    async with factory.system_session() as session:
        session.add(note)
        await session.commit()
    async with sessionmaker() as session:
        access = await prove(session, factory, partner, chart.patient)
        mine = scoped_to_patient(
            select(Notification).where(Notification.id == note.id),
            access,
            Notification.patient_id,
        )
        row = (await session.execute(mine)).scalar_one()
        row.read_at = clock.now()
        await session.flush()


# -- the caseload scope --------------------------------------------------------------------


def caseload_with_alert_flag(ctx: AccessContext) -> Select[Any]:
    alert_open = exists().where(SafetyAlert.patient_id == Patient.id).label("alert_open")
    return scoped(select(Patient.id, alert_open), ctx, Patient.id)


async def test_a_caseload_query_returns_only_the_callers_patients(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    await factory.patient()
    ctx = factory.context_for(care_manager)
    async with sessionmaker() as session:
        rows = (await session.execute(caseload_with_alert_flag(ctx))).all()
    assert [row[0] for row in rows] == [chart.patient.id]


async def test_a_partners_caseload_reads_who_but_not_safety_alerts(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    partner: User,
) -> None:
    ctx = factory.context_for(partner)
    async with sessionmaker() as session:
        ids = (await session.execute(scoped(select(Patient.id), ctx, Patient.id))).scalars()
        assert list(ids) == [chart.patient.id]
        with pytest.raises(UnscopedPatientQuery, match="safety_alert"):
            await session.execute(caseload_with_alert_flag(ctx))


async def test_a_caseload_query_cannot_join_another_patients_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    other = await factory.patient()
    await factory.response(other.patient, other.lead, answers=phq9_answers(12, item9=1))
    ctx = factory.context_for(care_manager)
    joined = select(Patient.id, SafetyAlert.message).join(SafetyAlert, true())
    value = select(SafetyAlert.message).limit(1).scalar_subquery()
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery, match="safety_alert"):
            await session.execute(scoped(joined, ctx, Patient.id))
        with pytest.raises(UnscopedPatientQuery, match="subquery"):
            await session.execute(scoped(select(Patient.id, value), ctx, Patient.id))
        # Filtered on both tables, the join holds only my patients' alerts.
        mine = scoped(joined, ctx, Patient.id, SafetyAlert.patient_id)
        assert {row[0] for row in (await session.execute(mine)).all()} <= {chart.patient.id}


async def test_a_role_with_no_team_grants_gets_an_empty_caseload_not_an_error(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    admin: User,
) -> None:
    # Even on a team (a data-entry slip), an administrator's caseload holds nobody.
    await factory.member(chart.patient, admin, role="social_worker")
    ctx = factory.context_for(admin)
    async with sessionmaker() as session:
        assert (await session.execute(scoped(select(Patient), ctx, Patient.id))).all() == []
        assert (await session.execute(caseload_with_alert_flag(ctx))).all() == []


async def test_a_caseload_scope_only_reads(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, care_manager: User
) -> None:
    ctx = factory.context_for(care_manager)
    async with sessionmaker() as session:
        stmt = scoped(update(Patient).values(preferred_name="Mo"), ctx, Patient.id)
        with pytest.raises(UnscopedPatientQuery, match="caseload"):
            await session.execute(stmt)


def test_a_context_without_a_user_has_no_caseload(clock: FrozenClock) -> None:
    with pytest.raises(UnscopedPatientQuery):
        scoped(select(Patient), AccessContext.system(clock, reason="test"), Patient.id)


async def test_a_membership_starting_tomorrow_is_not_yet_in_the_caseload(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, clock: FrozenClock
) -> None:
    patient = (await factory.patient()).patient
    newcomer = await factory.user(role="therapist")
    await factory.member(patient, newcomer, role="therapist", start_date=clock.today())
    ctx = factory.context_for(newcomer)
    async with sessionmaker() as session:
        assert (await session.execute(scoped(select(Patient.id), ctx, Patient.id))).all()
        clock.advance(days=-1)
        assert not (await session.execute(scoped(select(Patient.id), ctx, Patient.id))).all()


# -- staff reviews -------------------------------------------------------------------------


async def test_a_staff_scope_needs_access_checked_in_the_same_session(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    officer = factory.context_for(await factory.user(role="privacy_officer"))
    stmt = select(BreakGlassGrant.id)
    async with sessionmaker() as checked_in:
        staff = require_staff(checked_in, officer, Capability.review_emergency_access)
        await checked_in.execute(scoped_for_staff(stmt, staff))
        async with sessionmaker() as used_in:
            with pytest.raises(UnscopedPatientQuery, match="not checked in this session"):
                await used_in.execute(scoped_for_staff(stmt, staff))
            made_by_hand = StaffAccess(officer.user_id, Capability.review_emergency_access)
            with pytest.raises(UnscopedPatientQuery):
                await used_in.execute(scoped_for_staff(stmt, made_by_hand))


async def test_require_staff_refuses_a_role_without_the_capability(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, care_manager: User
) -> None:
    async with sessionmaker() as session:
        with pytest.raises(NotPermitted):
            require_staff(
                session, factory.context_for(care_manager), Capability.read_any_access_log
            )


STAFF_ROLE = {
    Capability.review_emergency_access: "privacy_officer",
    Capability.read_any_access_log: "privacy_officer",
    Capability.review_duplicates: "administrator",
    Capability.review_duplicate_details: "privacy_officer",
    Capability.administer_users: "administrator",
}
TABLE_MODELS: dict[str, type[Any]] = {
    m.class_.__tablename__: m.class_
    for m in Base.registry.mappers
    if getattr(m.class_, "__tablename__", None) in patient_owned_tables()
}


@pytest.mark.parametrize("capability", sorted(STAFF_TABLES), ids=str)
async def test_a_staff_review_reaches_only_its_own_tables(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    capability: Capability,
) -> None:
    ctx = factory.context_for(await factory.user(role=STAFF_ROLE[capability]))
    async with sessionmaker() as session:
        staff = require_staff(session, ctx, capability)
        for table, model in sorted(TABLE_MODELS.items()):
            stmt = scoped_for_staff(select(func.count()).select_from(model), staff)
            if table in STAFF_TABLES[capability]:
                await session.execute(stmt)
            else:
                with pytest.raises(UnscopedPatientQuery, match=table):
                    await session.execute(stmt)


async def test_a_staff_review_writes_only_what_its_capability_writes(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    officer = factory.context_for(await factory.user(role="privacy_officer"))
    close = update(PotentialDuplicate).values(status="dismissed")
    async with sessionmaker() as session:
        details = require_staff(session, officer, Capability.review_duplicate_details)
        assert "potential_duplicate" in STAFF_TABLES[Capability.review_duplicate_details]
        assert Capability.review_duplicate_details not in STAFF_WRITES
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(scoped_for_staff(close, details))
        queue = require_staff(session, officer, Capability.review_duplicates)
        await session.execute(scoped_for_staff(close, queue))
        with pytest.raises(UnscopedPatientQuery, match="patient"):
            await session.execute(
                scoped_for_staff(update(Patient).values(preferred_name="Mo"), queue)
            )


async def test_a_staff_access_does_not_let_a_clinical_row_be_flushed(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    clock: FrozenClock,
) -> None:
    officer = factory.context_for(await factory.user(role="privacy_officer"))
    async with records_unchanged(factory, chart.patient), sessionmaker() as session:
        require_staff(session, officer, Capability.review_emergency_access)
        session.add(a_relative(chart.patient, clock))
        await refused_at_flush(session)


# -- named probes and the access layer's own statements -------------------------------------


def test_a_probe_must_be_one_of_the_named_ones() -> None:
    with pytest.raises(UnscopedPatientQuery, match="named probes"):
        existence_probe(select(Patient.id), "anything I like")


PROBE_ANSWERS: dict[str, tuple[Any, bool]] = {
    "ids": (lambda: select(Patient.id).where(Patient.mrn == "X1"), True),
    "exists": (lambda: select(exists().where(Patient.mrn == "X1")), True),
    "a comparison": (lambda: select(Patient.mrn == "X1"), True),
    "a count": (lambda: select(func.count()).select_from(Patient), True),
    "a name": (lambda: select(Patient.given_name), False),
    "a name labelled id": (lambda: select(Patient.given_name.label("id")), False),
    "a concatenation": (lambda: select(Patient.given_name + literal("")), False),
    "a scalar subquery of names": (
        lambda: select(select(Patient.given_name).limit(1).scalar_subquery()),
        False,
    ),
}


@pytest.mark.parametrize("kind", sorted(PROBE_ANSWERS))
async def test_a_probe_answers_only_yes_no_or_ids(
    sessionmaker: async_sessionmaker[AsyncSession], chart: PatientWithTeam, kind: str
) -> None:
    make, allowed = PROBE_ANSWERS[kind]
    stmt = existence_probe(make(), "MRN uniqueness")
    async with sessionmaker() as session:
        if allowed:
            await session.execute(stmt)
        else:
            with pytest.raises(UnscopedPatientQuery, match="yes/no or ids"):
                await session.execute(stmt)


async def test_a_probe_only_reads(
    sessionmaker: async_sessionmaker[AsyncSession], chart: PatientWithTeam
) -> None:
    stmt = existence_probe(update(Patient).values(preferred_name="Mo"), "MRN uniqueness")
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery):
            await session.execute(stmt)


async def test_an_access_decision_only_reads(
    sessionmaker: async_sessionmaker[AsyncSession], chart: PatientWithTeam
) -> None:
    async with sessionmaker() as session:
        found = await session.scalar(
            access_decision(select(Patient.id).where(Patient.id == chart.patient.id))
        )
        assert found == chart.patient.id
        with pytest.raises(UnscopedPatientQuery, match="only reads"):
            await session.execute(access_decision(update(Patient).values(preferred_name="Mo")))


async def test_the_audit_writer_scope_reaches_only_the_audit_log(
    sessionmaker: async_sessionmaker[AsyncSession], chart: PatientWithTeam
) -> None:
    tail = select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)
    async with sessionmaker() as session:
        await session.execute(audit_append(tail))
        refused = [
            select(Patient.id),
            update(AuditEvent).values(detail="rewritten"),
            insert(AuditEvent).from_select(["id"], select(func.max(Patient.created_at))),
        ]
        for stmt in refused:
            with pytest.raises(UnscopedPatientQuery, match="audit"):
                await session.execute(audit_append(stmt))


# -- require_patient -----------------------------------------------------------------------


async def test_require_patient_without_a_relationship_is_404_and_the_refusal_outlives_rollback(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    outsider: User,
) -> None:
    before = await factory.last_audit_id()
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await prove(session, factory, outsider, chart.patient, Capability.read_chart)
        await session.rollback()  # what the request's session dependency does on an error
        await keep_refused_attempts(session)
    events = await factory.audit_events(after=before)
    assert [(e.record_type, e.outcome, e.user_id) for e in events] == [
        ("AccessRefused", 4, outsider.id)
    ]
    # On the patient's own access log: their lead and the privacy officer see who tried. The
    # outsider reads no audit log, so this tells them nothing.
    assert events[0].record_id == str(chart.patient.id)
    assert events[0].patient_id == chart.patient.id


async def test_a_refusal_for_a_patient_who_does_not_exist_names_no_patient(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, outsider: User
) -> None:
    before = await factory.last_audit_id()
    nobody = uuid.uuid4()
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await require_patient(
                session, factory.context_for(outsider), nobody, capability=Capability.read_chart
            )
        await session.rollback()
        await keep_refused_attempts(session)
    (event,) = await factory.audit_events(after=before)
    assert (event.record_id, event.patient_id) == (str(nobody), None)


async def test_require_patient_on_the_team_without_the_capability_is_403_naming_it(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    partner: User,
) -> None:
    before = await factory.last_audit_id()
    async with sessionmaker() as session:
        with pytest.raises(NotPermitted) as refused:
            await prove(session, factory, partner, chart.patient, Capability.read_measurements)
        await session.rollback()
        await keep_refused_attempts(session)
    assert refused.value.status == 403
    assert refused.value.extra == {"capability": "read_measurements"}
    events = await factory.audit_events(after=before)
    assert [(e.record_type, e.outcome, e.patient_id) for e in events] == [
        ("AccessRefused", 4, chart.patient.id)
    ]


async def test_require_patient_asks_the_database_once_per_patient_and_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
    engine: AsyncEngine,
) -> None:
    async with sessionmaker() as session:
        with statements_on(engine) as first:
            await prove(session, factory, care_manager, chart.patient, Capability.read_chart)
        with statements_on(engine) as second:
            await prove(session, factory, care_manager, chart.patient, Capability.read_safety)
        assert [s for s in first if "patient" in s.lower()]
        assert second == []
        await session.commit()
        with statements_on(engine) as after_commit:
            await prove(session, factory, care_manager, chart.patient, Capability.read_chart)
        assert [s for s in after_commit if "patient" in s.lower()]


async def test_a_grant_whose_holders_role_may_no_longer_break_the_glass_gives_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    # Broken as a care manager, then moved to peer support (which may not break the glass).
    holder = await factory.user(role="peer_specialist")
    await break_glass(factory, chart.patient, holder)
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await prove(session, factory, holder, chart.patient)


async def test_a_live_grant_gives_emergency_read_access(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    holder = await factory.user(role="therapist")
    await break_glass(factory, chart.patient, holder)
    async with sessionmaker() as session:
        access = await prove(session, factory, holder, chart.patient, Capability.read_safety)
        assert access.is_emergency and access.purpose == "BTG"


async def test_an_expired_grant_gives_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    holder = await factory.user(role="therapist")
    await break_glass(factory, chart.patient, holder, minutes=-1)
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await prove(session, factory, holder, chart.patient)


async def test_an_ended_membership_gives_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    former = await factory.user(role="therapist")
    await factory.member(chart.patient, former, role="therapist", status="inactive")
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await prove(session, factory, former, chart.patient)


async def test_a_membership_starting_tomorrow_gives_nothing_yet(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    clock: FrozenClock,
) -> None:
    newcomer = await factory.user(role="therapist")
    tomorrow = clock.today() + timedelta(days=1)
    await factory.member(chart.patient, newcomer, role="therapist", start_date=tomorrow)
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await prove(session, factory, newcomer, chart.patient)


async def test_a_patient_entered_in_error_is_404_even_for_the_lead(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, care_manager: User
) -> None:
    hidden = await factory.patient(lead=care_manager, status="entered-in-error")
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await prove(session, factory, care_manager, hidden.patient)


# -- statements built once: the scope's values come from the guard -----------------------


async def test_a_statement_built_once_runs_for_each_proof_with_its_own_patient(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    other = await factory.patient()
    await factory.member(other.patient, care_manager, role="care_manager")
    built = patient_filter(select(Patient.id), Patient.id)
    async with sessionmaker() as session:
        for patient in (chart.patient, other.patient):
            access = await prove(session, factory, care_manager, patient)
            rows = await session.execute(built, execution_options=as_proven(access))
            assert list(rows.scalars()) == [patient.id]


async def test_a_statement_built_once_without_its_proof_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    built = patient_filter(select(Patient.id), Patient.id)
    async with sessionmaker() as session:
        await prove(session, factory, care_manager, chart.patient)
        with pytest.raises(UnscopedPatientQuery, match="without its proof"):
            await session.execute(built)


async def test_a_caller_cannot_name_the_patient_or_the_caller_a_scope_filters_on(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    other = await factory.patient()
    ctx = factory.context_for(care_manager)
    mine = caseload_filter(select(Patient.id), Patient.id, emergency=True)
    one = patient_filter(select(Patient.id), Patient.id)
    async with sessionmaker() as session:
        access = await prove(session, factory, care_manager, chart.patient)
        with pytest.raises(UnscopedPatientQuery, match="may not name its scope's"):
            await session.execute(
                one, {"scope_patient": other.patient.id}, execution_options=as_proven(access)
            )
        with pytest.raises(UnscopedPatientQuery, match="may not name its scope's"):
            await session.execute(
                mine, {"relationship_user": other.lead.id}, execution_options=as_caller(ctx)
            )
        # Run as built, each answers the proven patient, the caller's caseload.
        rows = await session.execute(one, execution_options=as_proven(access))
        assert list(rows.scalars()) == [chart.patient.id]
        rows = await session.execute(mine, execution_options=as_caller(ctx))
        assert list(rows.scalars()) == [chart.patient.id]


async def test_a_caseload_statement_needs_its_caller_and_the_callers_kind_of_relationship(
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    chart: PatientWithTeam,
    care_manager: User,
) -> None:
    peer = await factory.user(role="peer_specialist")
    await factory.member(chart.patient, peer, role="peer_specialist")
    with_grants = caseload_filter(select(Patient.id), Patient.id, emergency=True)
    without = caseload_filter(select(Patient.id), Patient.id, emergency=False)
    async with sessionmaker() as session:
        with pytest.raises(UnscopedPatientQuery, match="without its caller"):
            await session.execute(with_grants)
        # A peer specialist may not break the glass: a statement that counts grants is not theirs.
        peer_ctx = factory.context_for(peer)
        with pytest.raises(UnscopedPatientQuery, match="another role"):
            await session.execute(with_grants, execution_options=as_caller(peer_ctx))
        rows = await session.execute(without, execution_options=as_caller(peer_ctx))
        assert list(rows.scalars()) == [chart.patient.id]
        # And a care manager's live grant would be missed by one that does not.
        cm_ctx = factory.context_for(care_manager)
        with pytest.raises(UnscopedPatientQuery, match="another role"):
            await session.execute(without, execution_options=as_caller(cm_ctx))


async def test_a_caseload_statement_built_once_counts_a_live_emergency_grant(
    sessionmaker: async_sessionmaker[AsyncSession], factory: Factory, chart: PatientWithTeam
) -> None:
    holder = await factory.user(role="therapist")
    built = caseload_filter(select(Patient.id), Patient.id, emergency=True)
    async with sessionmaker() as session:
        ctx = factory.context_for(holder)
        assert list((await session.execute(built, execution_options=as_caller(ctx))).all()) == []
    await break_glass(factory, chart.patient, holder)
    async with sessionmaker() as session:
        rows = await session.execute(built, execution_options=as_caller(ctx))
        assert list(rows.scalars()) == [chart.patient.id]

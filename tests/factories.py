"""Small async factories for test data, and authenticated HTTP clients.

Every helper writes through a short-lived session of the runtime's sessionmaker and commits it,
so what it makes is visible to the requests that follow (inside the test's outer transaction).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.snapshots import (
    PatientRecord,
    account_record,
    all_patient_data,
    assert_account_unchanged,
    assert_unchanged,
    patient_record,
)

from tandem.access.context import AccessContext
from tandem.access.scope import mark_system
from tandem.assessments import service as assessments
from tandem.assessments.schemas import (
    AssessmentCreate,
    AssessmentRead,
    NeedCreate,
    ResponseCreate,
    ResponseRead,
)
from tandem.assessments.service import comprehensive, needs
from tandem.audit.checkpoints import CheckpointLog
from tandem.audit.models import AuditEvent
from tandem.audit.verify import Report, verify
from tandem.auth.models import UserSession
from tandem.auth.passwords import verify_password
from tandem.auth.secrets import digest
from tandem.auth.service import issue_token
from tandem.careplans import service as careplans
from tandem.careplans.schemas import (
    ActivityCreate,
    AgreementCreate,
    AgreementRead,
    GoalCreate,
    PlanCreate,
    PlanRead,
    Responsible,
)
from tandem.careplans.service import agreements as careplan_agreements
from tandem.careplans.service import goals as careplan_goals
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.clock import Clock
from tandem.deps import SESSION_COOKIE
from tandem.people.models import Organization, Patient, PatientIdentifier, RelatedPerson, User
from tandem.people.rules import search_name
from tandem.runtime import Runtime

PASSWORD = "correct-horse-battery"
BASE_URL = "http://testserver"
_counter = itertools.count(1)


@functools.cache
def password_hash() -> str:
    """Argon2 is slow on purpose: hash the shared test password once per run, with light
    parameters; verification reads them from the hash, so every sign-in in the tests is quick."""
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    hashed = light.hash(PASSWORD)
    assert verify_password(hashed, PASSWORD)
    return hashed


PHQ_CODES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


def phq9_answers(total: int, *, item9: int = 0) -> dict[str, str]:
    """PHQ-9 answers that add up to ``total`` with item 9 answered ``item9`` (0-3)."""
    assert 0 <= item9 <= 3 and item9 <= total <= 24 + item9
    left = total - item9
    answers = {}
    for item in range(1, 9):
        value = min(3, left)
        answers[str(item)] = PHQ_CODES[value]
        left -= value
    answers["9"] = PHQ_CODES[item9]
    return answers


# A social-needs screen positive for housing and food, negative elsewhere.
SOCIAL_NEEDS_POSITIVE = {
    "living": "LA31994-9",
    "housing-problems": ["LA9-3"],
    "food-worry": "LA28397-0",
    "food-last": "LA6729-3",
    "transport": "LA32-8",
    "utilities": "LA32-8",
    "safety-hurt": "LA6270-8",
    "safety-insult": "LA6270-8",
    "safety-threaten": "LA6270-8",
    "safety-scream": "LA6270-8",
}


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


@dataclass
class PatientWithTeam:
    patient: Patient
    lead: User
    lead_membership: CareTeamMember


class Factory:
    """Makes organisations, users, patients with care teams, related persons, enrolments."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    @contextlib.asynccontextmanager
    async def system_session(self) -> AsyncIterator[AsyncSession]:
        """A session the access guard trusts, as an operator's job would have: test set-up and
        assertions read and write any patient's rows."""
        async with self.sessionmaker() as session:
            mark_system(session, "test factory")
            yield session

    async def _save(self, *rows: Any) -> None:
        async with self.system_session() as session:
            session.add_all(rows)
            await session.commit()

    async def organisation(
        self, *, name: str | None = None, kind: str = "primary_care", timezone: str | None = None
    ) -> Organization:
        org = Organization(
            id=uuid.uuid4(),
            name=name or unique("Riverside Clinic "),
            kind=kind,
            timezone=timezone,
            active=True,
            created_at=self.clock.now(),
        )
        await self._save(org)
        return org

    async def user(
        self,
        *,
        role: str = "care_manager",
        username: str | None = None,
        full_name: str | None = None,
        organization: Organization | None = None,
        active: bool = True,
        must_change_password: bool = False,
    ) -> User:
        name = username or unique(role.replace("_", "-") + "-")
        user = User(
            id=uuid.uuid4(),
            username=name,
            full_name=full_name or f"Test {name.title()}",
            role=role,
            organization_id=organization.id if organization else None,
            email=f"{name}@example.org",
            password_hash=password_hash(),
            active=active,
            must_change_password=must_change_password,
            failed_logins=0,
            created_at=self.clock.now(),
        )
        await self._save(user)
        return user

    async def patient(
        self,
        *,
        lead: User | None = None,
        given_name: str = "Maria",
        family_name: str | None = None,
        preferred_name: str | None = None,
        birth_date: date = date(1980, 5, 17),
        gender: str = "female",
        mrn: str | None = None,
        status: str = "active",
    ) -> PatientWithTeam:
        """A patient with a lead care manager (made if not given)."""
        lead = lead or await self.user(role="care_manager")
        now = self.clock.now()
        family = family_name or unique("Garcia")
        patient = Patient(
            id=uuid.uuid4(),
            mrn=mrn or f"T{uuid.uuid4().int % 10**10:010d}",
            given_name=given_name,
            family_name=family,
            preferred_name=preferred_name,
            search_name=search_name(given_name, family, preferred_name),
            birth_date=birth_date,
            gender=gender,
            preferred_language="English",
            interpreter_needed=False,
            contact_preference="phone",
            status=status,
            created_at=now,
            updated_at=now,
        )
        await self._save(patient)
        membership = await self.member(patient, lead, role="lead_care_manager")
        return PatientWithTeam(patient=patient, lead=lead, lead_membership=membership)

    async def member(
        self,
        patient: Patient,
        user: User | None = None,
        *,
        role: str = "primary_care_provider",
        related_person: RelatedPerson | None = None,
        start_date: date | None = None,
        status: str = "active",
    ) -> CareTeamMember:
        member = CareTeamMember(
            id=uuid.uuid4(),
            patient_id=patient.id,
            role=role,
            user_id=user.id if user else None,
            related_person_id=related_person.id if related_person else None,
            organization_id=user.organization_id if user else None,
            start_date=start_date or self.clock.today() - timedelta(days=30),
            status=status,
            created_at=self.clock.now(),
        )
        await self._save(member)
        return member

    async def related_person(
        self,
        patient: Patient,
        *,
        name: str = "Ana Garcia",
        relationship: str = "sibling",
        phone: str | None = "+1 555 010 2030",
        start_date: date | None = None,
    ) -> RelatedPerson:
        person = RelatedPerson(
            id=uuid.uuid4(),
            patient_id=patient.id,
            name=name,
            relationship=relationship,
            phone=phone,
            is_emergency_contact=True,
            start_date=start_date or self.clock.today() - timedelta(days=30),
            status="active",
            created_at=self.clock.now(),
        )
        await self._save(person)
        return person

    async def managed_by(self, patient: Patient, organization: Organization) -> None:
        """The patient's managing organisation (as registering at a clinic sets it)."""
        async with self.system_session() as session:
            row = await session.get(Patient, patient.id)
            assert row is not None
            row.managing_organization_id = organization.id
            await session.commit()
        patient.managing_organization_id = organization.id

    async def enrolment(
        self,
        patient: Patient,
        *,
        programme: str = "Collaborative care - depression and anxiety",
        phase: str = "active",
        start_date: date | None = None,
    ) -> Enrolment:
        now = self.clock.now()
        enrolment = Enrolment(
            id=uuid.uuid4(),
            patient_id=patient.id,
            programme=programme,
            phase=phase,
            start_date=start_date or self.clock.today() - timedelta(days=20),
            status="active",
            created_at=now,
            updated_at=now,
        )
        await self._save(enrolment)
        return enrolment

    async def identifier(
        self, patient: Patient, *, system: str = "medicaid", value: str | None = None
    ) -> PatientIdentifier:
        identifier = PatientIdentifier(
            id=uuid.uuid4(),
            patient_id=patient.id,
            system=system,
            value=value or unique("MCD-4410-"),
            status="active",
            created_at=self.clock.now(),
        )
        await self._save(identifier)
        return identifier

    async def token(self, user: User, *, days: int = 90) -> str:
        """A bearer token for ``user``, issued the way ``tandem token issue`` does."""
        async with self.system_session() as session:
            db_user = await session.get(User, user.id)
            assert db_user is not None
            _, plain = await issue_token(
                session, user=db_user, name="tests", days=days, now=self.clock.now()
            )
            await session.commit()
        return plain

    def context_for(self, user: User) -> AccessContext:
        """What a request by ``user`` would carry."""
        return AccessContext(
            user_id=user.id,
            username=user.username,
            role=user.role,
            organization_id=user.organization_id,
            clock=self.clock,
        )

    async def response(
        self,
        patient: Patient,
        by: User,
        *,
        instrument: str = "phq-9",
        answers: dict[str, Any] | None = None,
        answered_on: date | None = None,
    ) -> ResponseRead:
        """An administered instrument, recorded through the service as ``by`` (scored, with
        its observations, alerts and needs). PHQ-9 answers default to a total of 9."""
        data = ResponseCreate(
            instrument=instrument,
            answers=answers if answers is not None else phq9_answers(9),
            answered_on=answered_on,
        )
        async with self.system_session() as session:
            read = await assessments.administer(session, self.context_for(by), patient.id, data)
            await session.commit()
        return read

    async def assessment(
        self,
        patient: Patient,
        by: User,
        *,
        response_ids: list[uuid.UUID] | None = None,
        need_ids: list[uuid.UUID] | None = None,
    ) -> AssessmentRead:
        data = AssessmentCreate(
            narrative="Low mood since losing work in the spring; sleeping poorly.",
            priorities="Getting back to work and seeing my grandchildren.",
            strengths="Close to her sister; walks every day.",
            response_ids=response_ids or [],
            need_ids=need_ids or [],
        )
        async with self.system_session() as session:
            ctx = self.context_for(by)
            read = await comprehensive.create_assessment(session, ctx, patient.id, data)
            await session.commit()
        return read

    async def care_plan(self, patient: Patient, by: User) -> PlanRead:
        """A care plan made through the service as ``by`` (a member of the team): one goal
        with one check-in call ``by`` is responsible for; the plan is at version 3."""
        ctx = self.context_for(by)
        async with self.system_session() as session:
            plan = await careplans.create_plan(session, ctx, patient.id, PlanCreate())
            plan = await careplan_goals.add_goal(
                session,
                ctx,
                patient.id,
                GoalCreate(description="I want to be back at work by the spring"),
                if_match=str(plan.version),
            )
            plan = await careplan_goals.add_activity(
                session,
                ctx,
                patient.id,
                plan.goals[0].id,
                ActivityCreate(
                    title="Weekly check-in call",
                    kind="check-in-call",
                    responsible=Responsible(kind="team_member", user_id=by.id),
                ),
                if_match=str(plan.version),
            )
            await session.commit()
        return plan

    async def care_plan_goal(self, patient: Patient, by: User) -> PlanRead:
        """One more goal on the patient's care plan, addressing a need of theirs, with two
        activities (``by`` responsible for one, the patient for the other)."""
        ctx = self.context_for(by)
        async with self.system_session() as session:
            need = await needs.add_need(
                session,
                ctx,
                patient.id,
                NeedCreate(
                    domain="food-insecurity", description="Food runs out", status="confirmed"
                ),
            )
            plan = await careplans.get_plan(session, ctx, patient.id)
            plan = await careplan_goals.add_goal(
                session,
                ctx,
                patient.id,
                GoalCreate(description="Enough to eat every day", addresses=[need.id]),
                if_match=str(plan.version),
            )
            goal_id = plan.goals[-1].id
            for responsible in (
                Responsible(kind="team_member", user_id=by.id),
                Responsible(kind="patient"),
            ):
                plan = await careplan_goals.add_activity(
                    session,
                    ctx,
                    patient.id,
                    goal_id,
                    ActivityCreate(title="Food bank", kind="referral", responsible=responsible),
                    if_match=str(plan.version),
                )
            await session.commit()
        return plan

    async def care_plan_agreement(self, patient: Patient, by: User) -> AgreementRead:
        """The patient's agreement to the plan as it now is, recorded by ``by``."""
        ctx = self.context_for(by)
        async with self.system_session() as session:
            plan = await careplans.get_plan(session, ctx, patient.id)
            agreed = await careplan_agreements.record_agreement(
                session, ctx, patient.id, AgreementCreate(version=plan.version, method="in-person")
            )
            await session.commit()
        return agreed

    # -- reading back, for assertions ------------------------------------------------------

    async def audit_events(
        self, *, patient_id: uuid.UUID | None = None, after: int = 0
    ) -> list[AuditEvent]:
        async with self.system_session() as session:
            stmt = select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)
            if patient_id is not None:
                stmt = stmt.where(AuditEvent.patient_id == patient_id)
            return list((await session.execute(stmt)).scalars())

    async def last_audit_id(self) -> int:
        async with self.system_session() as session:
            return int(await session.scalar(select(func.max(AuditEvent.id))) or 0)

    async def patient_record(
        self, patient: Patient | uuid.UUID, *, trail: bool = False
    ) -> PatientRecord:
        """Every row of the patient's data (``tests.snapshots``), read as an operator job would."""
        patient_id = patient if isinstance(patient, uuid.UUID) else patient.id
        async with self.system_session() as session:
            return await patient_record(session, patient_id, trail=trail)

    async def all_patient_data(self, *, trail: bool = False) -> PatientRecord:
        """Every row of every patient's data (``tests.snapshots``), read as an operator job."""
        async with self.system_session() as session:
            return await all_patient_data(session, trail=trail)

    @contextlib.asynccontextmanager
    async def unchanged(self, *patients: Patient | uuid.UUID) -> AsyncIterator[None]:
        """Each named patient's whole record, or all patient data when none is named, is as it
        was when the block began: for a request that is refused or rolled back."""
        if not patients:
            everything = await self.all_patient_data()
            yield
            assert_unchanged(everything, await self.all_patient_data())
            return
        before = [await self.patient_record(patient) for patient in patients]
        yield
        for patient, record in zip(patients, before, strict=True):
            assert_unchanged(record, await self.patient_record(patient))

    async def account_record(self, user: User | uuid.UUID) -> PatientRecord:
        """The user's row, sessions and API tokens (``tests.snapshots.account_record``)."""
        user_id = user if isinstance(user, uuid.UUID) else user.id
        async with self.system_session() as session:
            return await account_record(session, user_id)

    @contextlib.asynccontextmanager
    async def account_unchanged(self, *users: User | uuid.UUID) -> AsyncIterator[None]:
        """Each user's row, sessions and API tokens are as they were when the block began."""
        before = [await self.account_record(user) for user in users]
        yield
        for user, record in zip(users, before, strict=True):
            assert_account_unchanged(record, await self.account_record(user))

    async def reload(self, model: type[Any], row_id: uuid.UUID) -> Any:
        async with self.system_session() as session:
            return (
                await session.execute(select(model).where(model.id == row_id))
            ).scalar_one_or_none()

    async def csrf_token_for(self, cookie: str) -> str:
        async with self.system_session() as session:
            value = await session.scalar(
                select(UserSession.csrf_token).where(UserSession.token_hash == digest(cookie))
            )
        assert value, "no session behind this cookie"
        return value


async def seal_and_verify(runtime: Runtime) -> Report:
    """Seal what is committed, as the server's sealer would, then verify the whole chain."""
    await runtime.sealer().seal()
    async with runtime.sessionmaker() as session:
        mark_system(session, "tandem audit verify")
        return await verify(
            session, runtime.audit_keys.secrets, CheckpointLog(runtime.settings.checkpoint_dir)
        )


def api_client(
    app: FastAPI, token: str | None = None, *, base_url: str = BASE_URL, **kwargs: Any
) -> httpx.AsyncClient:
    """An HTTP client talking to ``app`` in-process, with a bearer token if given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=base_url, headers=headers, **kwargs
    )


_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


async def login_csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    assert page.status_code == 200, page.text
    match = _LOGIN_CSRF.search(page.text)
    assert match, "the sign-in form has no login_csrf field"
    return match.group(1)


async def submit_login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    """Fill in and post the sign-in form as a browser would."""
    token = await login_csrf(client)
    return await client.post(
        "/login",
        data={"username": username, "password": password, "login_csrf": token, **extra},
    )


@dataclass
class Browser:
    """A cookie-authenticated client and the session's CSRF token."""

    client: httpx.AsyncClient
    csrf: str

    @property
    def cookie(self) -> str:
        value = self.client.cookies.get(SESSION_COOKIE)
        assert value
        return value


async def browser(factory: Factory, app: FastAPI, user: User, password: str = PASSWORD) -> Browser:
    """Sign in through the /login form; the client keeps the session cookie."""
    client = api_client(app)
    response = await submit_login(client, user.username, password)
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie, "signing in set no session cookie"
    return Browser(client=client, csrf=await factory.csrf_token_for(cookie))

"""A synthetic population loaded into the database reads back through the real services: its
trajectories are judged as their courses intend, its responses are exactly what the service
writes for the same answers, open safety alerts reach the caseload and the lead, and its care
plans read back as the service keeps them, version by version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.factories import Factory, password_hash

from tandem.access.context import AccessContext
from tandem.access.scope import mark_system
from tandem.assessments import service
from tandem.assessments.models import Observation, Response, SafetyAlert
from tandem.assessments.schemas import ResponseCreate
from tandem.assessments.service import trajectories
from tandem.careplans import service as careplans
from tandem.careplans.models import CareActivity, CarePlan, CarePlanVersion, Goal
from tandem.careplans.service import versions as plan_versions
from tandem.clock import FrozenClock
from tandem.notify.models import Notification
from tandem.notify.service import my_notifications
from tandem.people.models import User
from tandem.synth.courses import Course
from tandem.synth.loader import LoadSummary, load
from tandem.synth.network import scaled_network
from tandem.synth.population import Bundle, PopulationSpec, generate

PATIENTS = 120
SEED = 5
# Fields a fresh administration legitimately differs in: its own id, time, author and version.
_OWN = {"id", "recorded_at", "updated_at", "entered_by", "source", "version", "response_id"}


@dataclass
class Loaded:
    summary: LoadSummary
    bundles: list[Bundle]


@pytest.fixture
async def synthetic(sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Loaded:
    """``tandem synth`` in miniature: the same loader, into the test's transaction."""
    network = scaled_network(PATIENTS, SEED, as_of=clock.today(), password_hash=password_hash())
    spec = PopulationSpec("synth", SEED, SEED, PATIENTS, as_of=clock.today())
    summary = await load(
        sessionmaker, AccessContext.system(clock, reason="synth"), network, spec, batch_size=50
    )
    return Loaded(summary, list(generate(spec, network.pool)))


def _lead(bundle: Bundle) -> uuid.UUID:
    return next(
        m["user_id"]
        for m in bundle.members
        if m["role"] == "lead_care_manager" and m["status"] == "active"
    )


def _enrolled(bundle: Bundle) -> bool:
    return bool(bundle.enrolments[-1]["status"] == "active")


async def _user(sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> User:
    async with sessionmaker() as session:
        user = await session.get(User, user_id)
    assert user is not None
    return user


async def _rows(
    sessionmaker: async_sessionmaker[AsyncSession], model: type[Any], **where: Any
) -> list[Any]:
    async with sessionmaker() as session:
        mark_system(session, "test assertion")
        stmt = select(model).filter_by(**where)
        return list((await session.execute(stmt)).scalars())


def _columns(row: Any, skip: set[str]) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


async def test_every_generated_row_is_in_the_database(
    synthetic: Loaded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    expected = {
        "assessment_response": sum(len(b.history.responses) for b in synthetic.bundles),
        "observation": sum(len(b.history.observations) for b in synthetic.bundles),
        "safety_alert": sum(len(b.history.alerts) for b in synthetic.bundles),
        "notification": sum(len(b.history.notifications) for b in synthetic.bundles),
        "need": sum(len(b.history.needs) for b in synthetic.bundles),
        "need_event": sum(len(b.history.need_events) for b in synthetic.bundles),
    }
    plans = [b.plan for b in synthetic.bundles]
    expected.update(
        care_plan=sum(len(p.plans) for p in plans),
        care_plan_version=sum(len(p.versions) for p in plans),
        goal=sum(len(p.goals) for p in plans),
        care_activity=sum(len(p.activities) for p in plans),
    )
    assert {k: synthetic.summary.rows[k] for k in expected} == expected
    async with sessionmaker() as session:
        mark_system(session, "test assertion")
        for model in (
            Response,
            Observation,
            SafetyAlert,
            Notification,
            CarePlan,
            CarePlanVersion,
            Goal,
            CareActivity,
        ):
            stmt = select(func.count()).select_from(model)
            assert await session.scalar(stmt) == expected[model.__tablename__]
    assert all(count > 0 for count in expected.values())


async def test_synthetic_trajectories_are_judged_as_their_courses_intend(
    synthetic: Loaded,
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    clock: FrozenClock,
) -> None:
    judged: dict[Course, int] = {}
    for bundle in synthetic.bundles:
        if not _enrolled(bundle) or bundle.history.course is None:
            continue
        ctx = factory.context_for(await _user(sessionmaker, _lead(bundle)))
        async with sessionmaker() as session:
            read = await trajectories.trajectory(
                session, ctx, bundle.patient["id"], "phq-9", trajectories.TrajectorySettings()
            )
            await session.commit()
        phq9 = sorted(
            (r["answered_on"], r["total_score"])
            for r in bundle.history.responses
            if r["instrument"] == "phq-9"
        )
        assert [(p.on, p.score) for p in read.points] == phq9
        assert len(read.points) >= 12
        weeks = read.weeks_since_baseline
        assert weeks is not None
        course = bundle.history.course
        if course in (Course.not_improving, Course.relapsing) and weeks >= 10:
            assert read.not_improving and not read.response
        elif course == Course.improving and weeks >= 30:
            assert read.response and not read.not_improving
        else:
            continue
        judged[course] = judged.get(course, 0) + 1
    assert set(judged) == {Course.not_improving, Course.relapsing, Course.improving}


async def test_a_synthetic_response_is_what_the_service_writes_for_the_same_answers(
    synthetic: Loaded,
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
) -> None:
    """Administer each instrument's synthetic answers again through the service: the stored
    response, its observations, and any alert and notification, match column for column."""
    wanted = {"phq-9", "gad-7", "social-needs", "suicide-risk", "phq9-item9"}
    for bundle in synthetic.bundles:
        for row in bundle.history.responses:
            kind = "phq9-item9" if "phq9-item9" in row["flags"] else row["instrument"]
            if kind not in wanted:
                continue
            wanted.discard(kind)
            await _administer_again(bundle, row, sessionmaker, factory)
    assert not wanted, f"no synthetic {wanted} to compare"


async def _administer_again(
    bundle: Bundle,
    row: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
) -> None:
    ctx = factory.context_for(await _user(sessionmaker, _lead(bundle)))
    data = ResponseCreate(
        instrument=row["instrument"], answers=row["answers"], answered_on=row["answered_on"]
    )
    async with sessionmaker() as session:
        read = await service.administer(session, ctx, bundle.patient["id"], data)
        await session.commit()
    (again,) = await _rows(sessionmaker, Response, id=read.id)
    (synthetic,) = await _rows(sessionmaker, Response, id=row["id"])
    assert _columns(again, _OWN) == _columns(synthetic, _OWN)
    observed = [
        sorted(
            (_columns(o, _OWN) for o in await _rows(sessionmaker, Observation, response_id=rid)),
            key=lambda o: o["code"],
        )
        for rid in (read.id, row["id"])
    ]
    assert observed[0] == observed[1] and observed[0]
    alerts = [
        await _rows(sessionmaker, SafetyAlert, response_id=rid) for rid in (read.id, row["id"])
    ]
    assert [(a.code, a.message) for a in alerts[0]] == [(a.code, a.message) for a in alerts[1]]
    if alerts[0]:
        told = [
            await _rows(sessionmaker, Notification, created_at=at)
            for at in (alerts[0][0].raised_at, alerts[1][0].raised_at)
        ]
        skip = {"id", "created_at", "read_at", "safety_alert_id"}
        assert [_columns(n, skip) for n in told[0]] == [_columns(n, skip) for n in told[1]]
        # Each names the alert it tells of, synthetic or not.
        for notes, raised in zip(told, alerts, strict=True):
            assert {n.safety_alert_id for n in notes} == {raised[0].id}


async def test_an_open_alert_puts_the_patient_first_and_tells_the_lead(
    synthetic: Loaded,
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    client_for: Any,
    clock: FrozenClock,
) -> None:
    flagged = [
        b for b in synthetic.bundles if any(a["status"] == "active" for a in b.history.alerts)
    ]
    assert flagged, "this population should have an open safety alert"
    bundle = flagged[0]
    lead = await _user(sessionmaker, _lead(bundle))
    client: httpx.AsyncClient = await client_for(lead)
    page = (await client.get("/api/v1/patients", params={"page_size": 100})).json()
    first = page["items"][0]
    assert first["safety_alert"] is True
    mine = {b.patient["id"] for b in flagged if _lead(b) == lead.id}
    assert {uuid.UUID(i["id"]) for i in page["items"] if i["safety_alert"]} == mine
    alerts = (
        await client.get(f"/api/v1/patients/{bundle.patient['id']}/safety-alerts?active=true")
    ).json()
    assert len(alerts) == 1
    assert clock.now() - timedelta(days=14) < _parse(alerts[0]["raised_at"]) < clock.now()
    async with sessionmaker() as session:
        notes = await my_notifications(session, factory.context_for(lead))
    assert notes[0].priority == "urgent" and notes[0].read_at is None
    assert notes[0].patient_id in mine


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _with_plans(synthetic: Loaded) -> list[Bundle]:
    return [b for b in synthetic.bundles if b.plan.plans]


async def test_a_synthetic_plan_reads_back_as_the_service_keeps_it_and_prints(
    synthetic: Loaded,
    sessionmaker: async_sessionmaker[AsyncSession],
    factory: Factory,
    browser_for: Any,
) -> None:
    """The plan read through the service is what its latest version keeps (the snapshot the
    service writes for it), its versions count up from 1, the last one by who changed the plan
    last, and every team member it names is on the patient's team; its PDF prints."""
    checked = 0
    for bundle in _with_plans(synthetic)[:12]:
        ctx = factory.context_for(await _user(sessionmaker, _lead(bundle)))
        pid = bundle.patient["id"]
        async with sessionmaker() as session:
            plan = await careplans.get_plan(session, ctx, pid)
            history = await plan_versions.list_versions(session, ctx, pid)
            latest = await plan_versions.get_version(session, ctx, pid, plan.version)
            await session.commit()
        assert [v.version for v in history] == list(range(1, plan.version + 1))
        assert careplans.snapshot_of(plan) == latest.plan
        assert plan.updated_by == history[-1].changed_by
        members = {m["user_id"] for m in bundle.members if m["user_id"]}
        for goal in plan.goals:
            for activity in goal.activities:
                party = activity.responsible
                assert party.kind != "team_member" or party.user_id in members
        checked += 1
    assert checked == 12
    bundle = _with_plans(synthetic)[0]
    browser = await browser_for(await _user(sessionmaker, _lead(bundle)))
    response = await browser.client.get(f"/patients/{bundle.patient['id']}/care-plan.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")

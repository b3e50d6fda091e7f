"""The route walker's world: every route of the app, a patient with something in every list,
the people who ask (every role, on the team, outside it, with emergency access), and one call
of one route by one of them, checked against walker_spec."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import fastapi.routing
import httpx
from fastapi import FastAPI
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import ORMExecuteState, Session
from starlette.routing import BaseRoute, Mount
from tests.factories import (
    SOCIAL_NEEDS_POSITIVE,
    Browser,
    Factory,
    PatientWithTeam,
    browser,
    phq9_answers,
)
from tests.integration.walker_spec import (
    API,
    BODIES,
    HEADERS,
    PREPARE,
    QUERIES,
    OnPatient,
    Own,
    Rule,
    Staff,
)
from tests.snapshots import PatientRecord, all_patient_data, differences

from tandem.access.capabilities import AccessBasis, permissions
from tandem.access.models import BreakGlassGrant
from tandem.access.proof import Proof
from tandem.access.scope import PROOF_OPTION, PROOFS_KEY, STAFF_KEY, StaffScope, patient_owned
from tandem.audit.models import AuditEvent
from tandem.capabilities import Capability
from tandem.db import SCOPE_OPTION, Base
from tandem.ids import new_id
from tandem.notify.models import Notification
from tandem.people.models import Patient, PotentialDuplicate, User
from tandem.vocab import ProfessionalRole

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ROLES = [r.value for r in ProfessionalRole]
# Subjects reach the patient on one of these bases (or not at all).
ON_TEAM, EMERGENCY, OUTSIDE = "on the team", "emergency access", "not on the team"


# -- the routes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as the client calls it, e.g. /api/v1/patients/{patient_id}

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API + "/")

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)(?::[^}]*)?\}", self.path)


def _contexts(routes: list[BaseRoute]) -> Iterator[Any]:
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    yield from (iterate(routes) if iterate else routes)


def _walk(routes: list[BaseRoute], prefix: str) -> Iterator[Route]:
    for context in _contexts(routes):
        route = getattr(context, "original_route", context)
        if isinstance(route, Mount):
            if isinstance(route.app, FastAPI):
                yield from _walk(route.app.routes, prefix + route.path)
            continue  # static files
        for method in sorted(set(context.methods or ()) - {"HEAD", "OPTIONS"}):
            yield Route(method, prefix + context.path)


def app_routes(app: FastAPI) -> list[Route]:
    """Every (method, path) the application answers, its mounted JSON API included."""
    return list(_walk(app.routes, ""))


# -- who asks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    role: str
    basis: str
    lead: bool = False

    @property
    def name(self) -> str:
        return f"{self.role} ({'lead care manager' if self.lead else self.basis})"

    @property
    def granted(self) -> frozenset[Capability]:
        table = permissions()
        if self.basis == ON_TEAM:
            return table.patient_grants(self.role, basis=AccessBasis.care_team, is_lead=self.lead)
        if self.basis == EMERGENCY:
            return table.patient_grants(self.role, basis=AccessBasis.break_glass, is_lead=False)
        return frozenset()

    @property
    def staff(self) -> frozenset[Capability]:
        return permissions().staff_grants(self.role)


SUBJECTS = [
    Subject("care_manager", ON_TEAM, lead=True),
    *(Subject(role, basis) for role in ROLES for basis in (ON_TEAM, EMERGENCY, OUTSIDE)),
]


def expected(rule: Rule, subject: Subject) -> int | None:
    """The status the permission table promises: None for success, else 403 or 404."""
    if isinstance(rule, Own):
        return None
    if isinstance(rule, Staff):
        return None if rule.capability in subject.staff else 403
    if rule.staff is not None and rule.staff in subject.staff:
        return None
    if not subject.granted:
        return 404
    return None if rule.capability in subject.granted else 403


# -- the scene ------------------------------------------------------------------------------


@dataclass
class Scene:
    patient: Patient
    lead: User
    me: User
    ids: dict[str, Any]
    client: httpx.AsyncClient  # bearer token
    browser: Browser  # signed in through /login
    closers: list[httpx.AsyncClient] = field(default_factory=list)


TEAM_ROLE = {
    "care_manager": "social_worker",  # a second care manager on the team, not the lead
    "administrator": "social_worker",  # old data: the service no longer lets them join
    "privacy_officer": "social_worker",
}


async def build_scene(factory: Factory, app: FastAPI, subject: Subject) -> Scene:
    """A patient with something in every list, and ``subject`` related to them as declared."""
    lead = await factory.user(role="care_manager", full_name="Lena Lead")
    chart = await factory.patient(lead=lead, given_name="Walter", family_name="Walker")
    patient = chart.patient
    pcp = await factory.user(role="primary_care_provider")
    member = await factory.member(patient, pcp, role="primary_care_provider")
    person = await factory.related_person(patient)
    enrolment = await factory.enrolment(patient)
    identifier = await factory.identifier(patient)
    phq9 = await factory.response(patient, lead, answers=phq9_answers(12, item9=1))
    social = await factory.response(
        patient, lead, instrument="social-needs", answers=SOCIAL_NEEDS_POSITIVE
    )
    assessment = await factory.assessment(patient, lead, response_ids=[phq9.id])
    plan = await factory.care_plan(patient, lead)
    agreement = await factory.care_plan_agreement(patient, lead)
    org = await factory.organisation(name="Walkers' Clinic")
    joiner = await factory.user(role="therapist")
    next_lead = await factory.user(role="care_manager")
    target = await factory.user(role="therapist", full_name="Tess Target")
    grantee = await factory.user(role="therapist")
    grant = await _grant(factory, patient, grantee)
    question = await _question(factory, patient, await factory.patient(lead=grantee))

    if subject.lead:
        me = lead
    else:
        me = await factory.user(role=subject.role)
        if subject.basis == ON_TEAM:
            await factory.member(patient, me, role=TEAM_ROLE.get(subject.role, subject.role))
        elif subject.basis == EMERGENCY:
            await _grant(factory, patient, me)
        else:
            # A real user with a caseload of their own, just not this patient.
            other = await factory.patient(lead=next_lead)
            if permissions().team_grants(subject.role):
                await factory.member(other.patient, me, role=TEAM_ROLE.get(me.role, me.role))
    note = await _notification(factory, patient, me)
    ids = {
        "patient_id": patient.id,
        "mrn": patient.mrn,
        "birth_date": patient.birth_date.isoformat(),
        "today": factory.clock.today(),
        "member_id": member.id,
        "person_id": person.id,
        "enrolment_id": enrolment.id,
        "identifier_id": identifier.id,
        "response_id": phq9.id,
        "alert_id": phq9.alerts_raised[0],
        "need_id": social.needs_identified[0],
        "assessment_id": assessment.id,
        "instrument_code": "phq-9",
        "code": "phq-9",
        "notification_id": note.id,
        "grant_id": grant.id,
        "question_id": question.id,
        "user_id": target.id,
        "org_id": org.id,
        "organization_id": org.id,
        "org_name": org.name,
        "joiner_id": joiner.id,
        "next_lead_id": next_lead.id,
        "goal_id": plan.goals[0].id,
        "activity_id": plan.goals[0].activities[0].id,
        "plan_version": plan.version,
        "agreement_id": agreement.id,
        "version": 1,
        "first": 1,
        "second": plan.version,
    }
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {await factory.token(me)}"},
    )
    signed_in = await browser(factory, app, me)
    return Scene(patient, lead, me, ids, client, signed_in, [client, signed_in.client])


async def _grant(factory: Factory, patient: Patient, user: User) -> BreakGlassGrant:
    now = factory.clock.now()
    grant = BreakGlassGrant(
        id=new_id(),
        patient_id=patient.id,
        user_id=user.id,
        reason="Brought to the ED unresponsive, team unreachable",
        started_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(minutes=55),
    )
    async with factory.system_session() as session:
        session.add(grant)
        await session.commit()
    return grant


async def _question(
    factory: Factory, patient: Patient, other: PatientWithTeam
) -> PotentialDuplicate:
    """A possible duplicate waiting for the privacy officer."""
    question = PotentialDuplicate(
        id=new_id(),
        patient_id=patient.id,
        other_patient_id=other.patient.id,
        matched=["given_name", "family_name", "birth_date"],
        status="open",
        raised_at=factory.clock.now(),
    )
    async with factory.system_session() as session:
        session.add(question)
        await session.commit()
    return question


async def _notification(factory: Factory, patient: Patient, user: User) -> Notification:
    note = Notification(
        id=new_id(),
        patient_id=patient.id,
        user_id=user.id,
        kind="safety_alert",
        message="Safety alert for Walker, Walter",
        link=f"/patients/{patient.id}/safety",
        priority="urgent",
        created_at=factory.clock.now(),
    )
    async with factory.system_session() as session:
        session.add(note)
        await session.commit()
    return note


# -- watching what a request touches --------------------------------------------------------


class Watch:
    """Which patients' data the requests reached through a proof (patient or staff scope)."""

    def __init__(self) -> None:
        self.patients: set[uuid.UUID] = set()
        self.staff = False

    def __enter__(self) -> Watch:
        event.listen(Session, "do_orm_execute", self._seen)
        event.listen(Session, "before_commit", self._proven)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Session, "do_orm_execute", self._seen)
        event.remove(Session, "before_commit", self._proven)

    def _proven(self, session: Session) -> None:
        # Writes may reach a patient with no SELECT at all: the proofs held at commit tell.
        self.patients.update(session.info.get(PROOFS_KEY, {}))
        if session.info.get(STAFF_KEY):
            self.staff = True

    def _seen(self, state: ORMExecuteState) -> None:
        scope = state.execution_options.get(SCOPE_OPTION)
        proof = state.execution_options.get(PROOF_OPTION)
        if isinstance(proof, Proof):
            self.patients.add(proof.patient_id)
        elif isinstance(scope, StaffScope):
            self.staff = True

    def reset(self) -> None:
        self.patients.clear()
        self.staff = False


# -- one call -------------------------------------------------------------------------------


def fill(route: Route, ids: dict[str, Any]) -> str:
    missing = [p for p in route.params if p not in ids]
    if missing:
        raise KeyError(
            f"{route.key}: the walker does not know which record {missing} names; "
            "add it to the scene in tests/integration/walker_scene.py"
        )
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: str(ids[m.group(1)]), route.path)


async def call(route: Route, scene: Scene, url: str) -> httpx.Response:
    body = BODIES[route.key](scene.ids) if route.key in BODIES else None
    if body is not None:
        body = json.loads(json.dumps(body, default=str))
    params = QUERIES[route.key](scene.ids) if route.key in QUERIES else None
    if route.is_api:
        headers = HEADERS[route.key](scene.ids) if route.key in HEADERS else None
        if route.method in UNSAFE:
            return await scene.client.request(
                route.method, url, json=body, params=params, headers=headers
            )
        return await scene.client.request(route.method, url, params=params)
    client = scene.browser.client
    if route.method in UNSAFE:
        form = {k: str(v) for k, v in (body or {}).items()}
        form["csrf_token"] = scene.browser.csrf
        return await client.request(route.method, url, data=form, params=params)
    return await client.request(route.method, url, params=params)


SNAPSHOT_SKIP = {"audit_event", "user_session", "api_token", "sign_in_throttle"}


@dataclass(frozen=True)
class Snapshot:
    """What a write would change: every row of the patient-owned tables, column by column
    (tests.snapshots), and the rows and sum of versions of every other table but the logs."""

    patient_data: PatientRecord
    counts: dict[str, tuple[int, int]]

    def differences(self, after: Snapshot) -> list[str]:
        counted = [
            f"{name}: rows and versions {was} became {after.counts.get(name)}"
            for name, was in sorted(self.counts.items())
            if after.counts.get(name) != was
        ]
        return differences(self.patient_data, after.patient_data) + counted


async def snapshot(connection: AsyncConnection) -> Snapshot:
    parts = []
    for table in Base.metadata.sorted_tables:
        if table.name in SNAPSHOT_SKIP or table.name in patient_owned():
            continue
        versions = "COALESCE(SUM(version), 0)" if "version" in table.c else "0"
        parts.append(f"SELECT '{table.name}', COUNT(*), {versions} FROM {table.name}")
    rows = await connection.execute(text(" UNION ALL ".join(parts)))
    counts = {name: (int(count), int(total)) for name, count, total in rows}
    return Snapshot(await all_patient_data(connection), counts)


async def events_after(connection: AsyncConnection, after: int) -> list[AuditEvent]:
    rows = await connection.execute(
        select(AuditEvent.__table__).where(AuditEvent.id > after).order_by(AuditEvent.id)
    )
    return [AuditEvent(**row._mapping) for row in rows]


async def last_event(connection: AsyncConnection) -> int:
    return int(await connection.scalar(select(func.max(AuditEvent.id))) or 0)


def succeeded(route: Route, response: httpx.Response) -> bool:
    if route.is_api or route.method not in UNSAFE:
        return 200 <= response.status_code < 300 or (
            not route.is_api and response.status_code == 303
        )
    # A form that worked answers 303 (post-redirect-get); one refused re-renders with 4xx.
    location = response.headers.get("location", "")
    return response.status_code == 303 and not location.startswith("/login")


async def walk(
    route: Route,
    rule: Rule,
    subject: Subject,
    scene: Scene,
    connection: AsyncConnection,
    watch: Watch,
) -> list[str]:
    """Call ``route`` as ``subject`` inside a savepoint; what went against the spec."""
    problems: list[str] = []
    want = expected(rule, subject)
    url = fill(route, scene.ids)
    savepoint = await connection.begin_nested()
    try:
        if route.key in PREPARE:
            await connection.execute(text(PREPARE[route.key]))
        before_rows = await snapshot(connection) if want else None
        mark = await last_event(connection)
        watch.reset()
        response = await call(route, scene, url)
        events = [e for e in await events_after(connection, mark) if e.user_id == scene.me.id]
        status = response.status_code
        if status >= 500:
            return [f"{route.key}: {status}"]
        if want is None:
            if not succeeded(route, response):
                problems.append(
                    f"{route.key}: {status} where success was due {response.text[:200]}"
                )
            else:
                problems += _check_success(route, rule, scene, events, watch)
        else:
            if status != want:
                problems.append(f"{route.key}: {status} where {want} was due")
            assert before_rows is not None
            if changed := before_rows.differences(await snapshot(connection)):
                problems.append(
                    f"{route.key}: refused ({status}) but the database changed: "
                    + "; ".join(changed)
                )
            for secret in (scene.patient.mrn, scene.patient.family_name):
                if want == 404 and secret in response.text:
                    problems.append(f"{route.key}: the 404 names the hidden patient")
            problems += _check_refusal_audited(route, rule, scene, events)
    finally:
        await savepoint.rollback()
    return problems


def _served_record(route: Route, scene: Scene) -> str:
    """The record a GET serves: its last id in the path, or the patient's."""
    children = [p for p in route.params if p.endswith("_id") and p != "patient_id"]
    return str(scene.ids[children[-1]] if children else scene.patient.id)


def _check_success(
    route: Route, rule: Rule, scene: Scene, events: list[AuditEvent], watch: Watch
) -> list[str]:
    patient_id = scene.patient.id
    if isinstance(rule, Own):
        if patient_id in watch.patients:
            return [f"{route.key}: declared Own but reached the patient through a proof"]
        return []
    mine = [e for e in events if e.outcome == 0]
    if isinstance(rule, Staff):
        if rule.patient_data and not watch.staff and not watch.patients:
            return [f"{route.key}: declared to reach patients' data but never did"]
        return (
            []
            if mine or (route.method == "GET" and not rule.patient_data)
            else [f"{route.key}: succeeded without an audit event"]
        )
    on_patient = [e for e in mine if e.patient_id == patient_id]
    if patient_id not in watch.patients and not watch.staff:
        return [f"{route.key}: declared OnPatient but reached no proof of this patient"]
    if route.method in UNSAFE:
        if not any(e.action in {"C", "U", "E"} for e in on_patient):
            return [f"{route.key}: a change without an audit event of the patient"]
        return []
    served = _served_record(route, scene)
    if not any(e.record_id == served or served in _records_read(e) for e in on_patient):
        return [f"{route.key}: no audit event of the record it served ({served})"]
    return []


def _records_read(event: AuditEvent) -> set[str]:
    """The records a request's one read event of a patient names (audit.log folds them)."""
    read = json.loads(event.detail or "{}").get("read", [])
    return {str(record_id) for _, record_id in read}


def _check_refusal_audited(
    route: Route, rule: Rule, scene: Scene, events: list[AuditEvent]
) -> list[str]:
    if isinstance(rule, Own) or (isinstance(rule, OnPatient) and "patient_id" not in route.params):
        return []  # found nothing of the caller's own: nothing of anyone's to record
    capability = rule.capability.value
    for e in events:
        if e.record_type == "AccessRefused" and e.outcome == 4:
            detail = json.loads(e.detail or "{}")
            if detail.get("capability") == capability:
                return []
    return [f"{route.key}: refused without an audit event naming {capability}"]

"""A write that breaks a rule of the database answers 409 naming the rule, never 500: the
request's transaction is undone and the audit events of refused attempts are kept."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from sqlalchemy import func, select, update
from starlette.routing import Mount
from tests.factories import Factory, unique

from tandem.audit import log as audit
from tandem.db import Base
from tandem.deps import Ctx, SessionDep
from tandem.people.models import Organization, User
from tandem.web.deps import PageCtx
from tandem.web.error_handlers import CONSTRAINTS

# Unique by construction (digests of random secrets): a clash is not a user's conflict.
SECRETS = {"uq_api_token_token_hash", "uq_user_session_token_hash"}


def api_of(app: FastAPI) -> FastAPI:
    api = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    assert isinstance(api, FastAPI)
    return api


async def _write_taken_name(session: Any, ctx: Any, taken: str, *, flush: bool) -> Response:
    """Leave a refused attempt on record, then write an organisation whose name is taken, as a
    service would that forgot to check (the clash met at its flush, or only at commit)."""
    audit.record(session, ctx, action="E", record_type="AccessRefused", outcome=4)
    organisation = Organization(
        id=uuid.uuid4(), name=taken, kind="other", active=True, created_at=ctx.now()
    )
    session.add(organisation)
    if flush:
        await session.flush()
    return Response(status_code=201)


def install(app: FastAPI, taken: str) -> None:
    """POST /conflict-probe/{flush,commit} on the API and on the pages."""
    api = api_of(app)
    api_router, page_router = APIRouter(), APIRouter()

    @api_router.post("/conflict-probe/{when}")
    async def api_probe(session: SessionDep, ctx: Ctx, when: str) -> Response:
        return await _write_taken_name(session, ctx, taken, flush=when == "flush")

    @page_router.post("/conflict-probe/{when}")
    async def page_probe(session: SessionDep, ctx: PageCtx, when: str) -> Response:
        return await _write_taken_name(session, ctx, taken, flush=when == "flush")

    api.include_router(api_router)
    app.include_router(page_router)


async def assert_undone_but_refusal_kept(factory: Factory, taken: str, before: int) -> None:
    """No second organisation of that name; the refused attempt stays on record although its
    request was rolled back."""
    async with factory.system_session() as session:
        stmt = select(func.count()).select_from(Organization).where(Organization.name == taken)
        assert await session.scalar(stmt) == 1
    events = await factory.audit_events(after=before)
    assert [(e.record_type, e.outcome) for e in events] == [("AccessRefused", 4)]


@pytest.mark.parametrize("when", ["flush", "commit"])
async def test_a_unique_rule_broken_through_the_api_is_409_naming_it(
    app: FastAPI, factory: Factory, admin: User, client_for: Any, when: str
) -> None:
    taken = (await factory.organisation()).name
    install(app, taken)
    client = await client_for(admin)
    before = await factory.last_audit_id()
    response = await client.post(f"/api/v1/conflict-probe/{when}")
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == {
        "code": "conflict",
        "message": "An organisation with this name exists.",
        "field": "name",
        "constraint": "uq_organization_name",
    }
    await assert_undone_but_refusal_kept(factory, taken, before)


@pytest.mark.parametrize("when", ["flush", "commit"])
async def test_a_unique_rule_broken_from_a_page_is_a_409_page(
    app: FastAPI, factory: Factory, admin: User, browser_for: Any, when: str
) -> None:
    taken = (await factory.organisation()).name
    install(app, taken)
    browser = await browser_for(admin)
    before = await factory.last_audit_id()
    response = await browser.client.post(
        f"/conflict-probe/{when}", data={"csrf_token": browser.csrf}
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    assert "An organisation with this name exists." in response.text
    assert admin.full_name in response.text  # the page still knows who is signed in
    await assert_undone_but_refusal_kept(factory, taken, before)


async def test_a_rule_no_service_names_is_still_409_not_500(
    app: FastAPI, factory: Factory, admin: User, client_for: Any
) -> None:
    router = APIRouter()

    @router.post("/conflict-probe/unnamed")
    async def unknown_organisation(session: SessionDep, ctx: Ctx) -> None:
        # A foreign key to nothing: no uniqueness rule, no message of its own.
        session.add(
            User(
                id=uuid.uuid4(),
                username=unique("probe-"),
                full_name="Probe",
                role="care_manager",
                organization_id=uuid.uuid4(),
                password_hash="x",
                active=True,
                must_change_password=False,
                failed_logins=0,
                created_at=ctx.now(),
            )
        )
        await session.flush()

    api_of(app).include_router(router)
    response = await (await client_for(admin)).post("/api/v1/conflict-probe/unnamed")
    assert response.status_code == 409, response.text
    body = response.json()["detail"]
    assert (body["code"], body["field"]) == ("conflict", "form")


def test_every_unique_rule_of_the_database_has_words_for_its_conflict() -> None:
    import tandem.models  # noqa: F401 - every table in the metadata

    rules = set()
    for table in Base.metadata.tables.values():
        rules |= {str(i.name) for i in table.indexes if i.unique}
        rules |= {
            str(c.name)
            for c in table.constraints
            if c.__class__.__name__ == "UniqueConstraint" and c.name
        }
    assert rules - SECRETS == set(CONSTRAINTS)


async def test_a_change_that_lost_a_race_for_its_version_is_a_409_page(
    app: FastAPI, factory: Factory, admin: User, browser_for: Any
) -> None:
    target = await factory.user(role="care_manager")
    router = APIRouter()

    @router.post("/conflict-probe/stale")
    async def stale(session: SessionDep, ctx: PageCtx) -> None:
        user = await session.get(User, target.id)
        assert user is not None
        # Another request saves the same account between this one's read and its write.
        await session.execute(
            update(User).where(User.id == target.id).values(version=User.version + 1),
            execution_options={"synchronize_session": False},
        )
        user.full_name = "Lost the race"
        await session.flush()

    app.include_router(router)
    browser = await browser_for(admin)
    response = await browser.client.post("/conflict-probe/stale", data={"csrf_token": browser.csrf})
    assert response.status_code == 409
    assert "at the same moment" in response.text and admin.full_name in response.text
    assert (await factory.reload(User, target.id)).full_name != "Lost the race"

"""Administrators removing each other at the same moment still leave one administrator.

Each test takes a committed database of its own: the requests run in parallel on their own
connections, which the per-test rolled-back transaction cannot give them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.factories import Factory, api_client

from tandem.app import create_app
from tandem.audit.models import AuditEvent
from tandem.clock import FrozenClock
from tandem.config import Settings
from tandem.people.models import User
from tandem.runtime import Runtime


@pytest.mark.parametrize(
    ("administrators", "change"),
    [(2, "demote"), (10, "demote"), (10, "deactivate")],
    ids=["2-demote", "10-demote", "10-deactivate"],
)
async def test_administrators_removing_each_other_at_once_leave_at_least_one(
    backend: Any,
    settings_for: Callable[..., Settings],
    clock: FrozenClock,
    administrators: int,
    change: str,
) -> None:
    settings = settings_for(backend.fresh_database())
    runtime = Runtime.build(settings, clock=clock)
    clients: list[httpx.AsyncClient] = []
    try:
        app = create_app(settings, runtime=runtime, check_migrations=False)
        factory = Factory(runtime.sessionmaker, clock)
        admins = [await factory.user(role="administrator") for _ in range(administrators)]
        clients = [api_client(app, await factory.token(a)) for a in admins]

        async def remove_the_next(i: int) -> httpx.Response:
            # A ring: each administrator removes the next, so every one is both caller and target.
            target = admins[(i + 1) % administrators]
            if change == "demote":
                return await clients[i].patch(
                    f"/api/v1/users/{target.id}",
                    json={"version": target.version, "role": "care_manager"},
                )
            return await clients[i].post(f"/api/v1/users/{target.id}/deactivate")

        responses = await asyncio.gather(*(remove_the_next(i) for i in range(administrators)))

        statuses = [r.status_code for r in responses]
        # 403: the caller had been removed by then; 401: its account deactivated; 409: the
        # target was the last administrator.
        assert set(statuses) <= {200, 401, 403, 409}, [r.text for r in responses]
        async with factory.system_session() as session:
            remaining = await session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == "administrator", User.active.is_(True))
            )
            events = list(
                (
                    await session.execute(
                        select(AuditEvent).where(
                            AuditEvent.record_type.in_(["UserRole", "UserStatus"])
                        )
                    )
                ).scalars()
            )
        assert remaining is not None and remaining >= 1
        assert remaining == administrators - statuses.count(200)
        # Every change that went through left its event; none that was refused did.
        assert len(events) == statuses.count(200)
        assert {json.loads(e.detail or "{}")["from"] for e in events} <= {
            "administrator",
            "active",
        }
    finally:
        for client in clients:
            await client.aclose()
        await runtime.engine.dispose()

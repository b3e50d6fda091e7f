"""`tandem users set-role | deactivate | reactivate`: recovery from the command line, audited
and bound by the same separation-of-duties rules as the administration screens."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.factories import Factory, PatientWithTeam

from tandem.access.models import BreakGlassGrant
from tandem.audit.models import AuditEvent
from tandem.clock import Clock
from tandem.config import Settings
from tandem.ids import new_id
from tandem.people.models import User
from tandem.runtime import Runtime

TANDEM = Path(sys.executable).with_name("tandem")

pytestmark = pytest.mark.slow


async def tandem(url: str, *args: str) -> tuple[int, str]:
    env = {**os.environ, "TANDEM_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    process = await asyncio.create_subprocess_exec(
        str(TANDEM),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    # communicate() has read to the end; wait() gives the exit code it ended with.
    return await process.wait(), (stdout + stderr).decode()


class Committed:
    """A committed database of its own (the command runs in another process), with a clock
    that tells real time, since the command's does."""

    def __init__(self, backend: Any, settings_for: Callable[..., Settings]) -> None:
        self.url = backend.fresh_database()
        self.clock = Clock()
        self.runtime = Runtime.build(settings_for(self.url), clock=self.clock)
        self.factory = Factory(self.runtime.sessionmaker, self.clock)

    async def grant(self, chart: PatientWithTeam, holder: User) -> BreakGlassGrant:
        now = self.clock.now()
        grant = BreakGlassGrant(
            id=new_id(),
            patient_id=chart.patient.id,
            user_id=holder.id,
            reason="Patient brought to ED unresponsive, team unreachable",
            started_at=now,
            expires_at=now + timedelta(hours=1),
        )
        async with self.factory.system_session() as session:
            session.add(grant)
            await session.commit()
        return grant

    async def events(self, record_type: str) -> list[AuditEvent]:
        async with self.factory.system_session() as session:
            stmt = select(AuditEvent).where(AuditEvent.record_type == record_type)
            return list((await session.execute(stmt.order_by(AuditEvent.id))).scalars())


@pytest.fixture
async def committed(backend: Any, settings_for: Callable[..., Settings]) -> Any:
    db = Committed(backend, settings_for)
    yield db
    await db.runtime.engine.dispose()


async def test_set_role_makes_someone_administrator_when_no_one_can_sign_in_as_one(
    committed: Committed,
) -> None:
    factory = committed.factory
    await factory.user(role="administrator", active=False)
    casey = await factory.user(role="care_manager", username="casey.lead")
    chart = await factory.patient(lead=await factory.user(role="therapist"))
    grant = await committed.grant(chart, casey)

    code, output = await tandem(committed.url, "users", "set-role", "casey.lead", "administrator")
    assert code == 0, output
    assert "casey.lead: care_manager → administrator" in output

    assert (await factory.reload(User, casey.id)).role == "administrator"
    ended = await factory.reload(BreakGlassGrant, grant.id)
    assert ended.expires_at <= committed.clock.now()
    assert ended.ended_reason == "role changed from care_manager to administrator"
    [role_event] = await committed.events("UserRole")
    assert (role_event.username, role_event.purpose) == ("system:users set-role", "HOPERAT")
    assert json.loads(role_event.detail or "{}")["from"] == "care_manager"
    assert json.loads(role_event.detail or "{}")["to"] == "administrator"
    assert [e.patient_id for e in await committed.events("BreakGlass")] == [chart.patient.id]

    code, output = await tandem(committed.url, "users", "set-role", "casey.lead", "administrator")
    assert code == 0, output
    assert "already administrator" in output


async def test_the_command_line_keeps_the_last_administrator_unless_forced(
    committed: Committed,
) -> None:
    last = await committed.factory.user(role="administrator", username="ada.admin")

    code, output = await tandem(committed.url, "users", "set-role", "ada.admin", "care_manager")
    assert code == 1, output
    assert "Error (role)" in output and "last active administrator" in output
    code, output = await tandem(committed.url, "users", "deactivate", "ada.admin")
    assert code == 1, output
    assert "Error (active)" in output and "last active administrator" in output
    stored = await committed.factory.reload(User, last.id)
    assert (stored.role, stored.active) == ("administrator", True)

    code, output = await tandem(committed.url, "users", "deactivate", "ada.admin", "--force")
    assert code == 0, output
    code, output = await tandem(committed.url, "users", "reactivate", "ada.admin")
    assert code == 0, output
    assert (await committed.factory.reload(User, last.id)).active is True
    statuses = [json.loads(e.detail or "{}") for e in await committed.events("UserStatus")]
    assert [(s["from"], s["to"]) for s in statuses] == [
        ("active", "deactivated"),
        ("deactivated", "active"),
    ]

    code, output = await tandem(
        committed.url, "users", "set-role", "ada.admin", "care_manager", "--force"
    )
    assert code == 0, output
    assert (await committed.factory.reload(User, last.id)).role == "care_manager"


async def test_set_role_names_an_unknown_user_or_role(committed: Committed) -> None:
    code, output = await tandem(committed.url, "users", "set-role", "nobody", "therapist")
    assert code == 1
    assert "No such user" in output
    await committed.factory.user(role="therapist", username="theo.t")
    code, output = await tandem(committed.url, "users", "set-role", "theo.t", "wizard")
    assert code == 2
    assert "wizard" in output

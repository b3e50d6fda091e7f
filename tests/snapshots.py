"""The whole of one patient's record, row by row, to compare before and after a request.

A test that says a refused or rolled-back request "changed nothing" compares this snapshot taken
before and after it: every row of every patient-owned table (``patient_owned()``, the patient row
itself included) that names the patient, every column of it. Checking one table would miss a
write that went elsewhere.

The audit trail is left out unless asked for: a refusal is recorded there on purpose, and the
sealer fills in its chain columns later, so tests look at the events they expect separately.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

import tandem.models  # noqa: F401  (every table mapped, so patient_owned() knows them all)
from tandem.access.scope import patient_owned
from tandem.db import Base

Row = tuple[tuple[str, Any], ...]
PatientRecord = dict[str, list[Row]]
TRAIL = "audit_event"


def _patient_columns(table: Table, key: str) -> list[Any]:
    """The key column, and any other column naming a patient (``other_patient_id``)."""
    names = {key} | {c.name for c in table.c if c.name.endswith("patient_id")}
    return [table.c[name] for name in sorted(names)]


async def patient_record(
    session: AsyncSession, patient_id: uuid.UUID, *, trail: bool = False
) -> PatientRecord:
    """Every row of the patient's data as (column, value) pairs, table by table, in key order.

    ``session`` must be one the access guard trusts (``Factory.system_session``)."""
    return await _snapshot(session, patient_id, trail=trail)


async def all_patient_data(
    session: AsyncSession | AsyncConnection, *, trail: bool = False
) -> PatientRecord:
    """Every row of every patient's data, for a request that names no patient yet (a refused
    registration) or may have touched any of them (the route walker).

    ``session`` must be one the access guard trusts (``Factory.system_session``), or a bare
    connection, which the guard does not watch (the route walker's, inside its savepoint)."""
    return await _snapshot(session, None, trail=trail)


async def _snapshot(
    session: AsyncSession | AsyncConnection, patient_id: uuid.UUID | None, *, trail: bool
) -> PatientRecord:
    record: PatientRecord = {}
    for name, marker in sorted(patient_owned().items()):
        if name == TRAIL and not trail:
            continue
        table = Base.metadata.tables[name]
        stmt = select(table)
        if patient_id is not None:
            columns = _patient_columns(table, marker.key)
            stmt = stmt.where(or_(*(column == patient_id for column in columns)))
        rows = [tuple(sorted(row._mapping.items())) for row in await session.execute(stmt)]
        primary = [c.name for c in table.primary_key]
        record[name] = sorted(rows, key=lambda row: tuple(str(dict(row)[k]) for k in primary))
    return record


ACCOUNT_TABLES = (("app_user", "id"), ("user_session", "user_id"), ("api_token", "user_id"))


async def account_record(session: AsyncSession, user_id: uuid.UUID) -> PatientRecord:
    """The user's own row and what they sign in with (sessions, API tokens), every column, for
    a refused account change or sign-in: these are not patient data, so ``patient_record``
    does not see them."""
    record: PatientRecord = {}
    for name, key in ACCOUNT_TABLES:
        table = Base.metadata.tables[name]
        stmt = select(table).where(table.c[key] == user_id).order_by(table.c.id)
        record[name] = [tuple(sorted(row._mapping.items())) for row in await session.execute(stmt)]
    return record


def differences(before: PatientRecord, after: PatientRecord) -> list[str]:
    """What changed between two snapshots, one line per table, for an assertion message."""
    changed = []
    for name in sorted(set(before) | set(after)):
        # repr, because JSON columns (answers, evidence) hold unhashable values.
        was = {repr(row) for row in before.get(name, [])}
        now = {repr(row) for row in after.get(name, [])}
        if was != now:
            changed.append(f"{name}: {len(now - was)} row(s) new or changed, {len(was - now)} gone")
    return changed


def assert_unchanged(before: PatientRecord, after: PatientRecord) -> None:
    """The patient's record (or all patient data) is exactly as it was, naming the tables that
    changed if not."""
    assert after == before, "the patient's record changed: " + "; ".join(differences(before, after))


def assert_account_unchanged(before: PatientRecord, after: PatientRecord) -> None:
    """The user's row, sessions and tokens are exactly as they were."""
    assert after == before, "the account changed: " + "; ".join(differences(before, after))


def rows_of(record: PatientRecord, table: str) -> list[dict[str, Any]]:
    """One table's rows of a snapshot, as dictionaries."""
    return [dict(row) for row in record[table]]

"""Every query of the audit trail: one patient's log (their care team, the privacy officer,
the patient), and the privacy officer's search across all of it.

The searches are keyset-paginated, newest first, on (recorded_at, id): the indexes of the same
columns serve them without counting or skipping rows (an OFFSET would read every row it skips).
The outcome and purpose are written into the SQL as literals, not parameters, so that the
planner can match the partial indexes of refused attempts and emergency access.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, distinct, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.proof import PatientAccess, StaffAccess
from tandem.access.scope import scoped_for_staff, scoped_to_patient
from tandem.audit.models import AuditEvent
from tandem.errors import ValidationProblem
from tandem.people.models import Patient, User
from tandem.privacy.search import (
    OutcomeFilter,
    Period,
    Phase,
    Position,
    TrailFilter,
)

S = TypeVar("S", bound=Select[*tuple[Any, ...]])

# The privacy officer's duplicate questions: the care team and the patient never see them,
# since that a question exists would tell them a record they cannot see matches the patient.
DUPLICATE_QUESTION = "PotentialDuplicate"


def _literal(value: object) -> Any:
    return literal(value, literal_execute=True)


# The partial indexes' predicates (AuditEvent.__table_args__) as the planner must see them in
# a query: `outcome <> 0` is matched by `outcome != 0` with a literal 0, never by a parameter.
REFUSED: ColumnElement[bool] = AuditEvent.outcome != _literal(0)
SUCCEEDED: ColumnElement[bool] = AuditEvent.outcome == _literal(0)
NEWEST_FIRST = (AuditEvent.recorded_at.desc(), AuditEvent.id.desc())


def _before(position: Position) -> ColumnElement[bool]:
    """Events after ``position`` in newest-first order."""
    return tuple_(AuditEvent.recorded_at, AuditEvent.id) < tuple_(
        literal(position.recorded_at, AuditEvent.recorded_at.type),
        literal(position.id, AuditEvent.id.type),
    )


def _in_period(stmt: S, period: Period) -> S:
    if period.start is not None:
        stmt = stmt.where(AuditEvent.recorded_at >= period.start)
    if period.end is not None:
        stmt = stmt.where(AuditEvent.recorded_at < period.end)
    return stmt


# -- one patient's log ----------------------------------------------------------------------


@dataclass(frozen=True)
class LogScope:
    """Who reads one patient's log and through what: the lead care manager's proof, or the
    privacy officer's staff access; ``questions`` whether the duplicate questions show."""

    patient_id: uuid.UUID
    access: PatientAccess | StaffAccess
    questions: bool

    @property
    def any_patient(self) -> bool:
        """Read with the staff capability to read any patient's log (the privacy officer's)."""
        return isinstance(self.access, StaffAccess)

    def apply(self, stmt: S) -> S:
        if not self.questions:
            stmt = stmt.where(AuditEvent.record_type != DUPLICATE_QUESTION)
        if isinstance(self.access, StaffAccess):
            return scoped_for_staff(
                stmt.where(AuditEvent.patient_id == self.patient_id), self.access
            )
        return scoped_to_patient(stmt, self.access, AuditEvent.patient_id)

    def hiding_questions(self) -> LogScope:
        return LogScope(self.patient_id, self.access, questions=False)


async def patient_registered(session: AsyncSession, scope: LogScope) -> bool:
    """Whether the patient of a log read with staff access is registered at all."""
    assert isinstance(scope.access, StaffAccess)
    stmt = select(Patient.id).where(Patient.id == scope.patient_id)
    return await session.scalar(scoped_for_staff(stmt, scope.access)) is not None


async def patient_id_by_mrn(
    session: AsyncSession, staff: StaffAccess, mrn: str
) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        scoped_for_staff(select(Patient.id).where(Patient.mrn == mrn.strip().upper()), staff)
    )
    return found


async def log_count(session: AsyncSession, scope: LogScope) -> int:
    return int(await session.scalar(scope.apply(select(func.count()).select_from(AuditEvent))) or 0)


async def log_page(
    session: AsyncSession, scope: LogScope, *, offset: int, limit: int
) -> list[AuditEvent]:
    stmt = scope.apply(select(AuditEvent)).order_by(AuditEvent.id.desc())
    return list((await session.scalars(stmt.offset(offset).limit(limit))).all())


async def who_looked(
    session: AsyncSession, scope: LogScope, *, after: Position | None, limit: int
) -> list[Any]:
    """The patient's view: successful accesses by people (no operators' jobs), newest first,
    with the name of who acted; one more row than ``limit`` tells there is more."""
    stmt = (
        select(
            AuditEvent.id,
            AuditEvent.recorded_at,
            AuditEvent.role,
            AuditEvent.action,
            AuditEvent.purpose,
            User.full_name,
        )
        .join(User, User.id == AuditEvent.user_id)
        .where(SUCCEEDED)
    )
    stmt = scope.hiding_questions().apply(stmt)
    if after is not None:
        stmt = stmt.where(_before(after))
    return list((await session.execute(stmt.order_by(*NEWEST_FIRST).limit(limit + 1))).all())


# -- the privacy officer's search ---------------------------------------------------------


def filtered(stmt: S, trail: TrailFilter, outcome: OutcomeFilter | None) -> S:
    """``stmt`` limited to the events the search's filters match (with ``outcome`` for the
    search's own, or for the stretch of a refused-first search being read)."""
    if trail.patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == trail.patient_id)
    if trail.username is not None:
        stmt = stmt.where(AuditEvent.username == trail.username)
    if outcome == OutcomeFilter.refused:
        stmt = stmt.where(REFUSED)
    elif outcome == OutcomeFilter.success:
        stmt = stmt.where(SUCCEEDED)
    if trail.purpose is not None:
        stmt = stmt.where(AuditEvent.purpose == _literal(trail.purpose.value))
    if trail.action is not None:
        stmt = stmt.where(AuditEvent.action == trail.action.value)
    return _in_period(stmt, trail.period)


@dataclass(frozen=True)
class TrailRow:
    phase: Phase
    event: AuditEvent
    patient_mrn: str | None

    @property
    def position(self) -> Position:
        return Position(self.phase, self.event.recorded_at, self.event.id)


def _phases(trail: TrailFilter, refused_first: bool) -> list[tuple[Phase, OutcomeFilter | None]]:
    if refused_first and trail.outcome is None:
        return [(Phase.refused, OutcomeFilter.refused), (Phase.rest, OutcomeFilter.success)]
    return [(Phase.all, trail.outcome)]


async def trail_page(
    session: AsyncSession,
    staff: StaffAccess,
    trail: TrailFilter,
    *,
    refused_first: bool,
    after: Position | None,
    limit: int,
) -> tuple[list[TrailRow], Position | None]:
    """A page of the search, and where the next one starts (None after the last).

    Refused first reads the refused attempts, then the rest, each newest first on its own
    index; a page that straddles the two asks both."""
    rows: list[TrailRow] = []
    phases = _phases(trail, refused_first)
    if after is not None:
        names = [phase for phase, _ in phases]
        if after.phase not in names:
            raise ValidationProblem(
                "This position belongs to another ordering; start from the first page.",
                field="cursor",
            )
        phases = phases[names.index(after.phase) :]
    for index, (phase, outcome) in enumerate(phases):
        position = after if index == 0 else None
        stmt = filtered(
            select(AuditEvent, Patient.mrn).outerjoin(Patient, Patient.id == AuditEvent.patient_id),
            trail,
            outcome,
        )
        if position is not None:
            stmt = stmt.where(_before(position))
        stmt = stmt.order_by(*NEWEST_FIRST).limit(limit + 1 - len(rows))
        found = (await session.execute(scoped_for_staff(stmt, staff))).all()
        rows += [TrailRow(phase, event, mrn) for event, mrn in found]
        if len(rows) > limit:
            break
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].position
    return rows, None


async def refused_by_user(
    session: AsyncSession, staff: StaffAccess, period: Period, *, limit: int
) -> list[Any]:
    """Per username and role, the refused attempts in ``period``: how many, how many distinct
    patients and record ids they named, the first and the last; the most refused first."""
    attempts = _in_period(
        select(
            AuditEvent.username,
            AuditEvent.role,
            func.count().label("refused"),
            func.count(distinct(AuditEvent.patient_id)).label("patients"),
            func.count(distinct(AuditEvent.record_id)).label("records"),
            func.min(AuditEvent.recorded_at).label("first_at"),
            func.max(AuditEvent.recorded_at).label("last_at"),
        ).where(REFUSED),
        period,
    ).group_by(AuditEvent.username, AuditEvent.role)
    per_user = attempts.subquery("per_user")
    stmt = (
        select(per_user, User.full_name)
        .outerjoin(User, User.username == per_user.c.username)
        .order_by(
            per_user.c.refused.desc(),
            per_user.c.records.desc(),
            per_user.c.last_at.desc(),
            per_user.c.username,
        )
        .limit(limit)
    )
    return list((await session.execute(scoped_for_staff(stmt, staff))).all())

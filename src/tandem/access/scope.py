"""The one choke point for patient data: scoped statements and the guard that enforces them.

A model whose rows are a patient's data carries ``__patient_owned__ = PatientData(...)``. Every
statement that reaches such a table — SELECT, INSERT, UPDATE, DELETE or raw SQL — must carry a
scope this module made, and the scope must be backed by a proof minted in the same session:

* :func:`scoped_to_patient` — rows of one patient, with the :class:`PatientAccess` that
  ``access.service.require_patient`` returned; every patient table the statement reaches must be
  filtered to that patient, and the proof must grant a capability that reads each table. The
  filters apply to the statement's own FROM list: an alias of a table needs its own, and a
  patient table inside a subquery (EXISTS, IN, a CTE, a derived table) is refused;
* :func:`scoped` — the caller's own care relationships (a caseload), limited to the tables the
  caller's role may read on a team;
* :func:`scoped_for_staff` — a staff review (emergency access, the privacy officer's log, the
  duplicates queue) with the :class:`StaffAccess` of that capability, limited to its tables;
* :func:`existence_probe` — a named yes/no or ids-only lookup for uniqueness checks;
* sessions an operator's command-line job opened with :func:`mark_system`.

SQL text naming a patient table (``text()``, ``literal_column()``) is refused outside a system
session, alone or inside a statement. Flushed changes are checked too: a new or changed row of
patient data needs a proof that lets the user write something for that patient, no row of
patient data is ever deleted, and the legacy bulk methods (which skip the flush) are refused.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy import ColumnElement, Select, event, exists, false, func, inspect, or_, select
from sqlalchemy.orm import InstrumentedAttribute, ORMExecuteState, Session, aliased
from sqlalchemy.sql import Executable, TextClause, operators
from sqlalchemy.sql.elements import BinaryExpression, ColumnClause, Label
from sqlalchemy.sql.selectable import (
    AliasedReturnsRows,
    Exists,
    ScalarSelect,
    SelectBase,
    TableClause,
)
from sqlalchemy.sql.util import find_tables

from tandem.access.capabilities import Capability, PatientData, permissions
from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.access.proof import PatientAccess, Proof, StaffAccess
from tandem.careteams.models import CareTeamMember
from tandem.db import SYSTEM_SESSION, Base

SCOPE_OPTION = "tandem_scope"
PROOFS_KEY = "tandem_proofs"
STAFF_KEY = "tandem_staff_access"
SYSTEM_KEY = SYSTEM_SESSION
T = TypeVar("T", bound=Executable)
F = TypeVar("F", bound="Filterable")


class Filterable(Protocol):
    """A statement that can be filtered: SELECT, UPDATE, DELETE."""

    def where(self, *whereclause: Any) -> Self: ...

    def execution_options(self, **options: Any) -> Self: ...


class UnscopedPatientQuery(RuntimeError):
    """A statement reached patient data without a proof of access."""


# -- the tables ----------------------------------------------------------------------------


def patient_owned() -> dict[str, PatientData]:
    """Every table that holds patient data, with its marker."""
    mappers = Base.registry.mappers
    # The guard asks on every statement; recompute only when a model has been mapped since.
    if _owned_cache.get("mappers") != len(mappers):
        found: dict[str, PatientData] = {}
        for mapper in mappers:
            marker = getattr(mapper.class_, "__patient_owned__", None)
            if isinstance(marker, PatientData):
                found[str(getattr(mapper.local_table, "name", ""))] = marker
        _owned_cache["mappers"] = len(mappers)
        _owned_cache["tables"] = found
    tables: dict[str, PatientData] = _owned_cache["tables"]
    return tables


_owned_cache: dict[str, Any] = {}


def patient_owned_tables() -> frozenset[str]:
    """Names of every table that holds patient data."""
    return frozenset(patient_owned())


def patient_key(model: type[Any]) -> InstrumentedAttribute[Any]:
    """The column of ``model`` that says whose data a row is."""
    marker: PatientData = model.__patient_owned__
    column: InstrumentedAttribute[Any] = getattr(model, marker.key)
    return column


# -- scopes (the values of the SCOPE_OPTION execution option) -------------------------------


@dataclass(frozen=True, eq=False)
class PatientScope:
    proof: Proof
    tables: frozenset[str]
    # The FROM items the filters apply to: (table, None), or (table, alias) for an alias.
    froms: frozenset[tuple[str, str | None]] = frozenset()


@dataclass(frozen=True, eq=False)
class CaseloadScope:
    user_id: uuid.UUID
    granted: frozenset[Capability]
    # The FROM items filtered to the caller's care relationships.
    froms: frozenset[tuple[str, str | None]] = frozenset()


@dataclass(frozen=True, eq=False)
class StaffScope:
    access: StaffAccess


@dataclass(frozen=True)
class Probe:
    name: str


# Staff reviews reach patient tables without a care relationship, each only its own tables.
STAFF_TABLES: dict[Capability, frozenset[str]] = {
    Capability.review_emergency_access: frozenset({"break_glass_grant", "patient"}),
    Capability.read_any_access_log: frozenset({"audit_event", "patient"}),
    Capability.review_duplicates: frozenset({"potential_duplicate"}),
    Capability.review_duplicate_details: frozenset({"potential_duplicate", "patient"}),
    # Ending a user's emergency access when their role ends (separation of duties).
    Capability.administer_users: frozenset({"break_glass_grant"}),
}
STAFF_WRITES: dict[Capability, frozenset[str]] = {
    Capability.break_the_glass: frozenset({"break_glass_grant"}),
    Capability.review_emergency_access: frozenset({"break_glass_grant"}),
    Capability.review_duplicates: frozenset({"potential_duplicate"}),
    Capability.administer_users: frozenset({"break_glass_grant"}),
}

# The named lookups that may ask whether something exists, answering only yes/no or ids.
PROBES = frozenset(
    {
        "MRN uniqueness",
        "identifier held by another patient",
        "same name and date of birth",
        "emergency-access lookup",
    }
)


class _Token:
    """A scope that only one module may use (see the layer test)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<scope {self.name}>"


ACCESS_DECISION = _Token("access decision")
AUDIT_APPEND = _Token("audit append")


def scoped_to_patient(
    stmt: F,
    access: PatientAccess,
    *columns: InstrumentedAttribute[Any],
    outer: tuple[InstrumentedAttribute[Any], ...] = (),
) -> F:
    """Rows of the patient ``access`` proves, for each patient table ``columns`` name; tables
    joined with an outer join name their column in ``outer`` (absent rows stay absent)."""
    if not columns:
        raise UnscopedPatientQuery("scoped_to_patient() needs the patient column of each table")
    for column in outer:
        # "IS NULL" may only mean "no joined row": a nullable key (audit_event's) would also
        # let through every row that belongs to no patient, or to one named elsewhere.
        if getattr(column.expression, "nullable", True):
            raise UnscopedPatientQuery(f"{column} may be NULL: it cannot scope an outer join")
    froms = frozenset(_from_key(col.__clause_element__().table) for col in (*columns, *outer))
    tables = frozenset(table for table, _alias in froms)
    for column in columns:
        stmt = stmt.where(column == access.patient_id)
    for column in outer:
        stmt = stmt.where(or_(column == access.patient_id, column.is_(None)))
    return stmt.execution_options(**{SCOPE_OPTION: PatientScope(access.proof, tables, froms)})


def care_relationship(ctx: AccessContext, patient_id_column: Any) -> ColumnElement[bool]:
    """True where the caller is on the patient's care team or holds a live emergency grant
    (and their role may still use emergency access)."""
    if ctx.user_id is None:
        raise UnscopedPatientQuery("a context without a user has no care relationships")
    member = aliased(CareTeamMember)
    # Aliases keep the EXISTS self-contained when the outer query already joins these tables.
    on_team = (
        exists()
        .where(
            member.user_id == ctx.user_id,
            member.status == "active",
            member.patient_id == patient_id_column,
            member.start_date <= ctx.clock.today(),
        )
        .correlate_except(member)
    )
    if Capability.break_the_glass not in permissions().staff_grants(ctx.role):
        return on_team
    grant = aliased(BreakGlassGrant)
    broke_glass = (
        exists()
        .where(
            grant.user_id == ctx.user_id,
            grant.patient_id == patient_id_column,
            grant.expires_at > ctx.now(),
        )
        .correlate_except(grant)
    )
    return or_(on_team, broke_glass)


def scoped(stmt: F, ctx: AccessContext, *columns: InstrumentedAttribute[Any]) -> F:
    """Filter ``stmt`` to patients the caller has a care relationship with (a caseload, one's
    notifications), for each patient table ``columns`` name; only tables the caller's role may
    read on a team may appear in it, and other tables only inside an EXISTS (yes or no)."""
    if ctx.user_id is None:
        raise UnscopedPatientQuery("a context without a user has no care relationships")
    if not columns:
        raise UnscopedPatientQuery("scoped() needs the patient column of each table")
    froms = frozenset(_from_key(col.__clause_element__().table) for col in columns)
    scope = CaseloadScope(ctx.user_id, permissions().team_grants(ctx.role), froms)
    if not scope.granted:
        # A role with nothing on any patient (an administrator) has no caseload at all.
        return stmt.where(false()).execution_options(**{SCOPE_OPTION: scope})
    for column in columns:
        stmt = stmt.where(care_relationship(ctx, column))
    return stmt.execution_options(**{SCOPE_OPTION: scope})


def scoped_for_staff(stmt: T, access: StaffAccess) -> T:
    """A staff review's statement; only the tables of ``access``'s capability may appear."""
    return stmt.execution_options(**{SCOPE_OPTION: StaffScope(access)})


def existence_probe(stmt: T, name: str) -> T:
    """A named lookup that answers only yes/no or ids (uniqueness, the duplicate check)."""
    if name not in PROBES:
        raise UnscopedPatientQuery(f"'{name}' is not one of the named probes")
    return stmt.execution_options(**{SCOPE_OPTION: Probe(name)})


def access_decision(stmt: T) -> T:
    """The statement that decides access (access.service only; see the layer test)."""
    return stmt.execution_options(**{SCOPE_OPTION: ACCESS_DECISION})


def audit_append(stmt: T) -> T:
    """The audit writer's own statements (audit.log only; see the layer test)."""
    return stmt.execution_options(**{SCOPE_OPTION: AUDIT_APPEND})


def count_of(stmt: Select[*tuple[Any, ...]]) -> Select[int]:
    """How many rows a scoped query returns; refuses to count an unscoped one."""
    scope = stmt.get_execution_options().get(SCOPE_OPTION)
    if not scope:
        raise UnscopedPatientQuery("count_of() needs a query built by this module")
    return (
        select(func.count()).select_from(stmt.subquery()).execution_options(**{SCOPE_OPTION: scope})
    )


# -- proofs kept on the session ------------------------------------------------------------


def remember_proof(session: Any, proof: Proof) -> None:
    """Called by the access layer once it has proven access (``session`` sync or async)."""
    _info(session).setdefault(PROOFS_KEY, {})[proof.patient_id] = proof


def remembered_proof(session: Any, patient_id: uuid.UUID) -> Proof | None:
    found: Proof | None = _info(session).get(PROOFS_KEY, {}).get(patient_id)
    return found


def remember_staff_access(session: Any, access: StaffAccess) -> None:
    _info(session).setdefault(STAFF_KEY, set()).add(access)


def mark_system(session: Any, reason: str) -> None:
    """An operator's command-line job (demo, synth, verify, tests' factories): unguarded."""
    if not reason.strip():
        raise ValueError("a system session needs a reason")
    _info(session)[SYSTEM_KEY] = reason


def is_system(session: Any) -> bool:
    return bool(_info(session).get(SYSTEM_KEY))


def _info(session: Any) -> dict[str, Any]:
    info: dict[str, Any] = session.info
    return info


# -- the guard -----------------------------------------------------------------------------


def _referenced_tables(stmt: Any) -> set[str]:
    """Every table a statement reaches, including subqueries, EXISTS clauses and DML targets."""
    tables = find_tables(
        stmt, check_columns=True, include_aliases=True, include_joins=True, include_selects=True
    )
    names = {str(t.name) for t in tables if hasattr(t, "name")}
    target = getattr(stmt, "table", None)
    if target is not None and hasattr(target, "name"):
        names.add(str(target.name))
    return names


def _sql_mentions(sql: str, tables: Iterable[str]) -> set[str]:
    return {t for t in tables if re.search(rf"\b{re.escape(t)}\b", sql, re.IGNORECASE)}


def _answers_only_ids(stmt: Any) -> bool:
    """A probe may return booleans (EXISTS, comparisons), counts or id columns, nothing else."""
    columns = getattr(stmt, "selected_columns", None)
    if columns is None:
        return False
    for column in columns:
        inner = column.element if isinstance(column, Label) else column
        if isinstance(inner, Exists):
            continue
        # A comparison answers yes/no; other operators (concatenation, arithmetic) answer data.
        if isinstance(inner, BinaryExpression) and operators.is_comparison(inner.operator):
            continue
        if isinstance(inner, ScalarSelect) and _answers_only_ids(inner.element):
            continue
        if isinstance(inner, ColumnClause) and inner.name in {"id", "patient_id"}:
            continue
        if getattr(inner, "name", None) == "count":
            continue
        return False
    return True


def _from_key(from_: Any) -> tuple[str, str | None]:
    """A FROM item as the guard names it: (table, None), or (table, alias) for an alias of one."""
    if isinstance(from_, AliasedReturnsRows) and isinstance(from_.element, TableClause):
        return str(from_.element.name), str(from_.name)
    return str(getattr(from_, "name", "")), None


@dataclass
class _Reach:
    """Where a statement reaches patient tables."""

    # At the statement's own level, each as a FROM item (an alias is an item of its own).
    top: set[tuple[str, str | None]]
    # Inside a nested SELECT (subquery, CTE, scalar subquery, UNION).
    nested: set[str]
    # Only inside an EXISTS: the statement learns yes or no, never a value.
    in_exists: set[str]
    # Named in SQL text embedded in the statement (text(), literal_column()).
    text: set[str]


def _reach(statement: Any, scope: Any, owned: Any) -> _Reach:
    """Walk ``statement``; a subquery carrying the same scope is the scoped statement itself
    (count_of wraps it so), any other nested SELECT is beyond the filters of the scope."""
    reach = _Reach(set(), set(), set(), set())
    seen: set[tuple[int, bool, bool]] = set()

    def visit(element: Any, nested: bool, wrapped: bool = False, in_exists: bool = False) -> None:
        if (id(element), nested, in_exists) in seen:
            return
        seen.add((id(element), nested, in_exists))
        if isinstance(element, Exists):
            in_exists = True
        if isinstance(element, SelectBase) and element is not statement:
            options: Any = getattr(element, "get_execution_options", dict)()
            nested = nested or not wrapped or options.get(SCOPE_OPTION) is not scope
        if isinstance(element, AliasedReturnsRows) and isinstance(element.element, SelectBase):
            visit(element.element, nested, wrapped=True, in_exists=in_exists)
            return
        if isinstance(element, TableClause) or (
            isinstance(element, AliasedReturnsRows) and isinstance(element.element, TableClause)
        ):
            table, alias = _from_key(element)
            if table in owned:
                if nested and in_exists:
                    reach.in_exists.add(table)
                elif nested:
                    reach.nested.add(table)
                else:
                    reach.top.add((table, alias))
            return
        if isinstance(element, TextClause):
            reach.text |= _sql_mentions(element.text, owned)
        elif isinstance(element, ColumnClause):
            if element.is_literal:
                reach.text |= _sql_mentions(element.name, owned)
            if element.table is not None:
                visit(element.table, nested, in_exists=in_exists)
        for child in element.get_children():
            visit(child, nested, in_exists=in_exists)

    visit(statement, False)
    return reach


def _kind(state: ORMExecuteState) -> str:
    if state.is_select:
        return "select"
    if state.is_insert:
        return "insert"
    if state.is_update:
        return "update"
    if state.is_delete:
        return "delete"
    return "other"


def _refuse(message: str) -> UnscopedPatientQuery:
    return UnscopedPatientQuery(message + "; see tandem.access.scope")


def check_statement(session: Session, statement: Any, kind: str, scope: Any) -> None:
    """Refuse ``statement`` unless its scope proves access to every patient table it reaches."""
    owned = patient_owned()
    if isinstance(statement, TextClause):
        touched = _sql_mentions(statement.text, owned)
        if touched:
            raise _refuse(f"raw SQL on {sorted(touched)} outside a system session")
        return
    reach = _reach(statement, scope, owned)
    if reach.text:
        raise _refuse(f"SQL text naming {sorted(reach.text)} outside a system session")
    touched = (
        _referenced_tables(statement)
        | {table for table, _ in reach.top}
        | reach.nested
        | reach.in_exists
    ) & set(owned)
    if not touched:
        return
    if kind == "delete":
        raise _refuse(f"DELETE on {sorted(touched)}: records are ended or marked in error")
    if scope is None:
        raise _refuse(f"{kind} on {sorted(touched)} without the access scope")
    if isinstance(scope, PatientScope):
        _check_patient_scope(session, scope, touched, reach, kind, owned)
    elif isinstance(scope, CaseloadScope):
        if kind != "select":
            raise _refuse(f"{kind} on {sorted(touched)} with a caseload scope")
        if not scope.granted:
            return  # filtered to nothing (see scoped)
        _check_caseload_scope(scope, touched, reach, owned)
    elif isinstance(scope, StaffScope):
        _check_staff_scope(session, scope, touched, kind)
    elif isinstance(scope, Probe):
        if kind != "select" or not _answers_only_ids(statement):
            raise _refuse(f"probe '{scope.name}' may only answer yes/no or ids")
    elif scope is ACCESS_DECISION:
        if kind != "select":
            raise _refuse("an access decision only reads")
    elif scope is AUDIT_APPEND:
        if touched != {"audit_event"} or kind not in {"insert", "select"}:
            raise _refuse("the audit writer only appends to audit_event")
    else:
        raise _refuse(f"{kind} on {sorted(touched)} with an unknown scope {scope!r}")


def _check_patient_scope(
    session: Session, scope: PatientScope, touched: set[str], reach: _Reach, kind: str, owned: Any
) -> None:
    proof = scope.proof
    if remembered_proof(session, proof.patient_id) is not proof:
        raise _refuse("a patient scope whose proof was not minted in this session")
    if reach.nested or reach.in_exists:
        # The filters apply to the statement's own FROM items, never to a subquery's.
        raise _refuse(
            f"{sorted(reach.nested | reach.in_exists)} in a subquery the patient filter "
            "does not reach"
        )
    unfiltered = (touched - scope.tables) | {
        table if alias is None else f"{table} (an alias)"
        for table, alias in reach.top - scope.froms
    }
    if unfiltered:
        raise _refuse(f"{sorted(unfiltered)} not filtered to the proven patient")
    _check_reads(touched, proof.granted, owned)
    if kind != "select":
        for table in touched:
            if not owned[table].write & proof.granted:
                raise _refuse(f"{kind} on {table} needs one of {sorted(owned[table].write)}")


def _check_caseload_scope(
    scope: CaseloadScope, touched: set[str], reach: _Reach, owned: Any
) -> None:
    if reach.nested:
        raise _refuse(f"{sorted(reach.nested)} in a subquery the caseload filter does not reach")
    unfiltered = {
        table if alias is None else f"{table} (an alias)"
        for table, alias in reach.top - scope.froms
    }
    if unfiltered:
        raise _refuse(f"{sorted(unfiltered)} not filtered to the caller's care relationships")
    # The care-relationship filter itself reads the caller's memberships and grants (in EXISTS).
    relationship = {"break_glass_grant", "care_team_member"} & reach.in_exists - {
        table for table, _ in reach.top
    }
    _check_reads(touched - relationship, scope.granted, owned)


def _check_reads(touched: set[str], granted: frozenset[Capability], owned: Any) -> None:
    for table in touched:
        if not owned[table].read & granted:
            raise _refuse(f"reading {table} needs one of {sorted(owned[table].read)}")


def _check_staff_scope(session: Session, scope: StaffScope, touched: set[str], kind: str) -> None:
    access = scope.access
    if access not in _info(session).get(STAFF_KEY, set()):
        raise _refuse("a staff scope whose access was not checked in this session")
    allowed = STAFF_WRITES if kind != "select" else STAFF_TABLES
    beyond = touched - allowed.get(access.capability, frozenset())
    if beyond:
        raise _refuse(f"{access.capability} does not reach {sorted(beyond)} ({kind})")


def check_flush(session: Session) -> None:
    """New and changed rows of patient data need a proof that writes for their patient."""
    owned = patient_owned()
    for obj in session.deleted:
        if type(obj).__table__.name in owned:
            raise _refuse(f"deleting a {type(obj).__name__}: records are never deleted")
    for obj in (*session.new, *session.dirty):
        marker = owned.get(type(obj).__table__.name)
        if marker is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        proof = remembered_proof(session, getattr(obj, marker.key))
        if proof is not None and (marker.write & proof.granted or marker.written_by_readers):
            continue
        if _staff_writes(session, type(obj).__table__.name):
            continue
        raise _refuse(f"writing a {type(obj).__name__} without a proof that writes")


def _staff_writes(session: Session, table: str) -> bool:
    return any(
        table in STAFF_WRITES.get(access.capability, frozenset())
        for access in _info(session).get(STAFF_KEY, set())
    )


def install_scope_guard(session_class: type[Session]) -> None:
    """Refuse statements and flushes on patient-owned tables that did not pass this module."""
    if getattr(session_class, "_tandem_guarded", False):
        return

    @event.listens_for(session_class, "do_orm_execute")
    def _guard(state: ORMExecuteState) -> None:
        if state.is_relationship_load or is_system(state.session):
            return
        scope = state.execution_options.get(SCOPE_OPTION)
        check_statement(state.session, state.statement, _kind(state), scope)

    @event.listens_for(session_class, "before_flush")
    def _flush_guard(session: Session, _context: Any, _instances: Any) -> None:
        if not is_system(session):
            check_flush(session)

    @event.listens_for(session_class, "after_transaction_end")
    def _forget_proofs(session: Session, transaction: Any) -> None:
        # A proof holds for one transaction: after a rollback its rows are expired and the
        # care team may have changed, so the next question is asked of the database again.
        if transaction.parent is None:
            session.info.pop(PROOFS_KEY, None)
            session.info.pop(STAFF_KEY, None)

    for name in BULK_METHODS:
        setattr(session_class, name, _bulk_guard(name, getattr(session_class, name)))
    session_class._tandem_guarded = True  # type: ignore[attr-defined]


# The legacy bulk methods write without a flush and without an ORM execute: no event sees them.
BULK_METHODS = ("bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings")


def _bulk_guard(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(session: Session, target: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_system(session):
            if name == "bulk_save_objects":
                target = list(target)
                models = {type(obj) for obj in target}
            else:
                models = {target}
            tables = {str(inspect(model).local_table.name) for model in models}
            touched = tables & patient_owned_tables()
            if touched:
                raise _refuse(f"{name} on {sorted(touched)} outside a system session")
        return method(session, target, *args, **kwargs)

    return guarded


def select_scoped(model: type[Any], ctx: AccessContext) -> Select[Any]:
    """``select(model)`` restricted to the caller's patients."""
    return scoped(select(model), ctx, patient_key(model))


__all__ = [
    "UnscopedPatientQuery",
    "access_decision",
    "audit_append",
    "care_relationship",
    "count_of",
    "existence_probe",
    "install_scope_guard",
    "mark_system",
    "patient_key",
    "patient_owned_tables",
    "scoped",
    "scoped_for_staff",
    "scoped_to_patient",
    "select_scoped",
]

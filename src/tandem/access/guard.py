"""The guard on every database session: it refuses what the access scopes do not prove.

Installed on the ORM Session class (``runtime``), it checks every statement a session executes
(``do_orm_execute``) and every flush against the scope the statement carries
(``tandem.access.scope``), and refuses the legacy bulk methods, which skip both hooks. A
command-line job's system session is trusted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, ORMExecuteState, Session
from sqlalchemy.sql import TextClause, operators
from sqlalchemy.sql.elements import BinaryExpression, ColumnClause, Label, _anonymous_label
from sqlalchemy.sql.selectable import (
    AliasedReturnsRows,
    Exists,
    ScalarSelect,
    SelectBase,
    TableClause,
)
from sqlalchemy.sql.util import find_tables

from tandem.access.proof import Proof
from tandem.access.scope import (
    ACCESS_DECISION,
    CALLER_OPTION,
    PATIENT_PARAMETER,
    PROOF_OPTION,
    PROOFS_KEY,
    RELATIONSHIP_NOW,
    RELATIONSHIP_TODAY,
    RELATIONSHIP_USER,
    SCOPE_PARAMETERS,
    STAFF_KEY,
    STAFF_TABLES,
    STAFF_WRITES,
    Caller,
    CaseloadScope,
    PatientScope,
    Probe,
    StaffScope,
    UnscopedPatientQuery,
    from_key,
    is_system,
    patient_owned,
    patient_owned_tables,
    remembered_proof,
    session_info,
)
from tandem.audit.scope import AUDIT_APPEND, AUDIT_PARTITIONS, AUDIT_SEAL
from tandem.capabilities import Capability
from tandem.db import SCOPE_OPTION


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
    # Aliases of patient tables at the statement's own level that have no name of their own.
    anonymous: set[str] = field(default_factory=set)


def _reach(statement: Any, owned: Any) -> _Reach:
    """Walk ``statement``: any SELECT nested in it is beyond the filters of its scope."""
    reach = _Reach(set(), set(), set(), set())
    seen: set[tuple[int, bool, bool]] = set()

    def visit(element: Any, nested: bool, in_exists: bool = False) -> None:
        if (id(element), nested, in_exists) in seen:
            return
        seen.add((id(element), nested, in_exists))
        if isinstance(element, Exists):
            in_exists = True
        if isinstance(element, SelectBase) and element is not statement:
            nested = True
        if isinstance(element, AliasedReturnsRows) and isinstance(element.element, SelectBase):
            visit(element.element, True, in_exists=in_exists)
            return
        if isinstance(element, TableClause) or (
            isinstance(element, AliasedReturnsRows) and isinstance(element.element, TableClause)
        ):
            table, alias = from_key(element)
            if table in owned:
                if nested and in_exists:
                    reach.in_exists.add(table)
                elif nested:
                    reach.nested.add(table)
                else:
                    reach.top.add((table, alias))
                    if isinstance(element, AliasedReturnsRows) and isinstance(
                        element.name, _anonymous_label
                    ):
                        reach.anonymous.add(table)
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


@dataclass(frozen=True)
class _Shape:
    """What the guard learns from a statement's structure alone: where it reaches patient
    tables. The same for every statement of the same shape (parameters aside)."""

    reach: _Reach
    touched: frozenset[str]


# Shapes by SQLAlchemy's cache key of the statement: the structure (tables, aliases by name,
# columns, SQL text, nesting) without the parameter values. SQLAlchemy computes the key once per
# statement object and uses it again to find the compiled SQL, so a shape seen before costs a
# dictionary lookup instead of a walk of the whole expression. Bounded; cleared when full.
_SHAPES: dict[tuple[Any, ...], _Shape] = {}
_SHAPES_HELD = 4096


def _forget_shapes(_mapper: Any, _class: Any) -> None:
    # A model mapped since may be patient data: what a shape reaches is worked out again.
    _SHAPES.clear()


event.listen(Mapper, "after_mapper_constructed", _forget_shapes)


def _shape(statement: Any, owned: dict[str, Any]) -> _Shape:
    cache_key = statement._generate_cache_key()
    key = None if cache_key is None else cache_key.key
    if key is not None:
        found = _SHAPES.get(key)
        if found is not None:
            return found
    reach = _reach(statement, owned)
    touched = frozenset(
        (
            _referenced_tables(statement)
            | {table for table, _ in reach.top}
            | reach.nested
            | reach.in_exists
        )
        & set(owned)
    )
    shape = _Shape(reach, touched)
    if key is not None:
        if len(_SHAPES) >= _SHAPES_HELD:
            _SHAPES.clear()
        _SHAPES[key] = shape
    return shape


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


def check_statement(
    session: Session, statement: Any, kind: str, options: Any
) -> dict[str, Any] | None:
    """Refuse ``statement`` unless its scope proves access to every patient table it reaches;
    the values of its scope's parameters (the proven patient, the caller), if it has any."""
    scope = options.get(SCOPE_OPTION)
    owned = patient_owned()
    if isinstance(statement, TextClause):
        touched = _sql_mentions(statement.text, owned)
        if touched == {"audit_event"} and scope is AUDIT_PARTITIONS:
            return None
        if touched:
            raise _refuse(f"raw SQL on {sorted(touched)} outside a system session")
        return None
    shape = _shape(statement, owned)
    reach = shape.reach
    if reach.text:
        raise _refuse(f"SQL text naming {sorted(reach.text)} outside a system session")
    if reach.anonymous:
        # Statements of one shape share the guard's findings, and anonymous aliases of one
        # shape look alike: a filter must name the alias it applies to.
        raise _refuse(f"an alias of {sorted(reach.anonymous)} without a name (aliased(name=...))")
    touched = set(shape.touched)
    if not touched:
        return None
    if kind == "delete":
        raise _refuse(f"DELETE on {sorted(touched)}: records are ended or marked in error")
    if scope is None:
        raise _refuse(f"{kind} on {sorted(touched)} without the access scope")
    if isinstance(scope, PatientScope):
        proof = options.get(PROOF_OPTION)
        _check_patient_scope(session, scope, proof, touched, reach, kind, owned)
        return {PATIENT_PARAMETER: proof.patient_id}
    if isinstance(scope, CaseloadScope):
        if kind != "select":
            raise _refuse(f"{kind} on {sorted(touched)} with a caseload scope")
        caller = options.get(CALLER_OPTION)
        if not isinstance(caller, Caller):
            raise _refuse("a caseload statement run without its caller (as_caller)")
        if scope.nothing:
            return None  # filtered to nothing (see scoped)
        if caller.emergency != scope.emergency:
            # Built for a role that may (or may not) use emergency access: not this caller's.
            raise _refuse("a caseload statement built for another role's relationships")
        _check_caseload_scope(scope, caller, touched, reach, owned)
        return _relationship_values(caller)
    if isinstance(scope, StaffScope):
        _check_staff_scope(session, scope, touched, kind)
    elif isinstance(scope, Probe):
        if kind != "select" or not _answers_only_ids(statement):
            raise _refuse(f"probe '{scope.name}' may only answer yes/no or ids")
    elif scope is ACCESS_DECISION:
        if kind != "select":
            raise _refuse("an access decision only reads")
    elif scope is AUDIT_SEAL:
        if touched != {"audit_event"} or kind not in {"update", "select"}:
            raise _refuse("the sealer only reads and seals audit_event")
    elif scope is AUDIT_APPEND:
        if touched != {"audit_event"} or kind not in {"insert", "select"}:
            raise _refuse("the audit writer only appends to audit_event")
    else:
        raise _refuse(f"{kind} on {sorted(touched)} with an unknown scope {scope!r}")
    return None


def _check_patient_scope(
    session: Session,
    scope: PatientScope,
    proof: Any,
    touched: set[str],
    reach: _Reach,
    kind: str,
    owned: Any,
) -> None:
    if not isinstance(proof, Proof):
        raise _refuse("a patient statement run without its proof (as_proven)")
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
    scope: CaseloadScope, caller: Caller, touched: set[str], reach: _Reach, owned: Any
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
    _check_reads(touched - relationship, caller.granted, owned)


def _check_reads(touched: set[str], granted: frozenset[Capability], owned: Any) -> None:
    for table in touched:
        if not owned[table].read & granted:
            raise _refuse(f"reading {table} needs one of {sorted(owned[table].read)}")


def _check_staff_scope(session: Session, scope: StaffScope, touched: set[str], kind: str) -> None:
    access = scope.access
    if access not in session_info(session).get(STAFF_KEY, set()):
        raise _refuse("a staff scope whose access was not checked in this session")
    allowed = STAFF_WRITES if kind != "select" else STAFF_TABLES
    beyond = touched - allowed.get(access.capability, frozenset())
    if beyond:
        raise _refuse(f"{access.capability} does not reach {sorted(beyond)} ({kind})")


def scope_values(options: Any) -> dict[str, Any] | None:
    """The values of a statement's scope parameters, unchecked (a system session's)."""
    scope, proof, caller = (
        options.get(SCOPE_OPTION),
        options.get(PROOF_OPTION),
        options.get(CALLER_OPTION),
    )
    if isinstance(scope, PatientScope) and isinstance(proof, Proof):
        return {PATIENT_PARAMETER: proof.patient_id}
    if isinstance(scope, CaseloadScope) and isinstance(caller, Caller):
        return _relationship_values(caller)
    return None


def _relationship_values(caller: Caller) -> dict[str, Any]:
    return {
        RELATIONSHIP_USER: caller.user_id,
        RELATIONSHIP_TODAY: caller.today,
        RELATIONSHIP_NOW: caller.now,
    }


def with_scope_parameters(given: Any, supplied: dict[str, Any] | None) -> Any:
    """The statement's parameters with its scope's values (which only the guard supplies)."""
    rows = [] if not given else [given] if isinstance(given, Mapping) else list(given)
    if any(SCOPE_PARAMETERS & set(row) for row in rows):
        raise _refuse("a statement's own parameters may not name its scope's")
    if not supplied:
        return given
    if len(rows) > 1:
        raise _refuse("a scoped statement runs with one set of parameters")
    return {**rows[0], **supplied} if rows else supplied


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
        for access in session_info(session).get(STAFF_KEY, set())
    )


def install_scope_guard(session_class: type[Session]) -> None:
    """Refuse statements and flushes on patient-owned tables that did not pass this module."""
    if getattr(session_class, "_tandem_guarded", False):
        return

    @event.listens_for(session_class, "do_orm_execute")
    def _guard(state: ORMExecuteState) -> None:
        if state.is_relationship_load:
            return
        options = state.execution_options
        if is_system(state.session):
            supplied = scope_values(options)  # trusted: the values, without the checks
        else:
            supplied = check_statement(state.session, state.statement, _kind(state), options)
        state.parameters = with_scope_parameters(state.parameters, supplied)

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

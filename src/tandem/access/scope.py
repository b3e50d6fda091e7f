"""The one choke point for patient data: the scopes a statement carries to prove access.

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
patient data needs a proof whose capabilities write that table for that patient, no row of
patient data is ever deleted, and the legacy bulk methods (which skip the flush) are refused.
The checks themselves live in ``tandem.access.guard``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy import ColumnElement, Date, Select, bindparam, event, exists, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Mapper, aliased
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import (
    AliasedReturnsRows,
    TableClause,
)

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.access.proof import PatientAccess, Proof, StaffAccess
from tandem.capabilities import Capability, PatientData
from tandem.careteams.models import CareTeamMember
from tandem.db import SCOPE_OPTION, SYSTEM_SESSION, Base, ScopeToken
from tandem.vocab import RecordStatus

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
    # The guard asks on every statement: worked out again only after a model is mapped.
    tables: dict[str, PatientData] | None = _owned_cache.get("tables")
    if tables is None:
        tables = {}
        for mapper in Base.registry.mappers:
            marker = getattr(mapper.class_, "__patient_owned__", None)
            if isinstance(marker, PatientData):
                tables[str(getattr(mapper.local_table, "name", ""))] = marker
        _owned_cache["tables"] = tables
    return tables


_owned_cache: dict[str, Any] = {}


def _forget_owned_tables(_mapper: Any, _class: Any) -> None:
    _owned_cache.pop("tables", None)


event.listen(Mapper, "after_mapper_constructed", _forget_owned_tables)


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
    """On a statement filtered to one patient (built once, the patient a parameter): the
    patient tables it reaches and the FROM items the filters apply to: (table, None), or
    (table, alias) for an alias. The patient comes from the proof given at execution."""

    tables: frozenset[str]
    froms: frozenset[tuple[str, str | None]] = frozenset()


@dataclass(frozen=True, eq=False)
class CaseloadScope:
    """On a statement filtered to the caller's care relationships (built once, the caller a
    parameter): the FROM items filtered, and whether a live emergency grant also counts.
    ``nothing``: filtered to no rows at all (a role with nothing on any patient)."""

    froms: frozenset[tuple[str, str | None]]
    emergency: bool
    nothing: bool = False


@dataclass(frozen=True, eq=False)
class Caller:
    """Given at execution to a caseload statement: whose care relationships filter it, what
    their role may read on a team, and the clinic's date and instant of the request."""

    user_id: uuid.UUID
    granted: frozenset[Capability]
    emergency: bool
    today: date
    now: datetime


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


ACCESS_DECISION = ScopeToken("access decision")


def from_key(from_: Any) -> tuple[str, str | None]:
    """A FROM item as the guard names it: (table, None), or (table, alias) for an alias of one."""
    if isinstance(from_, AliasedReturnsRows) and isinstance(from_.element, TableClause):
        return str(from_.element.name), str(from_.name)
    return str(getattr(from_, "name", "")), None


# The filters' values are parameters, supplied by the guard from what the execution names (a
# proof, a caller) and never by the caller's own parameters: a statement is built once, at
# import, because building a SQLAlchemy statement costs more than running it (CONTRIBUTING 9c).
PATIENT_PARAMETER = "scope_patient"
RELATIONSHIP_USER = "relationship_user"
RELATIONSHIP_TODAY = "relationship_today"
RELATIONSHIP_NOW = "relationship_now"
SCOPE_PARAMETERS = frozenset(
    {PATIENT_PARAMETER, RELATIONSHIP_USER, RELATIONSHIP_TODAY, RELATIONSHIP_NOW}
)
# Execution options: the proof a patient statement runs under, the caller of a caseload one.
PROOF_OPTION = "tandem_proof"
CALLER_OPTION = "tandem_caller"


def patient_filter(
    stmt: F,
    *columns: InstrumentedAttribute[Any],
    outer: tuple[InstrumentedAttribute[Any], ...] = (),
) -> F:
    """``stmt`` filtered to one patient, for each patient table ``columns`` name (tables
    joined with an outer join name their column in ``outer``: absent rows stay absent). Build
    it once; run it with ``execution_options=as_proven(access)``, which names the patient."""
    if not columns:
        raise UnscopedPatientQuery("scoped_to_patient() needs the patient column of each table")
    for column in outer:
        # "IS NULL" may only mean "no joined row": a nullable key (audit_event's) would also
        # let through every row that belongs to no patient, or to one named elsewhere.
        if getattr(column.expression, "nullable", True):
            raise UnscopedPatientQuery(f"{column} may be NULL: it cannot scope an outer join")
    froms = frozenset(from_key(col.__clause_element__().table) for col in (*columns, *outer))
    tables = frozenset(table for table, _alias in froms)
    for column in columns:
        stmt = stmt.where(column == bindparam(PATIENT_PARAMETER, type_=column.type))
    for column in outer:
        proven = bindparam(PATIENT_PARAMETER, type_=column.type)
        stmt = stmt.where(or_(column == proven, column.is_(None)))
    return stmt.execution_options(**{SCOPE_OPTION: PatientScope(tables, froms)})


def as_proven(access: PatientAccess) -> dict[str, Any]:
    """The execution options that run a :func:`patient_filter` statement for this patient."""
    return {PROOF_OPTION: access.proof}


def scoped_to_patient(
    stmt: F,
    access: PatientAccess,
    *columns: InstrumentedAttribute[Any],
    outer: tuple[InstrumentedAttribute[Any], ...] = (),
) -> F:
    """Rows of the patient ``access`` proves, for each patient table ``columns`` name (a
    statement built per call; one built once is :func:`patient_filter`)."""
    return patient_filter(stmt, *columns, outer=outer).execution_options(**as_proven(access))


# Aliases keep the EXISTS self-contained when the outer query already joins these tables. Made
# once: building an alias's column collections costs about 4 ms, on every caseload query.
_MEMBER = aliased(CareTeamMember, name="relationship_member")
_GRANT = aliased(BreakGlassGrant, name="relationship_grant")
_RELATIONSHIPS: dict[tuple[Any, ...], ColumnElement[bool]] = {}


def care_relationship(patient_id_column: Any, *, emergency: bool) -> ColumnElement[bool]:
    """True where the caller is on the patient's care team or (``emergency``: a role that may
    use emergency access) holds a live emergency grant. The caller, the date and the instant
    are parameters the guard supplies from the :class:`Caller`."""
    key = (from_key(patient_id_column.__clause_element__().table), patient_id_column.key, emergency)
    found = _RELATIONSHIPS.get(key)
    if found is not None:
        return found
    member = _MEMBER
    on_team = (
        exists()
        .where(
            member.user_id == bindparam(RELATIONSHIP_USER, type_=member.user_id.type),
            member.status == RecordStatus.active,
            member.patient_id == patient_id_column,
            member.start_date <= bindparam(RELATIONSHIP_TODAY, type_=Date()),
        )
        .correlate_except(member)
    )
    relationship: ColumnElement[bool] = on_team
    if emergency:
        grant = _GRANT
        broke_glass = (
            exists()
            .where(
                grant.user_id == bindparam(RELATIONSHIP_USER, type_=grant.user_id.type),
                grant.patient_id == patient_id_column,
                grant.expires_at > bindparam(RELATIONSHIP_NOW, type_=grant.expires_at.type),
            )
            .correlate_except(grant)
        )
        relationship = or_(on_team, broke_glass)
    _RELATIONSHIPS[key] = relationship
    return relationship


def may_use_emergency_access(ctx: AccessContext) -> bool:
    """Whether the caller's role may use emergency access (its grants count as relationships)."""
    return Capability.break_the_glass in permissions().staff_grants(ctx.role)


def caseload_filter(stmt: F, *columns: InstrumentedAttribute[Any], emergency: bool) -> F:
    """``stmt`` filtered to the patients the caller has a care relationship with, for each
    patient table ``columns`` name; only tables the caller's role may read on a team may appear
    in it, other tables only inside an EXISTS (yes or no). Build it once for each value of
    ``emergency`` (:func:`may_use_emergency_access`); run it with
    ``execution_options=as_caller(ctx)``, which names the caller."""
    if not columns:
        raise UnscopedPatientQuery("scoped() needs the patient column of each table")
    froms = frozenset(from_key(col.__clause_element__().table) for col in columns)
    for column in columns:
        stmt = stmt.where(care_relationship(column, emergency=emergency))
    return stmt.execution_options(**{SCOPE_OPTION: CaseloadScope(froms, emergency)})


def as_caller(ctx: AccessContext) -> dict[str, Any]:
    """The execution options that run a :func:`caseload_filter` statement for the caller."""
    if ctx.user_id is None:
        raise UnscopedPatientQuery("a context without a user has no care relationships")
    caller = Caller(
        ctx.user_id,
        permissions().team_grants(ctx.role),
        may_use_emergency_access(ctx),
        ctx.clock.today(),
        ctx.now(),
    )
    return {CALLER_OPTION: caller}


def scoped(stmt: F, ctx: AccessContext, *columns: InstrumentedAttribute[Any]) -> F:
    """Filter ``stmt`` to patients the caller has a care relationship with (a statement built
    per call; one built once is :func:`caseload_filter`)."""
    options = as_caller(ctx)
    if not options[CALLER_OPTION].granted:
        # A role with nothing on any patient (an administrator) has no caseload at all.
        froms = frozenset(from_key(col.__clause_element__().table) for col in columns)
        nothing = CaseloadScope(froms, emergency=False, nothing=True)
        return stmt.where(false()).execution_options(**{SCOPE_OPTION: nothing}, **options)
    emergency = options[CALLER_OPTION].emergency
    return caseload_filter(stmt, *columns, emergency=emergency).execution_options(**options)


def scoped_for_staff(stmt: T, access: StaffAccess) -> T:
    """A staff review's statement; only the tables of ``access``'s capability may appear."""
    return stmt.execution_options(**{SCOPE_OPTION: StaffScope(access)})


def existence_probe(stmt: T, name: str) -> T:
    """A named lookup that answers only yes/no or ids (uniqueness, the duplicate check)."""
    if name not in PROBES:
        raise UnscopedPatientQuery(f"'{name}' is not one of the named probes")
    return stmt.execution_options(**{SCOPE_OPTION: Probe(name)})


def access_decision(stmt: T) -> T:
    """The statement that decides access (access.repository only; see the layer test)."""
    return stmt.execution_options(**{SCOPE_OPTION: ACCESS_DECISION})


# -- proofs kept on the session ------------------------------------------------------------


def remember_proof(session: Any, proof: Proof) -> None:
    """Called by the access layer once it has proven access (``session`` sync or async)."""
    session_info(session).setdefault(PROOFS_KEY, {})[proof.patient_id] = proof


def remembered_proof(session: Any, patient_id: uuid.UUID) -> Proof | None:
    found: Proof | None = session_info(session).get(PROOFS_KEY, {}).get(patient_id)
    return found


def remember_staff_access(session: Any, access: StaffAccess) -> None:
    session_info(session).setdefault(STAFF_KEY, set()).add(access)


def mark_system(session: Any, reason: str) -> None:
    """An operator's command-line job (demo, synth, verify, tests' factories): unguarded."""
    if not reason.strip():
        raise ValueError("a system session needs a reason")
    session_info(session)[SYSTEM_KEY] = reason


def is_system(session: Any) -> bool:
    return bool(session_info(session).get(SYSTEM_KEY))


def session_info(session: Any) -> dict[str, Any]:
    info: dict[str, Any] = session.info
    return info


def select_scoped(model: type[Any], ctx: AccessContext) -> Select[Any]:
    """``select(model)`` restricted to the caller's patients."""
    return scoped(select(model), ctx, patient_key(model))


__all__ = [
    "UnscopedPatientQuery",
    "access_decision",
    "as_caller",
    "as_proven",
    "care_relationship",
    "caseload_filter",
    "existence_probe",
    "mark_system",
    "patient_filter",
    "patient_key",
    "patient_owned_tables",
    "scoped",
    "scoped_for_staff",
    "scoped_to_patient",
    "select_scoped",
]

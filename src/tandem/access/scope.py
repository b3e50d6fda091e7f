"""The one choke point for patient data: scoped selects and the guard that enforces them.

Every SELECT that reaches a patient-owned table (models with ``__patient_owned__ = True``)
must be built through :func:`scoped` — which filters to the caller's care relationships —
or be marked :func:`system_query` by a command-line job. The guard installed on the session
refuses anything else, so an unscoped query fails loudly in tests instead of leaking data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, event, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, ORMExecuteState, Session, aliased
from sqlalchemy.sql.util import find_tables

from tandem.access.context import AccessContext
from tandem.access.models import BreakGlassGrant
from tandem.careteams.models import CareTeamMember
from tandem.db import Base

SCOPE_OPTION = "tandem_scope"
T = TypeVar("T", bound="Select[*tuple[Any, ...]]")


class UnscopedPatientQuery(RuntimeError):
    """A query reached patient data without going through the access layer."""


def patient_owned_tables() -> frozenset[str]:
    """Names of every table that holds patient data."""
    mappers = Base.registry.mappers
    # The guard asks on every SELECT; recompute only when a model has been mapped since.
    if _owned_cache.get("mappers") != len(mappers):
        _owned_cache["mappers"] = len(mappers)
        _owned_cache["tables"] = frozenset(
            str(getattr(mapper.local_table, "name", ""))
            for mapper in mappers
            if getattr(mapper.class_, "__patient_owned__", False)
        )
    tables: frozenset[str] = _owned_cache["tables"]
    return tables


_owned_cache: dict[str, Any] = {}


def care_relationship(ctx: AccessContext, patient_id_column: Any) -> ColumnElement[bool]:
    """True where the caller is on the patient's care team or holds a live break-the-glass grant."""
    if ctx.user_id is None:
        raise UnscopedPatientQuery("a context without a user has no care relationships")
    member = aliased(CareTeamMember)
    grant = aliased(BreakGlassGrant)
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


def scoped(stmt: T, ctx: AccessContext, patient_id_column: InstrumentedAttribute[Any]) -> T:
    """Filter ``stmt`` to patients the caller has a care relationship with, and mark it scoped."""
    return stmt.where(care_relationship(ctx, patient_id_column)).execution_options(
        **{SCOPE_OPTION: "care_relationship"}
    )


def scoped_to_patient(
    stmt: T, patient_id: uuid.UUID, patient_id_column: InstrumentedAttribute[Any]
) -> T:
    """Rows of one patient whose access the caller has already proven (see access.service)."""
    return stmt.where(patient_id_column == patient_id).execution_options(
        **{SCOPE_OPTION: "checked_patient"}
    )


def scoped_to_patients(
    stmt: T, patient_ids: Sequence[uuid.UUID], patient_id_column: InstrumentedAttribute[Any]
) -> T:
    """Rows of several patients the caller was just shown by a scoped query (a caseload page)."""
    return stmt.where(patient_id_column.in_(patient_ids)).execution_options(
        **{SCOPE_OPTION: "checked_patients"}
    )


def count_of(stmt: Select[*tuple[Any, ...]]) -> Select[int]:
    """How many rows a scoped query returns; refuses to count an unscoped one."""
    scope = stmt.get_execution_options().get(SCOPE_OPTION)
    if not scope:
        raise UnscopedPatientQuery("count_of() needs a query built by this module")
    return (
        select(func.count()).select_from(stmt.subquery()).execution_options(**{SCOPE_OPTION: scope})
    )


def system_query(stmt: T, reason: str) -> T:
    """Mark a query run by an operator's command-line job (synth, verify), never by a request."""
    return stmt.execution_options(**{SCOPE_OPTION: f"system:{reason}"})


def _referenced_tables(stmt: Any) -> set[str]:
    """Every table a statement reads, including inside subqueries and EXISTS clauses."""
    tables = find_tables(
        stmt, check_columns=True, include_aliases=True, include_joins=True, include_selects=True
    )
    return {t.name for t in tables if hasattr(t, "name")}


def access_check(stmt: T) -> T:
    """Mark the queries that *decide* access (membership lookups); they return no patient data."""
    return stmt.execution_options(**{SCOPE_OPTION: "access_check"})


def install_scope_guard(session_class: type[Session]) -> None:
    """Refuse SELECTs on patient-owned tables that did not pass through this module."""
    if getattr(session_class, "_tandem_guarded", False):
        return

    @event.listens_for(session_class, "do_orm_execute")
    def _guard(state: ORMExecuteState) -> None:
        if not state.is_select:
            return
        if state.execution_options.get(SCOPE_OPTION) or state.is_relationship_load:
            return
        touched = _referenced_tables(state.statement) & patient_owned_tables()
        if touched:
            raise UnscopedPatientQuery(
                f"query on {sorted(touched)} without the access scope; "
                "use tandem.access.scope.scoped()"
            )

    session_class._tandem_guarded = True  # type: ignore[attr-defined]


def select_scoped(model: type[Any], ctx: AccessContext) -> Select[Any]:
    """``select(model)`` restricted to the caller's patients."""
    return scoped(select(model), ctx, model.patient_id if model.__name__ != "Patient" else model.id)


__all__ = [
    "UnscopedPatientQuery",
    "access_check",
    "care_relationship",
    "install_scope_guard",
    "patient_owned_tables",
    "scoped",
    "scoped_to_patient",
    "select_scoped",
    "system_query",
]

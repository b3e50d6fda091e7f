"""The pure parts of the audit-trail search: periods of days, positions, CSV cells."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

from tandem.audit.models import BTG_PREDICATE, REFUSED_PREDICATE, AuditEvent
from tandem.clock import FrozenClock
from tandem.errors import ValidationProblem
from tandem.privacy.export import COLUMNS, cell, csv_lines
from tandem.privacy.repository import filtered
from tandem.privacy.search import (
    AuditSearch,
    AuditTrailEvent,
    OutcomeFilter,
    Period,
    PeriodQuery,
    Phase,
    Position,
    Purpose,
    TrailFilter,
    period_of,
)

CLOCK = FrozenClock(datetime(2026, 3, 10, 14, 30, tzinfo=UTC))


def period(**values: str) -> Period:
    found = period_of(PeriodQuery.model_validate(values), CLOCK)
    return Period(found.start, found.end)


def test_a_period_runs_from_the_first_days_midnight_to_the_midnight_after_the_last() -> None:
    assert period(**{"from": "2026-03-02", "to": "2026-03-05"}) == Period(
        datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC)
    )


def test_a_period_is_cut_at_the_clinics_midnights_across_daylight_saving() -> None:
    # Seattle: 8 Mar 2027 starts at 08:00 UTC (PST); 15 Mar, after clocks went forward on the
    # 14th, at 07:00 UTC (PDT). The last day is 14 Mar, so the period ends when 15 Mar begins.
    seattle = FrozenClock(datetime(2027, 3, 20, tzinfo=UTC), zone=ZoneInfo("America/Los_Angeles"))
    query = PeriodQuery.model_validate({"from": "2027-03-08", "to": "2027-03-14"})
    found = period_of(query, seattle)
    assert (found.start, found.end) == (
        datetime(2027, 3, 8, 8, tzinfo=UTC),
        datetime(2027, 3, 15, 7, tzinfo=UTC),
    )


def test_a_period_of_one_day_is_that_whole_day() -> None:
    assert period(**{"from": "2026-02-28", "to": "2026-02-28"}) == Period(
        datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    )


def test_either_end_of_a_period_may_be_open() -> None:
    assert period() == Period(None, None)
    assert period(to="2026-03-01") == Period(None, datetime(2026, 3, 2, tzinfo=UTC))
    assert period(**{"to": "9999-12-31"}) == Period(None, None)


def test_a_period_that_ends_before_it_starts_is_refused_naming_its_end() -> None:
    with pytest.raises(ValidationProblem) as refused:
        period(**{"from": "2026-03-05", "to": "2026-03-04"})
    assert refused.value.field == "to"


def test_the_summarys_default_period_is_the_last_thirty_days_today_included() -> None:
    found = period_of(PeriodQuery(), CLOCK, default_days=30)
    assert found == Period(datetime(2026, 2, 9, tzinfo=UTC), None, date(2026, 2, 9), None)
    ending = period_of(PeriodQuery.model_validate({"to": "2026-01-31"}), CLOCK, default_days=30)
    assert (ending.start, ending.end) == (
        datetime(2026, 1, 2, tzinfo=UTC),
        datetime(2026, 2, 1, tzinfo=UTC),
    )
    assert (ending.first_day, ending.last_day) == (date(2026, 1, 2), date(2026, 1, 31))


def test_a_position_survives_its_cursor() -> None:
    position = Position(Phase.refused, datetime(2026, 3, 10, 14, 30, 0, 123456, tzinfo=UTC), 42)
    assert Position.decode(position.encode()) == position


@pytest.mark.parametrize(
    "cursor",
    ["", "nonsense", "YWxsfDIwMjZ8NDI", "d2hhdHwyMDI2LTAzLTEwVDE0OjMwOjAwKzAwOjAwfDQy", "%%%"],
)
def test_a_cursor_that_is_no_position_is_refused_naming_it(cursor: str) -> None:
    with pytest.raises(ValidationProblem) as refused:
        Position.decode(cursor)
    assert refused.value.field == "cursor"


def test_a_naive_instant_is_no_position() -> None:
    naive = Position(Phase.all, datetime(2026, 3, 10), 1).encode()
    with pytest.raises(ValidationProblem):
        Position.decode(naive)


def test_the_filters_repeat_as_query_parameters_without_the_position() -> None:
    search = AuditSearch.model_validate(
        {"from": date(2026, 3, 1), "user": "CM.Alex", "refused_first": True, "cursor": "x"}
    )
    assert search.filter_params() == {
        "from": "2026-03-01",
        "user": "cm.alex",
        "refused_first": "on",
    }
    assert AuditSearch().filter_params() == {}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("cm.alex", "cm.alex"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (4, "4"),
        (datetime(2026, 3, 10, 14, 30, tzinfo=UTC), "2026-03-10T14:30:00+00:00"),
    ],
)
def test_a_csv_cell_that_a_spreadsheet_would_run_starts_with_a_quote(
    value: object, written: str
) -> None:
    assert cell(value) == written


def test_csv_lines_quote_commas_quotes_and_line_breaks() -> None:
    assert csv_lines([["a,b", 'say "hi"', "two\nlines"]]) == '"a,b","say ""hi""","two\nlines"\r\n'


def test_the_export_has_a_column_for_every_field_of_an_event_and_no_other() -> None:
    assert sorted(COLUMNS) == sorted(AuditTrailEvent.model_fields)
    assert len(set(COLUMNS)) == len(COLUMNS)


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()], ids=["pg", "sqlite"])
def test_the_refused_and_emergency_filters_say_what_their_partial_indexes_say(
    dialect: Any,
) -> None:
    trail = TrailFilter(outcome=OutcomeFilter.refused, purpose=Purpose.BTG)
    stmt = filtered(select(AuditEvent.id), trail, trail.outcome)
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))
    indexes = {index.name: index for index in cast(Table, AuditEvent.__table__).indexes}
    refused = str(indexes["ix_audit_event_refused"].dialect_options["postgresql"]["where"])
    btg = str(indexes["ix_audit_event_btg"].dialect_options["sqlite"]["where"])
    assert (refused, btg) == (REFUSED_PREDICATE, BTG_PREDICATE)
    # The same comparisons with the same constants, not parameters (!= and <> are one operator).
    assert "audit_event.outcome != 0" in sql
    assert "audit_event.purpose = 'BTG'" in sql

"""The months of the audit table and the retention cutoff, at their boundaries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tandem.audit.partitions import DEFAULT_PARTITION, Month, create_statement
from tandem.audit.retention import cutoff
from tandem.config import Settings
from tandem.migrate import is_audit_partition


def test_a_month_runs_from_its_first_instant_to_the_next_months_first() -> None:
    december = Month(2026, 12)
    assert december.start == datetime(2026, 12, 1, tzinfo=UTC)
    assert december.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert december.next() == Month(2027, 1)
    assert december.next(14) == Month(2028, 2)
    assert Month(2027, 1).next(-1) == december
    assert Month.of(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)) == december


def test_a_partition_name_reads_back_as_its_month_and_nothing_else_does() -> None:
    assert Month(2026, 3).table == "audit_event_y2026m03"
    assert Month.from_table("audit_event_y2026m03") == Month(2026, 3)
    for other in ("audit_event", DEFAULT_PARTITION, "audit_event_y2026m3", "audit_event_yabcdm01"):
        assert Month.from_table(other) is None
    assert is_audit_partition("audit_event_y2026m03") and is_audit_partition(DEFAULT_PARTITION)
    assert not is_audit_partition("audit_event") and not is_audit_partition("audit_chain_position")


def test_a_partition_covers_its_month_in_utc() -> None:
    assert create_statement(Month(2026, 12)) == (
        "CREATE TABLE IF NOT EXISTS audit_event_y2026m12 PARTITION OF audit_event FOR VALUES "
        "FROM ('2026-12-01T00:00:00+00:00') TO ('2027-01-01T00:00:00+00:00')"
    )


@pytest.mark.parametrize(
    ("now", "years", "kept_from"),
    [
        (datetime(2026, 12, 2, 9, 30, tzinfo=UTC), 6, datetime(2020, 12, 2, 9, 30, tzinfo=UTC)),
        # A leap day has no match six years before or after: the 28th.
        (datetime(2028, 2, 29, tzinfo=UTC), 6, datetime(2022, 2, 28, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), 8, datetime(2020, 2, 29, tzinfo=UTC)),
    ],
)
def test_retention_keeps_everything_from_the_same_instant_years_before(
    now: datetime, years: int, kept_from: datetime
) -> None:
    assert cutoff(now, years) == kept_from


def test_retention_is_never_shorter_than_hipaas_six_years() -> None:
    assert Settings(environment="test", secret_key="x" * 32).audit_retention_years == 6
    with pytest.raises(ValueError, match="audit_retention_years"):
        Settings(environment="test", secret_key="x" * 32, audit_retention_years=5)

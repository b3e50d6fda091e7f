"""The audit trail as CSV: a header row, then the events batch by batch as they are read.

Usernames are typed by whoever tries to sign in, and details quote what people entered: a
cell that a spreadsheet would take for a formula (= + - @, or a leading tab or carriage
return) is prefixed with a quote, so that opening the export runs nothing (OWASP, CSV
injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

from tandem.privacy.search import AuditTrailEvent

# Who and whose first, then what: the order a reader scans a row in.
COLUMNS = (
    "id",
    "recorded_at",
    "user_id",
    "username",
    "role",
    "action",
    "patient_id",
    "patient_mrn",
    "record_type",
    "record_id",
    "outcome",
    "purpose",
    "source_address",
    "detail",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One value as CSV text that no spreadsheet evaluates."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()


async def csv_text(batches: AsyncIterator[list[AuditTrailEvent]]) -> AsyncIterator[str]:
    """The header, then one chunk of CSV per batch of events."""
    yield csv_lines([COLUMNS])
    async for batch in batches:
        yield csv_lines([getattr(event, name) for name in COLUMNS] for event in batch)

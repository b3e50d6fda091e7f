"""Searching the audit trail: the filters a privacy officer gives, what a search answers, and
the position a page of results ends at (keyset pagination, newest first)."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem.clock import Clock
from tandem.dates import shifted
from tandem.errors import ValidationProblem
from tandem.schemas import InputModel

# A search answers at most this many events a page (the export has no such limit).
MAX_LIMIT = 200
# The refused-attempts summary looks back this many days unless told otherwise.
SUMMARY_DAYS = 30


class OutcomeFilter(StrEnum):
    success = "success"
    # Any outcome but 0: access refused (4), a failed sign-in, a failed lookup.
    refused = "refused"


class Purpose(StrEnum):
    """v3 PurposeOfUse, as the events carry it (SYSTEM for operators' jobs)."""

    TREAT = "TREAT"
    ETREAT = "ETREAT"
    BTG = "BTG"
    HOPERAT = "HOPERAT"
    PATADMIN = "PATADMIN"
    SYSTEM = "SYSTEM"


class Action(StrEnum):
    """FHIR AuditEvent.action."""

    C = "C"
    R = "R"
    U = "U"
    D = "D"
    E = "E"


PatientKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=80)
]


class PeriodQuery(InputModel):
    """A period of the clinic's days, both ends included."""

    from_date: date | None = Field(None, alias="from", description="First day (YYYY-MM-DD)")
    to_date: date | None = Field(None, alias="to", description="Last day, included")


class AuditSearch(PeriodQuery):
    """What the privacy officer looks for; every filter is optional."""

    patient: PatientKey | None = Field(None, description="The patient's MRN or id")
    user: Username | None = Field(None, description="The username of who acted")
    outcome: OutcomeFilter | None = None
    purpose: Purpose | None = None
    action: Action | None = None
    refused_first: bool = Field(False, description="Refused attempts before the rest")
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="Where the previous page ended (its next_cursor)"
    )
    limit: int | None = Field(None, ge=1, le=MAX_LIMIT)

    def filter_params(self) -> dict[str, str]:
        """The filters as query parameters (no position, no page size): the CSV link and the
        next page's link repeat them."""
        values = self.model_dump(
            by_alias=True, exclude={"cursor", "limit"}, exclude_none=True, mode="json"
        )
        if not self.refused_first:
            values.pop("refused_first", None)
        return {key: "on" if value is True else str(value) for key, value in values.items()}


class SummaryQuery(PeriodQuery):
    limit: int = Field(50, ge=1, le=500, description="How many users at most")


@dataclass(frozen=True)
class Period:
    """Instants from ``start`` (included) to ``end`` (excluded), either open; and the clinic's
    days they cover, as given (``last_day`` None: up to now)."""

    start: datetime | None
    end: datetime | None
    first_day: date | None = None
    last_day: date | None = None


def period_of(query: PeriodQuery, clock: Clock, *, default_days: int | None = None) -> Period:
    """The clinic's days of ``query`` as instants; with ``default_days``, a missing start is
    that many days before the end (today when there is no end either)."""
    first, last = query.from_date, query.to_date
    if first is not None and last is not None and last < first:
        raise ValidationProblem("The last day cannot be before the first.", field="to")
    if default_days is not None and first is None:
        first = shifted(last or clock.today(), -(default_days - 1))
    return Period(
        start=clock.start_of(first) if first is not None else None,
        end=clock.start_of(shifted(last, 1)) if last is not None and last < date.max else None,
        first_day=first,
        last_day=last,
    )


@dataclass(frozen=True)
class TrailFilter:
    """A search resolved to what the events hold (the patient's id, instants in UTC)."""

    patient_id: uuid.UUID | None = None
    username: str | None = None
    period: Period = Period(None, None)
    outcome: OutcomeFilter | None = None
    purpose: Purpose | None = None
    action: Action | None = None

    def described(self) -> dict[str, Any]:
        """The filters as the search's own audit event records them."""
        values = {
            "patient_id": self.patient_id,
            "user": self.username,
            "from": self.period.start,
            "until": self.period.end,
            "outcome": self.outcome,
            "purpose": self.purpose,
            "action": self.action,
        }
        return {key: str(value) for key, value in values.items() if value is not None}


class Phase(StrEnum):
    """Which stretch of the results a position is in: every event newest first, or, with
    refused first, the refused attempts and then the rest."""

    all = "all"
    refused = "refused"
    rest = "rest"


@dataclass(frozen=True)
class Position:
    """The last event of a page: the next page starts after it."""

    phase: Phase
    recorded_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.phase}|{self.recorded_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        """The position a cursor names; a cursor that is not one of ours is a 422."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            phase, at, event_id = raw.split("|")
            recorded_at = datetime.fromisoformat(at)
            if recorded_at.tzinfo is None:
                raise ValueError("a naive instant")
            return cls(Phase(phase), recorded_at, int(event_id))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationProblem(
                "This is not a position in the results; start from the first page.",
                field="cursor",
            ) from None


class AuditEventRead(BaseModel):
    """One event of a patient's access log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    recorded_at: datetime
    username: str
    role: str
    action: str
    record_type: str
    record_id: str | None
    outcome: int
    purpose: str
    source_address: str | None
    detail: str | None


class AuditTrailEvent(AuditEventRead):
    """One event of the whole trail: also whose record it was, and who acted by account."""

    user_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    patient_mrn: str | None


class AuditTrailPage(BaseModel):
    items: list[AuditTrailEvent]
    # Pass it back as ``cursor`` for the next page; None on the last page.
    next_cursor: str | None
    limit: int


class RefusedAttempts(BaseModel):
    """One user's refused attempts over the period."""

    username: str
    role: str
    full_name: str | None
    refused: int
    patients: int = Field(description="Distinct registered patients the attempts named")
    records: int = Field(description="Distinct record ids asked for, registered or not")
    first_at: datetime
    last_at: datetime


class RefusedSummary(BaseModel):
    first_day: date
    last_day: date | None = Field(description="None: up to now")
    period_start: datetime
    period_end: datetime | None
    users: list[RefusedAttempts]

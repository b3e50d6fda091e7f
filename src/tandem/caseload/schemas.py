"""What a caseload row shows."""

from __future__ import annotations

import uuid
from datetime import date

from tandem.schemas import OutputModel


class PatientSummary(OutputModel):
    """A caseload row. A role that may not open the chart (a community partner) gets the
    name and contact details only: no MRN, date of birth, programme or alert."""

    id: uuid.UUID
    mrn: str | None = None
    display_name: str
    birth_date: date | None = None
    age: int | None = None
    gender: str | None = None
    phone: str | None = None
    preferred_language: str | None = None
    my_role: str | None = None
    programme: str | None = None
    phase: str | None = None
    # An open safety alert: the row is listed first and flagged.
    safety_alert: bool = False

"""Input and output shapes for care-team members and enrolments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import StringConstraints

from tandem.careteams.vocab import CareTeamRole, Phase
from tandem.schemas import ClinicalDate, InputModel, OptionalText, OutputModel, Reason, Version

Programme = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]


class MemberCreate(InputModel):
    role: CareTeamRole
    user_id: uuid.UUID | None = None
    related_person_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    start_date: ClinicalDate | None = None


class MemberUpdate(InputModel):
    version: Version
    role: CareTeamRole | None = None
    organization_id: uuid.UUID | None = None


class MemberEnd(InputModel):
    version: Version
    reason: Reason
    end_date: ClinicalDate | None = None
    entered_in_error: bool = False


class MakeLead(InputModel):
    """Hand the lead over to another care manager; the current lead's membership ends."""

    user_id: uuid.UUID
    reason: Reason


class MemberRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    role: str
    user_id: uuid.UUID | None
    related_person_id: uuid.UUID | None
    name: str
    professional_role: str | None
    organization_id: uuid.UUID | None
    organization: str | None
    phone: str | None
    email: str | None
    start_date: date
    end_date: date | None
    status: str
    end_reason: str | None
    version: int


class EnrolmentCreate(InputModel):
    programme: Programme
    phase: Phase = Phase.active
    start_date: ClinicalDate
    reason: OptionalText = None
    organization_id: uuid.UUID | None = None


class EnrolmentUpdate(InputModel):
    version: Version
    phase: Phase | None = None
    end_date: ClinicalDate | None = None
    reason: OptionalText = None


class EnrolmentRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    programme: str
    phase: str
    start_date: date
    end_date: date | None
    reason: str | None
    organization_id: uuid.UUID | None
    status: str
    version: int

"""Input and output shapes for organisations and users."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

from tandem.config import zone_named
from tandem.schemas import Email, InputModel, Name, OptionalText, OutputModel, Phone, Version
from tandem.vocab import OrganizationKind, ProfessionalRole

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",  # lower-cased after matching
    ),
]
OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


def _zone_name(value: object) -> object:
    """An IANA zone name the system knows, or None (empty: the deployment's zone)."""
    if value is None or not isinstance(value, str):
        return value
    name = value.strip()
    if not name:
        return None
    zone_named(name)  # a ValueError names what is wrong, beside the field
    return name


# An organisation's own time zone; None means the deployment's (TANDEM_TIMEZONE).
# Names the zone database knows are short (the longest is 32 characters), so no length rule.
TimeZoneName = Annotated[str | None, BeforeValidator(_zone_name)]


class OrganizationCreate(InputModel):
    name: OrgName
    kind: OrganizationKind
    phone: Phone = None
    address: OptionalText = None
    timezone: TimeZoneName = None


class OrganizationUpdate(InputModel):
    name: OrgName | None = None
    kind: OrganizationKind | None = None
    phone: Phone = None
    address: OptionalText = None
    timezone: TimeZoneName = None
    active: bool | None = None


class OrganizationRead(OutputModel):
    id: uuid.UUID
    name: str
    kind: str
    phone: str | None
    address: str | None
    timezone: str | None
    active: bool


class UserCreate(InputModel):
    username: Username
    full_name: Name
    role: ProfessionalRole
    organization_id: uuid.UUID | None = None
    email: Email = None
    phone: Phone = None
    password: Password


class UserUpdate(InputModel):
    version: Version
    full_name: Name | None = None
    role: ProfessionalRole | None = None
    organization_id: uuid.UUID | None = None
    email: Email = None
    phone: Phone = None


class PasswordReset(InputModel):
    password: Password


class UserRead(OutputModel):
    id: uuid.UUID
    username: str
    full_name: str
    role: str
    organization_id: uuid.UUID | None
    email: str | None
    phone: str | None
    active: bool
    must_change_password: bool
    locked_until: datetime | None
    version: int


class StaffRead(OutputModel):
    """What colleagues may see of each other: enough to build a care team."""

    id: uuid.UUID
    username: str
    full_name: str
    role: str
    organization_id: uuid.UUID | None
    email: str | None
    phone: str | None


class BreakGlassRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    patient_mrn: str
    user_id: uuid.UUID
    username: str
    reason: str
    started_at: datetime
    expires_at: datetime
    ended_reason: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str | None


class BreakGlassReview(InputModel):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]

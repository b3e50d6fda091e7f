"""What a user may do: the capabilities, and the permission table that grants them by role.

The table is data (``permissions.json`` beside this module), loaded and validated at start-up
like the instruments: a file that names an unknown role or capability, forgets one, or lets
emergency access write without saying why stops Tandem with the file's name and the reason.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tandem.capabilities import Capability
from tandem.vocab import ProfessionalRole

PERMISSIONS_FILE = Path(__file__).parent / "permissions.json"


STAFF_CAPABILITIES = frozenset(
    {
        Capability.register_patient,
        Capability.break_the_glass,
        Capability.review_emergency_access,
        Capability.read_any_access_log,
        Capability.review_duplicates,
        Capability.review_duplicate_details,
        Capability.administer_users,
        Capability.administer_organizations,
    }
)


class AccessBasis(StrEnum):
    """Why a user may open a patient's record at all."""

    care_team = "care_team"
    break_glass = "break_glass"


WRITE_CAPABILITIES = frozenset(
    {
        Capability.edit_demographics,
        Capability.edit_identifiers,
        Capability.edit_family,
        Capability.manage_care_team,
        Capability.manage_enrolments,
        Capability.record_measurements,
        Capability.close_safety_alert,
        Capability.manage_needs,
        Capability.edit_care_plan,
        Capability.write_assessments,
        Capability.mark_registration_in_error,
    }
)


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    capability: Capability
    # What the capability lets a user do, in the care team's words (README matrix, 403 pages).
    label: str = Field(min_length=3)
    roles: tuple[ProfessionalRole, ...]
    reason: str = Field(min_length=10)


class PatientRule(Rule):
    # Emergency (break-the-glass) access grants this whatever the holder's role.
    break_glass: bool = False
    # Only the patient's lead care manager (and only if their role is listed).
    lead_only: bool = False
    # A write granted to emergency access must say why (42 CFR 2.51 is about reading).
    break_glass_reason: str | None = None

    @property
    def writes(self) -> bool:
        return self.capability in WRITE_CAPABILITIES

    @model_validator(mode="after")
    def _emergency_access_reads(self) -> PatientRule:
        if self.writes and self.break_glass and not self.break_glass_reason:
            raise ValueError(
                f"{self.capability}: emergency access is for reading; "
                "a write granted to it needs a break_glass_reason"
            )
        return self


class PermissionTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    source: str = Field(min_length=10)
    patient: tuple[PatientRule, ...]
    staff: tuple[Rule, ...]

    @model_validator(mode="after")
    def _every_capability_once(self) -> PermissionTable:
        named = [r.capability for r in (*self.patient, *self.staff)]
        twice = sorted({c for c in named if named.count(c) > 1})
        if twice:
            raise ValueError(f"capabilities listed twice: {', '.join(twice)}")
        missing = sorted(set(Capability) - set(named))
        if missing:
            raise ValueError(f"capabilities missing from the table: {', '.join(missing)}")
        for rule in self.patient:
            if len(set(rule.roles)) != len(rule.roles):
                raise ValueError(f"{rule.capability}: a role is listed twice")
        patient_caps = {r.capability for r in self.patient}
        if (
            patient_caps & STAFF_CAPABILITIES
            or {r.capability for r in self.staff} - STAFF_CAPABILITIES
        ):
            raise ValueError("a staff capability is listed among the patient ones, or the reverse")
        contact = self.rule(Capability.read_contact)
        for rule in self.patient:
            beyond = set(rule.roles) - set(contact.roles)
            if beyond:
                raise ValueError(
                    f"{rule.capability}: {', '.join(sorted(beyond))} must also be granted "
                    "read_contact (every page of a patient starts with who they are)"
                )
        contact_rule = next(r for r in self.patient if r.capability == Capability.read_contact)
        if not contact_rule.break_glass and any(r.break_glass for r in self.patient):
            raise ValueError("emergency access that grants anything must grant read_contact")
        return self

    def rule(self, capability: Capability) -> Rule:
        return next(r for r in (*self.patient, *self.staff) if r.capability == capability)

    def patient_grants(
        self, role: str, *, basis: AccessBasis, is_lead: bool
    ) -> frozenset[Capability]:
        """What a user in ``role`` may do on a patient they reach on ``basis``."""
        if basis == AccessBasis.break_glass:
            if not self.staff_grants(role) & {Capability.break_the_glass}:
                return frozenset()
            return frozenset(r.capability for r in self.patient if r.break_glass)
        return frozenset(
            r.capability for r in self.patient if role in r.roles and (is_lead or not r.lead_only)
        )

    def staff_grants(self, role: str) -> frozenset[Capability]:
        return frozenset(r.capability for r in self.staff if role in r.roles)

    def team_grants(self, role: str) -> frozenset[Capability]:
        """What a (non-lead) care-team member in ``role`` may do on any of their patients."""
        return self.patient_grants(role, basis=AccessBasis.care_team, is_lead=False)


class PermissionFileError(RuntimeError):
    """The permission table cannot be used; names the file and the reason."""


def load_permissions(path: Path = PERMISSIONS_FILE) -> PermissionTable:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return PermissionTable.model_validate(raw)
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise PermissionFileError(f"{path.name}: {exc}") from exc


@cache
def permissions() -> PermissionTable:
    """The permission table shipped with Tandem (validated once, at start-up)."""
    return load_permissions()

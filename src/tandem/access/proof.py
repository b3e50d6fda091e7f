"""Proofs of access: what the access layer hands back once it has checked who may do what.

Repositories take these instead of bare ids, and the scope guard accepts a query on patient
data only with a proof minted in the same database session, so an id from the address bar is
never enough on its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tandem.access.capabilities import WRITE_CAPABILITIES, AccessBasis, permissions
from tandem.capabilities import Capability

if TYPE_CHECKING:
    from tandem.people.models import Patient


@dataclass(frozen=True, eq=False)
class Proof:
    """A care relationship checked once in this session: whose, which patient, on what basis,
    and everything the permission table lets this user do there."""

    user_id: uuid.UUID
    patient_id: uuid.UUID
    basis: AccessBasis
    team_role: str | None
    granted: frozenset[Capability]
    patient: Patient
    # The name of the patient's managing organisation, read with the access decision (the chart
    # header shows it: one statement fewer on every chart page); None when not read with it.
    managing_organization: str | None = None

    @property
    def writes(self) -> bool:
        return bool(self.granted & WRITE_CAPABILITIES)


@dataclass(frozen=True)
class PatientAccess:
    """A patient the caller may see, the capability asked for, and on what basis."""

    patient: Patient
    proof: Proof
    capability: Capability

    @property
    def patient_id(self) -> uuid.UUID:
        return self.proof.patient_id

    @property
    def basis(self) -> AccessBasis:
        return self.proof.basis

    @property
    def is_emergency(self) -> bool:
        return self.proof.basis == AccessBasis.break_glass

    @property
    def is_lead(self) -> bool:
        return self.proof.team_role == "lead_care_manager"

    @property
    def purpose(self) -> str:
        """v3 PurposeOfUse of the access: BTG for emergency access, TREAT otherwise."""
        return "BTG" if self.is_emergency else "TREAT"

    def can(self, capability: Capability) -> bool:
        """Whether the same user may also do ``capability`` here (to show or hide an action)."""
        return capability in self.proof.granted

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.proof.granted

    def label(self, capability: Capability) -> str:
        return permissions().rule(capability).label


@dataclass(frozen=True, eq=False)
class StaffAccess:
    """A staff-wide capability (a review, administration) checked for this session's user."""

    user_id: uuid.UUID | None
    capability: Capability

"""The staff a population is cared for by: who may lead, who is the PCP, who else may join."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Staff:
    """A user who can sit on care teams, with the organisation they work for."""

    user_id: uuid.UUID
    organization_id: uuid.UUID | None


@dataclass(frozen=True)
class Clinic:
    """A primary-care clinic that manages patients; its PCPs and its record-number prefix."""

    organization_id: uuid.UUID
    name: str
    code: str
    pcps: tuple[Staff, ...]


@dataclass(frozen=True)
class CareManager:
    """A care manager, the clinics whose patients they lead, and their consultant."""

    staff: Staff
    clinics: tuple[Clinic, ...]
    consultant: Staff | None = None
    # Relative caseload (full-time = 1.0); leads are dealt out in proportion.
    weight: float = 1.0


@dataclass(frozen=True)
class Partner:
    """A community-partner user and the service their organisation provides."""

    staff: Staff
    service: str


@dataclass(frozen=True)
class CarePool:
    """Everyone a generated patient's care team is drawn from."""

    care_managers: tuple[CareManager, ...]
    consultants: tuple[Staff, ...] = ()
    therapists: tuple[Staff, ...] = ()
    social_workers: tuple[Staff, ...] = ()
    peer_specialists: tuple[Staff, ...] = ()
    partners: tuple[Partner, ...] = ()
    # Staff and organisation names by id, for the care plans that name who does what.
    names: Mapping[uuid.UUID, str] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not self.care_managers:
            raise ValueError("a care pool needs at least one care manager")
        for cm in self.care_managers:
            if not cm.clinics or any(not clinic.pcps for clinic in cm.clinics):
                raise ValueError("every care manager needs a clinic, and every clinic a PCP")

    def colleagues(self, cm: CareManager) -> tuple[CareManager, ...]:
        """Other care managers serving one of the same clinics (else any other care manager)."""
        clinics = {c.organization_id for c in cm.clinics}
        same = tuple(
            other
            for other in self.care_managers
            if other is not cm and clinics & {c.organization_id for c in other.clinics}
        )
        return same or tuple(other for other in self.care_managers if other is not cm)


@dataclass
class Network:
    """Organisation and user rows ready to insert, and the care pool they form."""

    organizations: list[Row]
    users: list[Row]
    pool: CarePool
    marker_username: str = field(default="")


def names_of(organizations: Iterable[Row], users: Iterable[Row]) -> dict[uuid.UUID, str]:
    """Staff and organisation names by id, for ``CarePool.names``."""
    return {
        **{row["id"]: row["full_name"] for row in users},
        **{row["id"]: row["name"] for row in organizations},
    }

"""The organisations and staff of a synthetic network, scaled with the population."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import ceil

from tandem.synth import names, people
from tandem.synth.keys import new_uuid
from tandem.synth.pool import (
    CareManager,
    CarePool,
    Clinic,
    Network,
    Partner,
    Row,
    Staff,
    names_of,
)
from tandem.synth.teams import Rates
from tandem.vocab import OrganizationKind, ProfessionalRole

# Caseload sizes behind the staffing ratios (AIMS Center guidance for care managers).
CARE_MANAGER_CASELOAD = 90
PATIENTS_PER_PCP = 400
PATIENTS_PER_CONSULTANT = 1500
PATIENTS_PER_CLINIC = 2500
PATIENTS_PER_AGENCY = 10_000
PATIENTS_PER_PARTNER_ORG = 25_000
THERAPIST_CASELOAD = 100
SOCIAL_WORKER_CASELOAD = 120
PEER_CASELOAD = 40
PARTNER_USER_CASELOAD = 150
# The network's staff accounts were created this long before the population's date.
STAFF_SINCE = timedelta(days=6 * 365)
_PARTNER_NAMES = {"housing": "Housing Services", "food": "Food Bank", "transport": "Ride Line"}


def organization_row(rng: random.Random, *, name: str, kind: str, created_at: datetime) -> Row:
    """An active organisation with a fictitious phone number and address."""
    return {
        "id": new_uuid(rng),
        "name": name,
        "kind": str(kind),
        "phone": people.phone(rng),
        "address": people.address(rng),
        "active": True,
        "created_at": created_at,
    }


def user_row(
    rng: random.Random,
    *,
    username: str,
    full_name: str,
    role: str,
    organization_id: uuid.UUID | None,
    password_hash: str,
    created_at: datetime,
) -> Row:
    """An active account that does not have to change its password at first sign-in."""
    return {
        "id": new_uuid(rng),
        "username": username,
        "full_name": full_name,
        "role": str(role),
        "organization_id": organization_id,
        "email": f"{username}@staff.example.org",
        "phone": people.phone(rng),
        "password_hash": password_hash,
        "active": True,
        "must_change_password": False,
        "failed_logins": 0,
        "last_failed_login_at": None,
        "locked_until": None,
        "created_at": created_at,
        "version": 1,
    }


@dataclass
class _Builder:
    rng: random.Random
    seed: int
    password_hash: str
    created_at: datetime

    def __post_init__(self) -> None:
        self.organizations: list[Row] = []
        self.users: list[Row] = []

    def org(self, kind: str, label: str, index: int) -> Row:
        place = names.PLACES[(index * 7 + self.seed) % len(names.PLACES)]
        row = organization_row(
            self.rng,
            name=f"{place} {label} (s{self.seed}-{index + 1:02d})",
            kind=kind,
            created_at=self.created_at,
        )
        self.organizations.append(row)
        return row

    def staff(self, short: str, index: int, role: str, org: Row) -> Staff:
        row = user_row(
            self.rng,
            username=f"s{self.seed}.{short}.{index + 1:05d}",
            full_name=people.staff_name(self.rng),
            role=role,
            organization_id=org["id"],
            password_hash=self.password_hash,
            created_at=self.created_at,
        )
        self.users.append(row)
        return Staff(row["id"], org["id"])

    def team(self, short: str, count: int, role: str, orgs: list[Row]) -> tuple[Staff, ...]:
        return tuple(self.staff(short, i, role, orgs[i % len(orgs)]) for i in range(count))


def scaled_network(
    patients: int, seed: int, *, as_of: date, password_hash: str, rates: Rates | None = None
) -> Network:
    """Clinics, agencies, partners and staff sized so that caseloads stay realistic."""
    rates = rates or Rates()
    created = datetime.combine(as_of - STAFF_SINCE, time(16), tzinfo=UTC)
    b = _Builder(random.Random(f"tandem-synth-network:{seed}"), seed, password_hash, created)
    role = ProfessionalRole
    clinic_rows = [
        b.org(OrganizationKind.primary_care, "Family Health", i)
        for i in range(max(2, round(patients / PATIENTS_PER_CLINIC)))
    ]
    agencies = [
        b.org(OrganizationKind.behavioural_health, "Behavioural Health", i)
        for i in range(max(1, round(patients / PATIENTS_PER_AGENCY)))
    ]
    partner_orgs = {
        service: [
            b.org(OrganizationKind.community_partner, label, i)
            for i in range(max(1, round(patients / PATIENTS_PER_PARTNER_ORG)))
        ]
        for service, label in _PARTNER_NAMES.items()
    }
    pcps = b.team(
        "pcp",
        max(len(clinic_rows), ceil(patients / PATIENTS_PER_PCP)),
        role.primary_care_provider,
        clinic_rows,
    )
    clinics = [
        Clinic(row["id"], row["name"], f"PC{i + 1:02d}", pcps[i :: len(clinic_rows)])
        for i, row in enumerate(clinic_rows)
    ]
    consultants = b.team(
        "psy",
        max(1, ceil(patients / PATIENTS_PER_CONSULTANT)),
        role.psychiatric_consultant,
        agencies,
    )
    cm_staff = b.team(
        "cm",
        max(len(clinics), ceil(patients / CARE_MANAGER_CASELOAD)),
        role.care_manager,
        clinic_rows,
    )
    care_managers = tuple(
        CareManager(
            staff,
            (clinics[i % len(clinics)],),
            consultants[i % len(consultants)],
            weight=b.rng.uniform(0.72, 1.28),
        )
        for i, staff in enumerate(cm_staff)
    )
    partner_count = len(partner_orgs["housing"]) * len(partner_orgs)
    per_partner_org = max(
        2, ceil(patients * rates.community_partner / partner_count / PARTNER_USER_CASELOAD)
    )
    partners = tuple(
        Partner(staff, service)
        for service, orgs in partner_orgs.items()
        for staff in b.team(
            f"partner.{service}", per_partner_org * len(orgs), role.community_partner, orgs
        )
    )
    pool = CarePool(
        care_managers=care_managers,
        consultants=consultants,
        therapists=b.team(
            "ther",
            max(1, ceil(patients * rates.therapist / THERAPIST_CASELOAD)),
            role.therapist,
            agencies,
        ),
        social_workers=b.team(
            "sw",
            max(1, ceil(patients * rates.social_worker / SOCIAL_WORKER_CASELOAD)),
            role.social_worker,
            agencies,
        ),
        peer_specialists=b.team(
            "peer",
            max(1, ceil(patients * rates.peer_specialist / PEER_CASELOAD)),
            role.peer_specialist,
            agencies,
        ),
        partners=partners,
        names=names_of(b.organizations, b.users),
    )
    return Network(b.organizations, b.users, pool, marker_username=marker_username(seed))


def marker_username(seed: int) -> str:
    """The account by which a loaded network of ``seed`` is recognised."""
    return f"s{seed}.cm.00001"


def built_as_of(staff_created_at: datetime) -> date:
    """The date a network was built around, from when its staff were created."""
    return staff_created_at.date() + STAFF_SINCE

"""A patient's programme enrolments and care team, drawn from a care pool."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tandem.careteams.vocab import PROGRAMMES, CareTeamRole, Phase
from tandem.synth import names, reasons
from tandem.synth.keys import new_uuid
from tandem.synth.people import Person
from tandem.synth.pool import CareManager, CarePool, Clinic, Row, Staff

_PROGRAMME_WEIGHTS = (55, 25, 8, 12)
_PARTNER_SERVICES = ("housing", "food", "transport")
_PARTNER_WEIGHTS = (50, 30, 20)


@dataclass(frozen=True)
class Rates:
    """How often each kind of team member, identifier and episode appears."""

    consultant: float = 0.35
    therapist: float = 0.40
    social_worker: float = 0.25
    peer_specialist: float = 0.10
    family_caregiver: float = 0.15
    community_partner: float = 0.08
    former_lead: float = 0.06
    former_therapist: float = 0.04
    relapse_prevention: float = 0.25
    discharged_only: float = 0.04
    previous_episode: float = 0.10
    clinic_mrn: float = 0.85
    medicaid: float = 0.40


@dataclass(frozen=True)
class Episodes:
    """Enrolment rows plus the dates the care team hangs on."""

    rows: list[Row]
    registered: date
    care_start: date


def at(rng: random.Random, day: date) -> datetime:
    """A moment during US working hours on ``day``, in UTC (15:00-24:00 UTC: 07:00-16:00 in
    Seattle, so still ``day`` on the clinic's own calendar in every US zone)."""
    return datetime.combine(day, time(rng.randrange(15, 24), rng.randrange(60)), tzinfo=UTC)


def _days_ago(as_of: date, low: int, high: int, rng: random.Random) -> date:
    return as_of - timedelta(days=rng.randint(low, high))


def _enrolment(
    rng: random.Random,
    person: Person,
    clinic: Clinic,
    *,
    start: date,
    end: date | None,
    phase: str,
) -> Row:
    drawn = rng.choices(PROGRAMMES, weights=_PROGRAMME_WEIGHTS)[0]
    age = reasons.age_on(person.birth_date, start)
    programme = reasons.programme_for(drawn, person.gender, age)
    created = at(rng, start)
    ended = end is not None
    why = (
        rng.choice(names.DISCHARGE_REASONS)
        if ended
        else rng.choice(reasons.fitting(programme, person.gender, age))
    )
    return {
        "id": new_uuid(rng),
        "patient_id": person.id,
        "programme": programme,
        "phase": str(phase),
        "start_date": start,
        "end_date": end,
        "reason": why,
        "organization_id": clinic.organization_id,
        "status": "inactive" if ended else "active",
        "created_at": created,
        "updated_at": at(rng, end) if end is not None else created,
        "version": 2 if ended else 1,
    }


def episodes(
    rng: random.Random, person: Person, clinic: Clinic, rates: Rates, as_of: date
) -> Episodes:
    """Most patients in one open episode; some discharged before, a few discharged only."""
    draw = rng.random()
    if draw < rates.discharged_only:
        start = _days_ago(as_of, 240, 900, rng)
        end = start + timedelta(days=rng.randint(90, 220))
        row = _enrolment(rng, person, clinic, start=start, end=end, phase=Phase.discharged.value)
        return Episodes([row], start, start)
    if draw < rates.discharged_only + rates.relapse_prevention:
        start, phase = _days_ago(as_of, 180, 720, rng), Phase.relapse_prevention.value
    else:
        start, phase = _days_ago(as_of, 3, 300, rng), Phase.active.value
    rows = [_enrolment(rng, person, clinic, start=start, end=None, phase=phase)]
    registered = start
    if rng.random() < rates.previous_episode:
        registered = start - timedelta(days=rng.randint(400, 1500))
        end = registered + timedelta(days=rng.randint(90, 365))
        rows.insert(
            0,
            _enrolment(
                rng, person, clinic, start=registered, end=end, phase=Phase.discharged.value
            ),
        )
    return Episodes(rows, registered, start)


def _member(
    rng: random.Random,
    person: Person,
    role: str,
    start: date,
    *,
    staff: Staff | None = None,
    related_person_id: Any = None,
    end: date | None = None,
) -> Row:
    return {
        "id": new_uuid(rng),
        "patient_id": person.id,
        "role": str(role),
        "user_id": staff.user_id if staff else None,
        "related_person_id": related_person_id,
        "organization_id": staff.organization_id if staff else None,
        "start_date": start,
        "end_date": end,
        "status": "inactive" if end else "active",
        "end_reason": rng.choice(names.MEMBER_END_REASONS) if end else None,
        "created_at": at(rng, start),
        "version": 2 if end else 1,
    }


def _other(rng: random.Random, pool: tuple[Staff, ...], not_this: Staff | None) -> Staff:
    choices = [s for s in pool if s != not_this] or list(pool)
    return rng.choice(choices)


def care_team(
    rng: random.Random,
    person: Person,
    *,
    cm: CareManager,
    clinic: Clinic,
    pool: CarePool,
    rates: Rates,
    episode: Episodes,
    related: list[Row],
    as_of: date,
) -> list[Row]:
    """Exactly one active lead care manager, the clinic's PCP, and others by the rates."""
    start = episode.care_start

    def later(low: int, high: int) -> date:
        return min(as_of, start + timedelta(days=rng.randint(low, high)))

    rows: list[Row] = []
    lead_start = start
    if rng.random() < rates.former_lead and (as_of - start).days > 60:
        lead_start = start + timedelta(days=rng.randint(30, (as_of - start).days - 7))
        former = rng.choice(pool.colleagues(cm)).staff
        rows.append(
            _member(
                rng, person, CareTeamRole.lead_care_manager, start, staff=former, end=lead_start
            )
        )
    rows.append(_member(rng, person, CareTeamRole.lead_care_manager, lead_start, staff=cm.staff))
    rows.append(
        _member(
            rng,
            person,
            CareTeamRole.primary_care_provider,
            episode.registered,
            staff=rng.choice(clinic.pcps),
        )
    )
    consultant = cm.consultant or (rng.choice(pool.consultants) if pool.consultants else None)
    if consultant and rng.random() < rates.consultant:
        rows.append(
            _member(
                rng, person, CareTeamRole.psychiatric_consultant, later(7, 90), staff=consultant
            )
        )
    therapist: Staff | None = None
    if pool.therapists and rng.random() < rates.therapist:
        therapist = rng.choice(pool.therapists)
        rows.append(_member(rng, person, CareTeamRole.therapist, later(0, 60), staff=therapist))
    if pool.therapists and rng.random() < rates.former_therapist:
        ended = min(as_of, episode.registered + timedelta(days=rng.randint(60, 240)))
        rows.append(
            _member(
                rng,
                person,
                CareTeamRole.therapist,
                episode.registered,
                staff=_other(rng, pool.therapists, therapist),
                end=ended,
            )
        )
    for role, staff_pool, rate in (
        (CareTeamRole.social_worker, pool.social_workers, rates.social_worker),
        (CareTeamRole.peer_specialist, pool.peer_specialists, rates.peer_specialist),
    ):
        if staff_pool and rng.random() < rate:
            rows.append(_member(rng, person, role, later(0, 90), staff=rng.choice(staff_pool)))
    if pool.partners and rng.random() < rates.community_partner:
        service = rng.choices(_PARTNER_SERVICES, weights=_PARTNER_WEIGHTS)[0]
        partners = [p for p in pool.partners if p.service == service] or list(pool.partners)
        partner = rng.choice(partners).staff
        rows.append(
            _member(rng, person, CareTeamRole.community_partner, later(14, 120), staff=partner)
        )
    # Related persons exist for 60 % of patients; scale so the overall share matches the rate.
    if related and rng.random() < min(1.0, rates.family_caregiver / 0.6):
        carer = rng.choice(related)
        rows.append(
            _member(
                rng, person, CareTeamRole.family_caregiver, start, related_person_id=carer["id"]
            )
        )
    return rows

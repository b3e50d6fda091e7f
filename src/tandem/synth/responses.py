"""Rows of one administered instrument, as ``service.administer`` writes them: the response and
its coded observations; and who on the care team was there on a given day."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tandem.careteams.vocab import CareTeamRole
from tandem.synth.answers import Scored
from tandem.synth.keys import new_uuid
from tandem.synth.pool import Row


@dataclass(frozen=True)
class Administered:
    """A response row and its observation rows."""

    response: Row
    observations: list[Row]
    scored: Scored


def administered(
    rng: random.Random,
    *,
    patient_id: uuid.UUID,
    scored: Scored,
    on: date,
    recorded_at: datetime,
    entered_by: uuid.UUID | None,
    source: str,
) -> Administered:
    """The response (status completed, version 1) and one observation per derived value."""
    definition = scored.definition
    response: Row = {
        "id": new_uuid(rng),
        "patient_id": patient_id,
        "instrument": definition.code,
        "instrument_version": definition.version,
        "status": "completed",
        "answered_on": on,
        "source": source,
        "answers": scored.answers,
        "total_score": scored.result.total,
        "band": scored.band_code,
        "band_level": scored.band_level,
        "flags": scored.flags,
        "entered_by": entered_by,
        "recorded_at": recorded_at,
        "updated_at": recorded_at,
        "status_reason": None,
        "version": 1,
    }
    observations = [
        {
            "id": new_uuid(rng),
            "patient_id": patient_id,
            "response_id": response["id"],
            "instrument": definition.code,
            "system": d.system,
            "code": d.code,
            "display": d.display,
            "category": d.category,
            "value_integer": d.value_integer,
            "value_code": d.value_code,
            "value_display": d.value_display,
            "effective_on": on,
            "status": "final",
            "recorded_at": recorded_at,
        }
        for d in scored.derived
    ]
    return Administered(response, observations, scored)


def minutes_later(rng: random.Random, moment: datetime, low: int, high: int) -> datetime:
    """A moment ``low`` to ``high`` minutes after ``moment``."""
    return moment + timedelta(minutes=rng.randint(low, high))


@dataclass(frozen=True)
class Team:
    """A patient's care-team rows, asked who was on the team on a given day."""

    members: list[Row]

    def _on(self, day: date, roles: tuple[str, ...] | None = None) -> list[uuid.UUID]:
        return [
            m["user_id"]
            for m in self.members
            if m["user_id"] is not None
            and (roles is None or m["role"] in roles)
            and m["start_date"] <= day
            and (m["end_date"] is None or day < m["end_date"])
        ]

    def leads_on(self, day: date) -> list[uuid.UUID]:
        return self._on(day, (CareTeamRole.lead_care_manager.value,))

    def staff_on(self, day: date) -> list[uuid.UUID]:
        return self._on(day)

    def first_lead(self) -> uuid.UUID | None:
        """The lead care manager who started first (who ran the enrolment screen)."""
        leads = [m for m in self.members if m["role"] == CareTeamRole.lead_care_manager.value]
        return min(leads, key=lambda m: m["start_date"])["user_id"] if leads else None

    def one_of(self, day: date, role: str) -> uuid.UUID | None:
        found = self._on(day, (role,))
        return found[0] if found else None

    def recorder(self, rng: random.Random, day: date, *, in_episode: bool) -> uuid.UUID | None:
        """Who entered a measurement: mostly the lead care manager; before enrolment, the
        primary care provider; sometimes the therapist."""
        pcp = self.one_of(day, CareTeamRole.primary_care_provider.value)
        if not in_episode:
            return pcp or self.first_lead()
        draw = rng.random()
        if draw < 0.1:
            therapist = self.one_of(day, CareTeamRole.therapist.value)
            if therapist:
                return therapist
        if draw < 0.2 and pcp:
            return pcp
        leads = self.leads_on(day)
        return leads[0] if leads else self.first_lead()

    def told(self, day: date) -> list[uuid.UUID]:
        """Who ``safety`` notifies: the lead care manager, else every staff member (the team
        on ``day``), as ``safety._tell_the_team`` does at the moment of the alert."""
        found = self.leads_on(day) or self.staff_on(day)
        if not found and (first := self.first_lead()) is not None:
            found = [first]
        return list(dict.fromkeys(found))

"""The coded observations a response yields: its total score or triage level, and each
social-needs answer (FHIR Observation, derivedFrom the QuestionnaireResponse)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.proof import PatientAccess
from tandem.assessments import repository as repo
from tandem.assessments.definitions import Instrument
from tandem.assessments.models import Observation, Response
from tandem.assessments.rules import Result, codes_of
from tandem.ids import new_id
from tandem.vocab import RecordStatus


@dataclass(frozen=True)
class Derived:
    system: str
    code: str
    display: str
    category: str
    value_integer: int | None
    value_code: str | None
    value_display: str | None


def derived_values(definition: Instrument, response: Response, result: Result) -> list[Derived]:
    """What the response says, as coded results."""
    category = " ".join(definition.category)
    found: list[Derived] = []
    scoring = definition.scoring
    if scoring.method != "none" and scoring.code:
        found.append(
            Derived(
                system=definition.panel_system,
                code=scoring.code,
                display=scoring.display or definition.title,
                category=category,
                value_integer=result.total,
                value_code=result.band.code if result.band else None,
                value_display=result.band.label if result.band else None,
            )
        )
    for item in definition.items:
        codes = codes_of(response.answers.get(item.link_id))
        if item.domain is None or item.code is None or not codes:
            continue
        options = [definition.option(item, c) for c in codes]
        found.append(
            Derived(
                system=item.system,
                code=item.code,
                display=item.short,
                category=f"{category} {item.domain}",
                value_integer=None,
                value_code=",".join(codes)[:80],
                value_display="; ".join(o.display for o in options if o)[:300],
            )
        )
    return found


async def derive_observations(
    session: AsyncSession,
    access: PatientAccess,
    definition: Instrument,
    response: Response,
    result: Result,
    *,
    now: datetime,
    amend: bool = False,
) -> None:
    """Store the observations; on amendment, changed ones become "amended", vanished ones
    "entered-in-error", so the history of each coded result stays readable."""
    wanted = {d.code: d for d in derived_values(definition, response, result)}
    if amend:
        for existing in await repo.observations_of(session, access, response.id):
            if existing.status == RecordStatus.entered_in_error:
                continue
            new = wanted.pop(existing.code, None)
            if new is None:
                existing.status = RecordStatus.entered_in_error
                continue
            changed = (existing.value_integer, existing.value_code, existing.effective_on) != (
                new.value_integer,
                new.value_code,
                response.answered_on,
            )
            if changed:
                existing.value_integer = new.value_integer
                existing.value_code = new.value_code
                existing.value_display = new.value_display
                existing.effective_on = response.answered_on
                existing.status = "amended"
    for d in wanted.values():
        session.add(
            Observation(
                id=new_id(),
                patient_id=response.patient_id,
                response_id=response.id,
                instrument=definition.code,
                system=d.system,
                code=d.code,
                display=d.display,
                category=d.category,
                value_integer=d.value_integer,
                value_code=d.value_code,
                value_display=d.value_display,
                effective_on=response.answered_on,
                status="final",
                recorded_at=now,
            )
        )
    await session.flush()


async def withdraw_observations(
    session: AsyncSession, access: PatientAccess, response: Response
) -> None:
    for existing in await repo.observations_of(session, access, response.id):
        existing.status = RecordStatus.entered_in_error
    await session.flush()

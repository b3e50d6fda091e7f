"""Pure, deterministic generation of a population's rows from (pool, count, seed)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from tandem.synth import keys, people, teams
from tandem.synth.courses import HistoryRates
from tandem.synth.measurements import History, HistoryMaker, PatientFacts
from tandem.synth.plans import PlanMaker, PlanRows
from tandem.synth.pool import CareManager, CarePool, Row
from tandem.synth.teams import Rates

T = TypeVar("T")


@dataclass(frozen=True)
class PopulationSpec:
    """What to generate. Same spec and pool, same rows: ids, names and dates included."""

    namespace: str
    seed: int
    block: int
    count: int
    as_of: date
    rates: Rates = field(default_factory=Rates)
    history: HistoryRates = field(default_factory=HistoryRates)


@dataclass
class Bundle:
    """One patient and every row that hangs off them."""

    patient: Row
    identifiers: list[Row]
    related: list[Row]
    members: list[Row]
    enrolments: list[Row]
    # Responses, observations, safety alerts, notifications and needs.
    history: History = field(default_factory=History)
    # The shared care plan, its versions, goals, their needs and activities.
    plan: PlanRows = field(default_factory=PlanRows)


def _identifiers(
    rng: random.Random,
    spec: PopulationSpec,
    index: int,
    patient: Row,
    clinic_code: str,
    assigner: str,
) -> list[Row]:
    rows: list[Row] = []
    wanted = (
        (
            "clinic_mrn",
            spec.rates.clinic_mrn,
            keys.clinic_mrn(clinic_code, spec.block, index),
            assigner,
        ),
        (
            "medicaid",
            spec.rates.medicaid,
            keys.medicaid_id(spec.block, index),
            "State Medicaid agency",
        ),
    )
    for system, rate, value, who in wanted:
        if rng.random() < rate:
            rows.append(
                {
                    "id": keys.new_uuid(rng),
                    "patient_id": patient["id"],
                    "system": system,
                    "value": value,
                    "assigner": who,
                    "status": "active",
                    "created_at": patient["created_at"],
                    "version": 1,
                }
            )
    return rows


def deal_leads(rng: random.Random, pool: CarePool, count: int) -> list[CareManager]:
    """Lead care manager of each patient: caseloads in proportion to each manager's weight."""
    weights = [cm.weight for cm in pool.care_managers]
    shares = [count * w / sum(weights) for w in weights]
    sizes = [int(s) for s in shares]
    # Largest remainders take the patients left over by rounding down.
    by_remainder = sorted(range(len(shares)), key=lambda i: sizes[i] - shares[i])
    for i in by_remainder[: count - sum(sizes)]:
        sizes[i] += 1
    leads = [cm for cm, size in zip(pool.care_managers, sizes, strict=True) for _ in range(size)]
    rng.shuffle(leads)
    return leads


def _bundle(
    rng: random.Random,
    spec: PopulationSpec,
    pool: CarePool,
    index: int,
    cm: CareManager,
    maker: HistoryMaker,
    plans: PlanMaker,
) -> Bundle:
    clinic = rng.choice(cm.clinics)
    patient, person = people.patient(
        rng, mrn=keys.mrn(spec.block, index), clinic_id=clinic.organization_id
    )
    episode = teams.episodes(rng, person, clinic, spec.rates, spec.as_of)
    created = teams.at(rng, episode.registered)
    # The measurement history has a generator of its own, so the rest stays as it was.
    own = maker.patient_rng(index)
    plan = maker.plan(own, episode.rows, spec.as_of)
    recorded = maker.recorded_times(own, plan) if plan else []
    if recorded:
        # Registered in Tandem before the first measurement was recorded in it.
        created = min(created, min(recorded) - timedelta(minutes=10))
    patient["created_at"] = patient["updated_at"] = created
    draw = rng.random()
    related = people.related_persons(
        rng, person, 0 if draw < 0.4 else 1 if draw < 0.8 else 2, created
    )
    members = teams.care_team(
        rng,
        person,
        cm=cm,
        clinic=clinic,
        pool=pool,
        rates=spec.rates,
        episode=episode,
        related=related,
        as_of=spec.as_of,
    )
    identifiers = _identifiers(rng, spec, index, patient, clinic.code, clinic.name)
    bundle = Bundle(patient, identifiers, related, members, episode.rows)
    if plan is not None:
        facts = PatientFacts(
            person.id, patient["given_name"], patient["family_name"], person.gender
        )
        bundle.history = maker.write(own, plan, recorded, facts, members)
    bundle.plan = plans.make(
        plans.patient_rng(index),
        patient_id=person.id,
        enrolments=episode.rows,
        members=members,
        needs=bundle.history.needs,
        course=bundle.history.course,
        as_of=spec.as_of,
    )
    return bundle


def generate(spec: PopulationSpec, pool: CarePool) -> Iterator[Bundle]:
    """Patients 0 … count-1 of the population, in order."""
    if spec.count < 0:
        raise ValueError("the number of patients cannot be negative")
    keys.mrn(spec.block, max(spec.count - 1, 0))  # validates block and size before any work
    rng = random.Random(f"tandem-{spec.namespace}:{spec.seed}")
    maker = HistoryMaker(spec.namespace, spec.seed, spec.history)
    plans = PlanMaker(spec.namespace, spec.seed, pool.names)
    for index, cm in enumerate(deal_leads(rng, pool, spec.count)):
        yield _bundle(rng, spec, pool, index, cm, maker, plans)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

"""Synthetic patients agree with their own record: every open enrolment's reason fits its
programme, the patient's age on its start date and their gender (no 62-year-old in the
substance-use programme for postpartum mood symptoms), and perinatal care is for women of
childbearing age only. The expectations are written out here, not taken from the generator."""

from __future__ import annotations

import functools
from datetime import date

import pytest

from tandem.careteams.vocab import PROGRAMMES
from tandem.synth import names
from tandem.synth.network import scaled_network
from tandem.synth.population import Bundle, PopulationSpec, generate
from tandem.synth.reasons import ENROLMENT_REASONS, age_on, fitting, programme_for

AS_OF = date(2026, 3, 10)
COLLABORATIVE, SERIOUS_ILLNESS, PERINATAL, SUBSTANCE_USE = PROGRAMMES
GENDERS = ("female", "male", "other", "unknown")
POSTPARTUM = "Postpartum mood symptoms raised at a well-baby visit"
MEDICARE = "Low mood and isolation raised at a Medicare annual wellness visit"
ALCOHOL = "Alcohol use raised during an annual physical"


@functools.cache
def population(seed: int) -> tuple[Bundle, ...]:
    spec = PopulationSpec(namespace="synth", seed=seed, block=seed, count=1500, as_of=AS_OF)
    network = scaled_network(spec.count, spec.seed, as_of=AS_OF, password_hash="x")
    return tuple(generate(spec, network.pool))


def _age(born: date, on: date) -> int:
    years = on.year - born.year
    return years - 1 if (on.month, on.day) < (born.month, born.day) else years


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_every_open_enrolment_has_a_reason_that_fits_the_patient(seed: int) -> None:
    by_text = {r.text: r for r in ENROLMENT_REASONS}
    problems = []
    enrolments = 0
    for bundle in population(seed):
        patient = bundle.patient
        for row in bundle.enrolments:
            enrolments += 1
            age = _age(patient["birth_date"], row["start_date"])
            if row["status"] == "inactive":
                assert row["reason"] in names.DISCHARGE_REASONS
                continue
            reason = by_text.get(row["reason"])
            if reason is None:
                problems.append(f"unknown reason {row['reason']!r}")
            elif not (
                row["programme"] in reason.programmes
                and reason.youngest <= age <= reason.oldest
                and patient["gender"] in reason.genders
            ):
                problems.append(
                    f"{row['reason']!r} for a {age}-year-old {patient['gender']} patient in "
                    f"{row['programme']!r}"
                )
    assert enrolments > 1500
    assert problems == []


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_perinatal_care_is_for_women_from_16_to_45_at_enrolment(seed: int) -> None:
    perinatal = [
        (b.patient, e)
        for b in population(seed)
        for e in b.enrolments
        if e["programme"] == PERINATAL
    ]
    assert perinatal, "the population should have some perinatal enrolments"
    for patient, row in perinatal:
        assert patient["gender"] == "female"
        assert 16 <= _age(patient["birth_date"], row["start_date"]) <= 45


def test_every_programme_is_used_and_every_reason_is_given() -> None:
    rows = [e for seed in (1, 7, 42) for b in population(seed) for e in b.enrolments]
    assert {e["programme"] for e in rows} == set(PROGRAMMES)
    given = {e["reason"] for e in rows if e["status"] == "active"}
    assert given == {r.text for r in ENROLMENT_REASONS}


def test_the_same_seed_gives_the_same_enrolments() -> None:
    first = [b.enrolments for b in population(7)]
    population.cache_clear()
    assert [b.enrolments for b in population(7)] == first


@pytest.mark.parametrize(
    ("gender", "age", "fits"),
    [
        ("female", 15, False),
        ("female", 16, True),
        ("female", 45, True),
        ("female", 46, False),
        ("female", 62, False),
        ("male", 30, False),
        ("other", 30, False),
        ("unknown", 30, False),
    ],
)
def test_postpartum_mood_fits_perinatal_women_from_16_to_45_only(
    gender: str, age: int, fits: bool
) -> None:
    assert (POSTPARTUM in fitting(PERINATAL, gender, age)) is fits
    for programme in (COLLABORATIVE, SERIOUS_ILLNESS, SUBSTANCE_USE):
        assert POSTPARTUM not in fitting(programme, "female", 30)


@pytest.mark.parametrize(("age", "fits"), [(64, False), (65, True), (98, True)])
def test_the_medicare_wellness_visit_is_from_65(age: int, fits: bool) -> None:
    assert (MEDICARE in fitting(COLLABORATIVE, "male", age)) is fits


@pytest.mark.parametrize(("age", "fits"), [(17, False), (18, True), (62, True)])
def test_alcohol_at_an_annual_physical_is_for_adults_in_substance_use_care(
    age: int, fits: bool
) -> None:
    assert (ALCOHOL in fitting(SUBSTANCE_USE, "female", age)) is fits
    assert ALCOHOL not in fitting(PERINATAL, "female", 30)


def test_collaborative_care_has_a_reason_for_everyone_so_the_fallback_always_fits() -> None:
    for gender in GENDERS:
        for age in range(0, 140):
            assert fitting(COLLABORATIVE, gender, age)


def test_a_programme_that_fits_nobody_falls_back_to_collaborative_care() -> None:
    assert programme_for(PERINATAL, "male", 30) == COLLABORATIVE
    assert programme_for(PERINATAL, "female", 62) == COLLABORATIVE
    assert programme_for(SUBSTANCE_USE, "female", 14) == COLLABORATIVE
    assert programme_for(SUBSTANCE_USE, "male", 62) == SUBSTANCE_USE
    assert programme_for(PERINATAL, "female", 30) == PERINATAL


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1980, 5, 17), date(2026, 5, 16), 45),
        (date(1980, 5, 17), date(2026, 5, 17), 46),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
    ],
)
def test_age_on_counts_completed_years(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_every_reason_names_known_programmes_and_a_sensible_age_range() -> None:
    for reason in ENROLMENT_REASONS:
        assert reason.programmes and reason.programmes <= set(PROGRAMMES), reason.text
        assert 0 <= reason.youngest < reason.oldest, reason.text
        assert reason.genders <= set(GENDERS), reason.text
    assert len({r.text for r in ENROLMENT_REASONS}) == len(ENROLMENT_REASONS)

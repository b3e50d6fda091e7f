"""Why a synthetic patient was enrolled: each reason names the programmes, the ages at
enrolment and the genders it fits, so that no demo patient contradicts their own record (no
62-year-old in the substance-use programme for postpartum mood symptoms).

A programme is drawn for a patient only if one of its reasons fits them; the collaborative-care
programme has a reason for everyone, so it is where a programme that fits nobody falls back to.
Ages are completed years on the enrolment's start date; genders are the patient's recorded
administrative gender (the record keeps no other sex or gender field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from tandem.careteams.vocab import PROGRAMMES

COLLABORATIVE, SERIOUS_ILLNESS, PERINATAL, SUBSTANCE_USE = PROGRAMMES
ANY_GENDER = frozenset({"female", "male", "other", "unknown"})
FEMALE = frozenset({"female"})
OLDEST = 130


@dataclass(frozen=True)
class EnrolmentReason:
    text: str
    programmes: frozenset[str]
    youngest: int = 12
    oldest: int = OLDEST
    genders: frozenset[str] = ANY_GENDER

    def fits(self, programme: str, gender: str, age: int) -> bool:
        return (
            programme in self.programmes
            and self.youngest <= age <= self.oldest
            and gender in self.genders
        )


def _for(*programmes: str) -> frozenset[str]:
    return frozenset(programmes)


ENROLMENT_REASONS: tuple[EnrolmentReason, ...] = (
    # Depression screening from age 12 (USPSTF 2016, adolescents 2022).
    EnrolmentReason("Positive depression screen at a primary-care visit", _for(COLLABORATIVE)),
    EnrolmentReason(
        "Anxiety symptoms affecting work and sleep", _for(COLLABORATIVE), youngest=18, oldest=75
    ),
    EnrolmentReason(
        "Low mood and isolation raised at a Medicare annual wellness visit",
        _for(COLLABORATIVE),
        youngest=65,
    ),
    # Any age: collaborative care has a reason for everyone (the fallback must always fit).
    EnrolmentReason(
        "Referred by the PCP after an emergency visit",
        _for(COLLABORATIVE, SERIOUS_ILLNESS),
        youngest=0,
    ),
    EnrolmentReason(
        "Referred by the PCP after an emergency visit for intoxication",
        _for(SUBSTANCE_USE),
        youngest=16,
    ),
    EnrolmentReason(
        "Self-referral through the clinic front desk",
        _for(COLLABORATIVE, SUBSTANCE_USE),
        youngest=16,
    ),
    EnrolmentReason(
        "Discharged from an inpatient psychiatric stay; needs integrated follow-up",
        _for(SERIOUS_ILLNESS),
    ),
    EnrolmentReason(
        "Bipolar disorder: a mood episode raised by the primary care provider",
        _for(SERIOUS_ILLNESS),
        youngest=16,
    ),
    EnrolmentReason(
        "Schizophrenia care moved to primary care with psychiatric consultation",
        _for(SERIOUS_ILLNESS),
        youngest=18,
    ),
    EnrolmentReason(
        "Postpartum mood symptoms raised at a well-baby visit",
        _for(PERINATAL),
        youngest=16,
        oldest=45,
        genders=FEMALE,
    ),
    EnrolmentReason(
        "Positive depression screen at a prenatal visit",
        _for(PERINATAL),
        youngest=16,
        oldest=45,
        genders=FEMALE,
    ),
    EnrolmentReason(
        "Alcohol use raised during an annual physical", _for(SUBSTANCE_USE), youngest=18
    ),
    EnrolmentReason(
        "Opioid use disorder: starting buprenorphine in primary care",
        _for(SUBSTANCE_USE),
        youngest=18,
        oldest=80,
    ),
)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@cache
def fitting(programme: str, gender: str, age: int) -> tuple[str, ...]:
    """The reasons (their texts) that fit a patient of this gender and age in the programme."""
    age = min(max(age, 0), OLDEST)
    return tuple(r.text for r in ENROLMENT_REASONS if r.fits(programme, gender, age))


def programme_for(drawn: str, gender: str, age: int) -> str:
    """The drawn programme if a reason fits the patient there, else collaborative care."""
    return drawn if fitting(drawn, gender, max(age, 0)) else COLLABORATIVE

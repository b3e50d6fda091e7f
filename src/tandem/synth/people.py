"""Synthetic people: patient demographics, related persons and staff names."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from itertools import accumulate

from tandem.people.rules import fold, search_name
from tandem.people.vocab import Relationship
from tandem.synth import names
from tandem.synth.keys import new_uuid
from tandem.synth.pool import Row

_HERITAGE_WEIGHTS = list(accumulate(h.weight for h in names.HERITAGES))
_GENDERS = ("female", "male", "other", "unknown")
_GENDER_WEIGHTS = list(accumulate((55, 42, 2, 1)))
_CONTACT = ("phone", "text", "email", "post", "no_contact")
_CONTACT_WEIGHTS = list(accumulate((55, 25, 10, 8, 2)))
_BORN_FROM = date(1940, 1, 1).toordinal()
_BORN_TO = date(2008, 12, 31).toordinal()
_AREA_CODES = ("206", "253", "360", "425", "509")
_EMAIL_DOMAINS = ("example.org", "example.com", "example.net")
_NOT_EMAIL = re.compile(r"[^a-z0-9]+")
_RELATIONSHIPS = tuple(Relationship)
_RELATIONSHIP_WEIGHTS = list(accumulate((30, 18, 14, 14, 4, 8, 2, 8, 2)))
# Kin share the patient's family name; spouses and partners do half the time.
_KIN = {"parent", "child", "sibling", "grandparent"}


@dataclass(frozen=True)
class Person:
    """The parts of a patient the care-team generator needs to know."""

    id: uuid.UUID
    gender: str
    birth_date: date
    heritage: names.Heritage
    family_name: str


def heritage(rng: random.Random) -> names.Heritage:
    """A naming tradition, weighted to a mixed US urban population."""
    return rng.choices(names.HERITAGES, cum_weights=_HERITAGE_WEIGHTS)[0]


def given_name(rng: random.Random, origin: names.Heritage, gender: str) -> str:
    """A given name matching the gender (either list for other and unknown)."""
    if gender == "female":
        return rng.choice(origin.female)
    if gender == "male":
        return rng.choice(origin.male)
    return rng.choice(origin.female + origin.male)


def staff_name(rng: random.Random) -> str:
    """A synthetic staff member's name, given name first."""
    origin = heritage(rng)
    return f"{given_name(rng, origin, rng.choice(('female', 'male')))} {rng.choice(origin.family)}"


def phone(rng: random.Random) -> str:
    """A fictitious number in the 555-01xx range reserved for fiction."""
    return f"+1 {rng.choice(_AREA_CODES)} 555 01{rng.randrange(100):02d}"


def email(rng: random.Random, given: str, family: str) -> str:
    """A plausible address at a reserved example domain."""
    local = ".".join(
        p for p in (_NOT_EMAIL.sub("", fold(given)), _NOT_EMAIL.sub("", fold(family))) if p
    )
    return f"{local}{rng.randrange(1, 100)}@{rng.choice(_EMAIL_DOMAINS)}"


def address(rng: random.Random) -> str:
    """A street address in a fictitious city."""
    street = (
        f"{rng.randrange(1, 9900)} {rng.choice(names.STREETS)} {rng.choice(names.STREET_KINDS)}"
    )
    if rng.random() < 0.25:
        street += f" Apt {rng.randrange(1, 400)}"
    return f"{street}, {rng.choice(names.CITIES)}, WA 98{rng.randrange(1000):03d}"


def patient(rng: random.Random, *, mrn: str, clinic_id: uuid.UUID) -> tuple[Row, Person]:
    """One patient row; the caller sets ``created_at`` once the registration date is known."""
    origin = heritage(rng)
    gender = rng.choices(_GENDERS, cum_weights=_GENDER_WEIGHTS)[0]
    given = given_name(rng, origin, gender)
    family = rng.choice(origin.family)
    preferred = names.NICKNAMES.get(given) if rng.random() < 0.3 else None
    languages, weights = zip(*origin.languages, strict=True)
    language = rng.choices(languages, weights=weights)[0]
    interpreter = language != "English" and rng.random() < 0.65
    pronouns = names.PRONOUNS.get(gender) if rng.random() < 0.35 else None
    mail = email(rng, given, family) if rng.random() < 0.45 else None
    contact = rng.choices(_CONTACT, cum_weights=_CONTACT_WEIGHTS)[0]
    if contact == "email" and mail is None:
        contact = "phone"
    person = Person(
        id=new_uuid(rng),
        gender=gender,
        birth_date=date.fromordinal(rng.randint(_BORN_FROM, _BORN_TO)),
        heritage=origin,
        family_name=family,
    )
    row: Row = {
        "id": person.id,
        "mrn": mrn,
        "given_name": given,
        "family_name": family,
        "preferred_name": preferred,
        "search_name": search_name(given, family, preferred),
        "birth_date": person.birth_date,
        "gender": gender,
        "pronouns": pronouns,
        "preferred_language": language,
        "interpreter_needed": interpreter,
        "phone": phone(rng) if rng.random() < 0.92 else None,
        "email": mail,
        "address": address(rng) if rng.random() < 0.95 else None,
        "contact_preference": contact,
        "managing_organization_id": clinic_id,
        "status": "active",
        "created_at": None,
        "updated_at": None,
        "version": 1,
    }
    return row, person


def related_persons(
    rng: random.Random, person: Person, count: int, created_at: datetime
) -> list[Row]:
    """Family members and friends; the first is usually the emergency contact."""
    rows: list[Row] = []
    for n in range(count):
        relationship = rng.choices(_RELATIONSHIPS, cum_weights=_RELATIONSHIP_WEIGHTS)[0].value
        same_family = relationship in _KIN or (
            relationship == "spouse_or_partner" and rng.random() < 0.5
        )
        family = person.family_name if same_family else rng.choice(person.heritage.family)
        given = given_name(rng, person.heritage, rng.choice(("female", "male")))
        rows.append(
            {
                "id": new_uuid(rng),
                "patient_id": person.id,
                "name": f"{given} {family}",
                "relationship": relationship,
                "phone": phone(rng) if rng.random() < 0.9 else None,
                "email": email(rng, given, family) if rng.random() < 0.3 else None,
                "is_emergency_contact": n == 0 and rng.random() < 0.7,
                "start_date": None,
                "end_date": None,
                "status": "active",
                "notes": rng.choice(names.RELATED_NOTES) if rng.random() < 0.3 else None,
                "created_at": created_at,
                "version": 1,
            }
        )
    return rows

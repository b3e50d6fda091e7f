"""Pure rules about people: age, display names, search terms."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date


def age_on(birth_date: date, today: date) -> int:
    """Completed years; someone born on 29 February turns a year older on 1 March."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def display_name(given: str, family: str, preferred: str | None = None) -> str:
    """ "Family, Given (Preferred)": the form clinicians scan lists by."""
    name = f"{family}, {given}"
    if preferred and preferred != given:
        name += f" ({preferred})"
    return name


def fold(text: str) -> str:
    """Lower-case without accents, for matching "José" when someone types "jose"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def search_name(given: str, family: str, preferred: str | None) -> str:
    return " ".join(fold(part) for part in (family, given, preferred or "") if part)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MRN = re.compile(r"^T\d{6,12}$", re.IGNORECASE)


@dataclass(frozen=True)
class PatientQuery:
    """What a caseload search box meant: a date of birth, an MRN or part of a name."""

    birth_date: date | None = None
    mrn: str | None = None
    name: str | None = None
    identifier: str | None = None


def parse_patient_query(text: str | None) -> PatientQuery:
    raw = (text or "").replace("\x00", "").strip()
    if not raw:
        return PatientQuery()
    try:
        if _ISO_DATE.match(raw):
            return PatientQuery(birth_date=date.fromisoformat(raw))
        us = _US_DATE.match(raw)
        if us:
            month, day, year = (int(g) for g in us.groups())
            return PatientQuery(birth_date=date(year, month, day))
    except ValueError:
        return PatientQuery(name=fold(raw))
    if _MRN.match(raw):
        return PatientQuery(mrn=raw.upper())
    if any(ch.isdigit() for ch in raw):
        return PatientQuery(identifier=raw)
    return PatientQuery(name=fold(raw))

"""Shared Pydantic building blocks: trimmed text, phone and e-mail fields, dates, pages."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from tandem.dates import check_clinical_date
from tandem.errors import ValidationProblem

T = TypeVar("T")

_PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _phone(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _PHONE.match(value):
        raise ValueError("enter a phone number of 7 to 20 digits, e.g. +1 555 010 2030")
    return value


def _email(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _EMAIL.match(value):
        raise ValueError("enter an e-mail address like name@example.org")
    return value.lower()


def _blank_to_none(value: str | None) -> str | None:
    return value or None


def _not_before_earliest(value: date) -> date:
    # The bound that needs neither the patient nor the clock; services add birth and today.
    try:
        return check_clinical_date(value, field="date", what="The date", today=None)
    except ValidationProblem as exc:
        raise ValueError(exc.message) from None


def _nul_at(value: Any, at: str = "") -> str | None:
    """Where in ``value`` a NUL character is ("" for the value itself, "1" for the entry with
    key 1, "2" for the third item of a list), or None."""
    if isinstance(value, str):
        return at if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{at}.{key}".lstrip(".").replace("\x00", "\\x00")
            if _nul_at(key) is not None:
                return where
            if (found := _nul_at(item, where)) is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if (found := _nul_at(item, f"{at}.{index}".lstrip("."))) is not None:
                return found
    return None


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
OptionalText = Annotated[
    str | None,
    StringConstraints(strip_whitespace=True, max_length=300),
    AfterValidator(_blank_to_none),
]
Phone = Annotated[
    str | None, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_phone)
]
Email = Annotated[
    str | None, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_email)
]
Version = Annotated[int, Field(ge=1, description="The version the change is based on")]
# Every date a person enters about a patient's care (tandem.dates has the bounds and why).
ClinicalDate = Annotated[date, AfterValidator(_not_before_earliest)]


class InputModel(BaseModel):
    """Inputs refuse unknown fields so that typos are reported, not ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it here as bad input, not a 500 later, in
        # nested values too (the answers of a questionnaire, lists of codes).
        where = _nul_at(value)
        if where is not None:
            raise ValueError(
                "must not contain NUL characters" + (f" (at {where})" if where else "")
            )
        return value


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

"""Instrument definitions: versioned data files in ``instruments/``, validated at start-up.

Adding an instrument is a data change: drop a JSON file beside the others. Each file names its
source; the model below refuses a file whose bands leave gaps, whose rules name unknown items or
answers, or whose scoring cannot reach its stated range.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

INSTRUMENT_DIR = Path(__file__).parent / "instruments"
LOINC = "http://loinc.org"
TANDEM_CODES = "https://tandem.example/fhir/CodeSystem/assessment-answers"
SEXES = ("male", "female", "other", "unknown")


class Definition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerOption(Definition):
    code: str
    system: str = LOINC
    display: str
    # What the answer adds to the total; None for unscored answers.
    value: int | None = None
    # A social-needs answer that indicates the need.
    positive: bool = False
    # In a multiple-choice item, "none of the above": cannot be combined with other answers.
    exclusive: bool = False


class Item(Definition):
    link_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    code: str | None = None
    system: str = LOINC
    text: str
    # A few words for tables and error messages ("Item 9 — thoughts of self-harm").
    short: str
    answers: str
    required: bool = True
    multiple: bool = False
    scored: bool = True
    domain: str | None = None


class Band(Definition):
    code: str
    label: str
    min: int
    max: int
    # 0 = nothing of concern … 4 = most severe; drives the colour of the badge and chart band.
    level: int = Field(ge=0, le=4)
    # Sex-specific cut-offs (AUDIT-C); None applies to everyone.
    sex: tuple[str, ...] | None = None


class Match(Definition):
    """One condition on an answer: the item's answer is one of ``answers``."""

    item: str
    answers: tuple[str, ...]


class Level(Definition):
    """A triage level that applies when any of its conditions match (the first level wins)."""

    code: str
    any: tuple[Match, ...]


class Scoring(Definition):
    method: Literal["sum", "rules", "none"]
    # The coded observation that stores the result (LOINC), and its display.
    code: str | None = None
    display: str | None = None
    min: int = 0
    max: int = 0
    levels: tuple[Level, ...] = ()
    default_level: str | None = None


class FlagRule(Definition):
    """Something a response raises. ``safety`` flags open a safety alert at once."""

    code: str
    kind: Literal["safety", "positive_screen"]
    message: str
    # Conditions: an item's value at least N, or the result band is one of these.
    item: str | None = None
    value_at_least: int | None = None
    bands: tuple[str, ...] = ()
    # The instrument to administer next (a positive PHQ-2 asks for a PHQ-9).
    prompt: str | None = None
    source: str


class NeedRule(Definition):
    """A social-needs domain that screens positive from these items."""

    domain: str
    items: tuple[str, ...]
    # Positive when any item has a ``positive`` answer, or when the items' values sum to this.
    sum_at_least: int | None = None
    source: str


class Trajectory(Definition):
    """How the instrument is followed over time (measurement-based care)."""

    remission_below: int
    response_drop: float = Field(gt=0, lt=1)
    source: str
    # The smallest change of the total that counts as a real change, either way.
    significant_change: int = Field(ge=1)
    significant_change_source: str
    # A score older than this many days no longer says how the patient is now.
    current_for_days: int = Field(ge=1)
    current_for_source: str
    # Possible relapse once a target was met: back to this score, or this far above the lowest.
    relapse_at_least: int
    relapse_rise: int = Field(ge=1)
    relapse_source: str


class Instrument(Definition):
    code: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str
    title: str
    # Where the instrument comes in lists and on the Measurements tab (lowest first).
    order: int = 100
    name: str
    purpose: str
    panel_code: str | None = None
    panel_system: str = LOINC
    category: tuple[str, ...] = ("survey",)
    source: str
    copyright: str
    stem: str | None = None
    answer_lists: dict[str, tuple[AnswerOption, ...]]
    items: tuple[Item, ...]
    scoring: Scoring
    bands: tuple[Band, ...] = ()
    flags: tuple[FlagRule, ...] = ()
    needs: tuple[NeedRule, ...] = ()
    trajectory: Trajectory | None = None
    # Sex-specific bands need the patient's sex; "other" and "unknown" use these cut-offs.
    sex_fallback: str | None = None

    def item(self, link_id: str) -> Item:
        for item in self.items:
            if item.link_id == link_id:
                return item
        raise KeyError(link_id)

    def options(self, item: Item) -> tuple[AnswerOption, ...]:
        return self.answer_lists[item.answers]

    def option(self, item: Item, code: str) -> AnswerOption | None:
        return next((o for o in self.options(item) if o.code == code), None)

    def band(self, code: str | None) -> Band | None:
        return next((b for b in self.bands if b.code == code), None)

    @property
    def has_score(self) -> bool:
        return self.scoring.method == "sum"

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        ids = [i.link_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.code}: duplicate item link ids")
        for item in self.items:
            if item.answers not in self.answer_lists:
                raise ValueError(f"{self.code}: item {item.link_id} names unknown answer list")
            scored = self.scoring.method == "sum" and item.scored
            if scored and any(o.value is None for o in self.options(item)):
                raise ValueError(f"{self.code}: scored item {item.link_id} has unscored answer")
        self._check_scoring()
        self._check_trajectory()
        self._check_bands()
        self._check_rules(set(ids))
        return self

    def _check_scoring(self) -> None:
        scoring = self.scoring
        if scoring.method == "sum":
            scored = [i for i in self.items if i.scored]
            lowest = sum(min(o.value or 0 for o in self.options(i)) for i in scored)
            highest = sum(max(o.value or 0 for o in self.options(i)) for i in scored)
            if (lowest, highest) != (scoring.min, scoring.max):
                raise ValueError(
                    f"{self.code}: items score {lowest} to {highest}, "
                    f"not the stated {scoring.min} to {scoring.max}"
                )
        if scoring.method == "rules":
            codes = {lvl.code for lvl in scoring.levels} | {scoring.default_level}
            if codes != {b.code for b in self.bands}:
                raise ValueError(f"{self.code}: triage levels and bands differ")
            for level in scoring.levels:
                for match in level.any:
                    self._check_answers(match.item, match.answers)

    def _check_trajectory(self) -> None:
        rules, scoring = self.trajectory, self.scoring
        if rules is None:
            return
        for name in ("remission_below", "relapse_at_least", "significant_change"):
            if not scoring.min <= getattr(rules, name) <= scoring.max:
                raise ValueError(f"{self.code}: trajectory {name} lies outside the scores")

    def _check_bands(self) -> None:
        if self.scoring.method != "sum" or not self.bands:
            return
        sexes: list[str | None] = (
            [None] if all(b.sex is None for b in self.bands) else [s for s in SEXES]
        )
        for sex in sexes:
            applicable = sorted(
                (b for b in self.bands if b.sex is None or sex in (b.sex or ())),
                key=lambda b: b.min,
            )
            expected = self.scoring.min
            for band in applicable:
                if band.min != expected or band.max < band.min:
                    raise ValueError(f"{self.code}: bands for {sex or 'everyone'} leave a gap")
                expected = band.max + 1
            if expected != self.scoring.max + 1:
                raise ValueError(f"{self.code}: bands for {sex or 'everyone'} stop short")

    def _check_rules(self, ids: set[str]) -> None:
        band_codes = {b.code for b in self.bands}
        for flag in self.flags:
            if flag.item is not None and flag.item not in ids:
                raise ValueError(f"{self.code}: flag {flag.code} names unknown item")
            if not set(flag.bands) <= band_codes:
                raise ValueError(f"{self.code}: flag {flag.code} names unknown band")
            if flag.item is None and not flag.bands:
                raise ValueError(f"{self.code}: flag {flag.code} has no condition")
        for need in self.needs:
            if not set(need.items) <= ids:
                raise ValueError(f"{self.code}: need {need.domain} names unknown item")

    def _check_answers(self, link_id: str, codes: tuple[str, ...]) -> None:
        # A KeyError would escape pydantic's validation; say which rule is wrong instead.
        if link_id not in {i.link_id for i in self.items}:
            raise ValueError(f"{self.code}: rule names unknown item {link_id}")
        item = self.item(link_id)
        known = {o.code for o in self.options(item)}
        if not set(codes) <= known:
            raise ValueError(f"{self.code}: rule names unknown answer for {link_id}")


class InstrumentError(RuntimeError):
    """An instrument file is missing, unreadable or inconsistent: Tandem refuses to start."""


def load_directory(directory: Path) -> dict[str, Instrument]:
    """Every instrument in ``directory``, keyed by code; raises on the first bad file."""
    found: dict[str, Instrument] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            instrument = Instrument.model_validate(json.loads(path.read_text("utf-8")))
        except (ValueError, OSError) as exc:
            raise InstrumentError(f"{path.name}: {exc}") from exc
        if instrument.code in found:
            raise InstrumentError(f"{path.name}: instrument {instrument.code} defined twice")
        found[instrument.code] = instrument
    if not found:
        raise InstrumentError(f"no instrument definitions in {directory}")
    for code, definition in found.items():
        for flag in definition.flags:
            if flag.prompt is not None and flag.prompt not in found:
                raise InstrumentError(
                    f"{code}: flag {flag.code} prompts for unknown instrument {flag.prompt}"
                )
    return dict(sorted(found.items(), key=lambda pair: (pair[1].order, pair[1].title)))


@cache
def instruments() -> dict[str, Instrument]:
    """The instruments shipped with Tandem (loaded once, validated)."""
    return load_directory(INSTRUMENT_DIR)


def instrument(code: str) -> Instrument | None:
    return instruments().get(code)

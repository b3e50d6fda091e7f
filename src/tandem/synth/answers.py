"""Item answers for synthetic responses, scored by the service's own rules.

A response's total, band, flags and coded observations come from ``rules.check_answers``,
``rules.score`` and ``observations.derived_values`` — the functions ``service.administer``
calls — so a synthetic row is exactly what the service would have written for those answers.
Those functions are pure, so each distinct set of answers is scored once and the result reused.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tandem.assessments.definitions import Instrument, instrument
from tandem.assessments.models import Response
from tandem.assessments.rules import Answers, Result, check_answers, score
from tandem.assessments.service.observations import Derived, derived_values

PHQ9 = "phq-9"
GAD7 = "gad-7"
# How often each symptom carries a patient's score: mood, anhedonia and fatigue most, psychomotor
# change least (items 1-8 of the PHQ-9, 1-7 of the GAD-7; PHQ-9 item 9 is set on its own).
_PHQ9_WEIGHTS = (1.3, 1.4, 1.2, 1.4, 1.0, 1.0, 0.9, 0.6)
_GAD7_WEIGHTS = (1.3, 1.3, 1.3, 1.1, 0.7, 1.0, 0.8)
PHQ9_ITEM9 = "9"
PHQ9_DIFFICULTY = "difficulty"
# Different answer sets per total and item-9 value: plenty for item-level variety.
PER_TOTAL = 40

Key = tuple[Any, ...]


def definition(code: str) -> Instrument:
    """A shipped instrument (raises when it is missing, as nothing could be generated)."""
    found = instrument(code)
    if found is None:
        raise LookupError(f"instrument {code} is not installed")
    return found


@dataclass(frozen=True)
class Scored:
    """What the service stores for one set of answers."""

    definition: Instrument
    answers: Answers
    result: Result
    flags: list[str]
    derived: tuple[Derived, ...]

    @property
    def band_code(self) -> str | None:
        return self.result.band.code if self.result.band else None

    @property
    def band_level(self) -> int | None:
        return self.result.band.level if self.result.band else None


def _frozen(answers: Mapping[str, object]) -> Key:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(answers.items()))


class Scorer:
    """``check_answers``, ``score`` and ``derived_values`` once per instrument, answers and sex."""

    def __init__(self) -> None:
        self._done: dict[Key, Scored] = {}

    def __call__(
        self,
        definition: Instrument,
        raw: Mapping[str, object],
        sex: str | None,
        key: Key | int | None = None,
    ) -> Scored:
        """``key`` names these answers when the caller already has a name for them."""
        full = (definition.code, sex, _frozen(raw) if key is None else key)
        found = self._done.get(full)
        if found is None:
            answers = check_answers(definition, raw)
            result = score(definition, answers, sex=sex)
            # derived_values reads the answers off a response; a transient one, never stored.
            derived = derived_values(definition, Response(answers=answers), result)
            found = Scored(definition, answers, result, [f.code for f in result.flags], (*derived,))
            self._done[full] = found
        return found


def _spread(rng: random.Random, total: int, weights: Sequence[float], high: int) -> list[int]:
    """``total`` points over the items, none above ``high``, the heavier items more often."""
    values = [0] * len(weights)
    for _ in range(total):
        open_ = [n for n, v in enumerate(values) if v < high]
        values[rng.choices(open_, weights=[weights[n] for n in open_])[0]] += 1
    return values


def _difficulty(rng: random.Random, total: int, codes: Sequence[str]) -> str | None:
    """The unscored difficulty item, answered nine times in ten, heavier with the score."""
    if rng.random() < 0.1:
        return None
    # codes: not difficult, somewhat, very, extremely difficult.
    weights = (
        (80, 20, 0, 0)
        if total < 5
        else (20, 70, 10, 0)
        if total < 10
        else (5, 50, 38, 7)
        if total < 15
        else (0, 25, 55, 20)
        if total < 20
        else (0, 5, 45, 50)
    )
    return rng.choices(codes, weights=weights)[0]


@dataclass(frozen=True)
class _Pattern:
    key: int
    answers: dict[str, object]


class AnswerBank:
    """Answer sets for every PHQ-9 total and item-9 value, and every GAD-7 total, drawn once per
    population; a response picks one of those that add up to its total."""

    def __init__(self, rng: random.Random, scorer: Scorer, per_total: int = PER_TOTAL) -> None:
        self.scorer = scorer
        self.phq9 = definition(PHQ9)
        self.gad7 = definition(GAD7)
        self._phq9: dict[tuple[int, int], list[_Pattern]] = {}
        self._gad7: dict[int, list[_Pattern]] = {}
        self._made = 0
        phq = self._codes(self.phq9, "1")
        difficulty = self._codes(self.phq9, PHQ9_DIFFICULTY)
        for item9 in range(4):
            for total in range(item9, item9 + 3 * len(_PHQ9_WEIGHTS) + 1):
                self._phq9[total, item9] = [
                    self._phq9_pattern(rng, total, item9, phq, difficulty) for _ in range(per_total)
                ]
        gad = self._codes(self.gad7, "1")
        for total in range(3 * len(_GAD7_WEIGHTS) + 1):
            self._gad7[total] = [
                self._pattern(
                    {
                        str(n + 1): gad[v]
                        for n, v in enumerate(_spread(rng, total, _GAD7_WEIGHTS, 3))
                    }
                )
                for _ in range(per_total)
            ]

    @staticmethod
    def _codes(definition: Instrument, link_id: str) -> list[str]:
        """The item's answer codes in order (for scored items, value 0 to 3)."""
        return [o.code for o in definition.options(definition.item(link_id))]

    def _pattern(self, answers: dict[str, object]) -> _Pattern:
        self._made += 1
        return _Pattern(self._made, answers)

    def _phq9_pattern(
        self,
        rng: random.Random,
        total: int,
        item9: int,
        phq: list[str],
        difficulty: list[str],
    ) -> _Pattern:
        values = [*_spread(rng, total - item9, _PHQ9_WEIGHTS, 3), item9]
        answers: dict[str, object] = {str(n + 1): phq[v] for n, v in enumerate(values)}
        said = _difficulty(rng, total, difficulty)
        if said is not None:
            answers[PHQ9_DIFFICULTY] = said
        return self._pattern(answers)

    def phq9_answers(self, rng: random.Random, total: int, item9: int, sex: str) -> Scored:
        """A PHQ-9 adding up to ``total`` with item 9 answered ``item9`` (0 to 3)."""
        pattern = rng.choice(self._phq9[total, item9])
        return self.scorer(self.phq9, pattern.answers, sex, pattern.key)

    def gad7_answers(self, rng: random.Random, total: int, sex: str) -> Scored:
        """A GAD-7 adding up to ``total``."""
        pattern = rng.choice(self._gad7[total])
        return self.scorer(self.gad7, pattern.answers, sex, pattern.key)

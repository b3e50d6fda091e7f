"""The crisis lines every safety plan lists: a versioned data file (``crisis_lines.json``),
validated at start-up, so that a clinic serving another country changes data, not code."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem.careplans.schemas import CrisisLineRead

CRISIS_LINES = Path(__file__).parent / "crisis_lines.json"


class CrisisLines(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    source: str = Field(min_length=10)
    note: str = ""
    lines: tuple[CrisisLineRead, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_differ(self) -> CrisisLines:
        codes = [line.code for line in self.lines]
        if len(set(codes)) != len(codes):
            raise ValueError("two crisis lines share a code")
        return self


def load_crisis_lines(path: Path) -> CrisisLines:
    return CrisisLines.model_validate(json.loads(path.read_text(encoding="utf-8")))


@cache
def crisis_lines() -> tuple[CrisisLineRead, ...]:
    """The crisis lines shipped with Tandem (loaded once, validated): never fewer than one."""
    return load_crisis_lines(CRISIS_LINES).lines

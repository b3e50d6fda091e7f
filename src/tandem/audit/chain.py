"""The hash chain: each event's hash covers its own fields and the previous event's hash.

Changing, inserting or removing any row breaks every link after it, so ``tandem audit verify``
can name the first broken event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

GENESIS = "0" * 64

CHAINED_FIELDS = (
    "id",
    "recorded_at",
    "user_id",
    "username",
    "role",
    "action",
    "patient_id",
    "record_type",
    "record_id",
    "outcome",
    "purpose",
    "source_address",
    "detail",
)


def canonical(fields: dict[str, Any]) -> bytes:
    """A stable byte form of an event: fixed keys, ISO times, UUIDs as text."""
    values = {}
    for name in CHAINED_FIELDS:
        value = fields.get(name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str | int):
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()


def link_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(fields)).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    problem: str


class ChainVerifier:
    """Feed events in id order; ``check`` names the first that does not verify."""

    def __init__(self) -> None:
        self.expected_prev = GENESIS
        self.expected_id = 1
        self.verified = 0

    def check(self, event: dict[str, Any]) -> BrokenLink | None:
        event_id = int(event["id"])
        if event_id != self.expected_id:
            return BrokenLink(event_id, f"event {self.expected_id} is missing before it")
        if event["prev_hash"] != self.expected_prev:
            return BrokenLink(event_id, "its link to the event before it is broken")
        if link_hash(event["prev_hash"], event) != event["hash"]:
            return BrokenLink(event_id, "its contents were changed after it was recorded")
        self.expected_prev = event["hash"]
        self.expected_id = event_id + 1
        self.verified += 1
        return None


def first_broken_link(events: Iterable[dict[str, Any]]) -> BrokenLink | None:
    """Walk events in id order; return the first one whose link or content does not verify."""
    verifier = ChainVerifier()
    for event in events:
        broken = verifier.check(event)
        if broken:
            return broken
    return None

"""The audit chain: each sealed event's link covers its own fields and the link before it.

An event is *sealed* after it commits: the sealer gives it the next chain position (``seq``) and
a link hash — an HMAC-SHA-256 under the audit key, which is kept outside the database. Changing,
inserting or removing a sealed row breaks every link after it, and without the key nobody can
compute the links again, so a database administrator cannot rewrite the log unseen. A deleted
tail is caught by the signed checkpoints (``audit.checkpoints``).

Events sealed before the chain was keyed keep their plain SHA-256 links (``LEGACY_KEY_ID``);
they may only come first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

GENESIS = "0" * 64
# Events chained before keyed sealing (a SHA-256 chain in id order, seq = id).
LEGACY_KEY_ID = "legacy-sha256"

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
# A sealed event's link covers its place in the chain and the key that sealed it too.
SEALED_FIELDS = (*CHAINED_FIELDS, "seq", "key_id")


def canonical(fields: Mapping[str, Any], names: tuple[str, ...] = CHAINED_FIELDS) -> bytes:
    """A stable byte form of an event: fixed keys, ISO times, UUIDs as text."""
    values = {}
    for name in names:
        value = fields.get(name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str | int):
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()


def link_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The unkeyed link of an event chained before keyed sealing."""
    return hashlib.sha256(prev_hash.encode() + canonical(fields)).hexdigest()


def keyed_link(secret: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The link of a sealed event: HMAC-SHA-256 under the audit key."""
    message = prev_hash.encode() + canonical(fields, SEALED_FIELDS)
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    # The chain position where verification stopped, and the event's id when there is one.
    position: int
    problem: str
    event_id: int | None = None


class ChainVerifier:
    """Feed sealed events in chain order; ``check`` names the first that does not verify.

    ``start`` and ``prev_hash`` let a range be checked from a trusted point (a checkpoint)."""

    def __init__(
        self, secrets: Mapping[str, bytes], *, start: int = 1, prev_hash: str = GENESIS
    ) -> None:
        self.secrets = secrets
        self.expected_seq = start
        self.expected_prev = prev_hash
        self.keyed = False
        self.verified = 0

    @property
    def head(self) -> tuple[int, str]:
        """The last verified position and its link."""
        return self.expected_seq - 1, self.expected_prev

    def check(self, event: Mapping[str, Any]) -> BrokenLink | None:
        seq = int(event["seq"])
        event_id = int(event["id"]) if event.get("id") is not None else None
        if seq != self.expected_seq:
            missing = (
                f"position {self.expected_seq} is missing before it"
                if seq > self.expected_seq
                else f"position {seq} appears twice, or out of order"
            )
            return BrokenLink(seq, missing, event_id)
        if event["prev_hash"] != self.expected_prev:
            return BrokenLink(seq, "its link to the event before it is broken", event_id)
        key_id = str(event["key_id"])
        if key_id == LEGACY_KEY_ID:
            if self.keyed:
                return BrokenLink(seq, "an unkeyed link after the keyed chain began", event_id)
            expected = link_hash(event["prev_hash"], event)
        else:
            secret = self.secrets.get(key_id)
            if secret is None:
                return BrokenLink(seq, f"sealed with key '{key_id}', which is not known", event_id)
            self.keyed = True
            expected = keyed_link(secret, event["prev_hash"], event)
        if not hmac.compare_digest(expected, str(event["hash"])):
            return BrokenLink(seq, "its contents were changed after it was sealed", event_id)
        self.expected_prev = str(event["hash"])
        self.expected_seq = seq + 1
        self.verified += 1
        return None


def first_broken_link(
    events: Iterable[Mapping[str, Any]], secrets: Mapping[str, bytes]
) -> BrokenLink | None:
    verifier = ChainVerifier(secrets)
    for event in events:
        broken = verifier.check(event)
        if broken:
            return broken
    return None

"""audit.chain: stable links, keyed under the audit key, and verification naming the first
position that does not hold."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.audit.chain import (
    CHAINED_FIELDS,
    GENESIS,
    LEGACY_KEY_ID,
    SEALED_FIELDS,
    ChainVerifier,
    canonical,
    first_broken_link,
    keyed_link,
    link_hash,
)

START = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
PATIENT = uuid.UUID("0196f0a4-0000-7000-8000-000000000001")
USER = uuid.UUID("0196f0a4-0000-7000-8000-000000000002")
KEY = b"k" * 32
OTHER_KEY = b"o" * 32
SECRETS = {"k1": KEY, "k2": OTHER_KEY}
# The first link of the unkeyed chain as it was written before keyed sealing, so that the
# events chained then keep verifying.
PINNED_FIRST_HASH = "ee116adb1f0c1cbd681d41588baceabcb0efd8255d9d2859606dd3e106ec38d0"


def event_fields(event_id: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "recorded_at": START + timedelta(seconds=event_id),
        "user_id": USER,
        "username": "casey",
        "role": "care_manager",
        "action": "R",
        "patient_id": PATIENT,
        "record_type": "Patient",
        "record_id": str(PATIENT),
        "outcome": 0,
        "purpose": "TREAT",
        "source_address": "127.0.0.1",
        "detail": None,
    }


def sealed(
    length: int, *, legacy: int = 0, key_id: str = "k1", start: int = 1, prev: str = GENESIS
) -> list[dict[str, Any]]:
    """Events as the sealer leaves them: the first ``legacy`` on the unkeyed chain."""
    events = []
    for seq in range(start, start + length):
        fields = {**event_fields(seq + 100), "seq": seq}
        if seq < start + legacy:
            fields["key_id"] = LEGACY_KEY_ID
            digest = link_hash(prev, fields)
        else:
            fields["key_id"] = key_id
            digest = keyed_link(SECRETS[key_id], prev, fields)
        events.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return events


class TestLinks:
    def test_the_keyed_link_is_an_hmac_sha256_of_the_previous_link_and_the_sealed_fields(
        self,
    ) -> None:
        fields = {**event_fields(1), "seq": 1, "key_id": "k1"}
        expected = hmac.new(
            KEY, GENESIS.encode() + canonical(fields, SEALED_FIELDS), hashlib.sha256
        ).hexdigest()
        assert keyed_link(KEY, GENESIS, fields) == expected

    def test_the_keyed_link_covers_the_position_and_the_key_id(self) -> None:
        fields = {**event_fields(1), "seq": 1, "key_id": "k1"}
        assert keyed_link(KEY, GENESIS, {**fields, "seq": 2}) != keyed_link(KEY, GENESIS, fields)
        assert keyed_link(KEY, GENESIS, {**fields, "key_id": "k2"}) != keyed_link(
            KEY, GENESIS, fields
        )

    def test_without_the_key_the_link_cannot_be_made_again(self) -> None:
        fields = {**event_fields(1), "seq": 1, "key_id": "k1"}
        assert keyed_link(OTHER_KEY, GENESIS, fields) != keyed_link(KEY, GENESIS, fields)
        assert link_hash(GENESIS, fields) != keyed_link(KEY, GENESIS, fields)

    def test_the_legacy_link_stays_as_it_was(self) -> None:
        assert link_hash(GENESIS, event_fields(1)) == PINNED_FIRST_HASH

    def test_key_order_and_unrelated_fields_do_not_count(self) -> None:
        fields = {**event_fields(1), "seq": 1, "key_id": "k1"}
        reordered = dict(reversed(list(fields.items())))
        assert keyed_link(KEY, GENESIS, reordered) == keyed_link(KEY, GENESIS, fields)
        assert keyed_link(KEY, GENESIS, {**fields, "hash": "x"}) == keyed_link(KEY, GENESIS, fields)

    def test_uuid_and_its_text_link_alike_as_stored_by_either_backend(self) -> None:
        fields = {**event_fields(1), "seq": 1, "key_id": "k1"}
        as_text = {**fields, "user_id": str(USER), "patient_id": str(PATIENT)}
        assert keyed_link(KEY, GENESIS, as_text) == keyed_link(KEY, GENESIS, fields)

    @pytest.mark.parametrize("name", SEALED_FIELDS)
    def test_every_sealed_field_changes_the_link(self, name: str) -> None:
        fields = {**event_fields(1), "seq": 1, "key_id": "k1"}
        changed = {**fields, name: _different(fields[name])}
        assert keyed_link(KEY, GENESIS, changed) != keyed_link(KEY, GENESIS, fields)

    def test_the_sealed_fields_are_the_chained_fields_and_the_seal(self) -> None:
        assert (*CHAINED_FIELDS, "seq", "key_id") == SEALED_FIELDS


def _different(value: Any) -> Any:
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, int):
        return value + 1
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=value.int ^ 1)
    if value is None:
        return "something"
    return value + "x"


class TestVerification:
    def test_an_intact_keyed_chain_verifies(self) -> None:
        assert first_broken_link(sealed(5), SECRETS) is None

    def test_an_empty_chain_verifies(self) -> None:
        assert first_broken_link([], SECRETS) is None

    def test_a_legacy_stretch_then_a_keyed_one_verifies(self) -> None:
        assert first_broken_link(sealed(6, legacy=3), SECRETS) is None

    def test_an_unkeyed_link_after_the_keyed_chain_began_is_refused(self) -> None:
        events = sealed(4)
        # A database administrator appends an event with a plain SHA-256 link (no key needed).
        forged = {**event_fields(999), "seq": 5, "key_id": LEGACY_KEY_ID}
        forged["prev_hash"] = events[-1]["hash"]
        forged["hash"] = link_hash(forged["prev_hash"], forged)
        broken = first_broken_link([*events, forged], SECRETS)
        assert broken is not None and broken.position == 5
        assert "unkeyed" in broken.problem

    def test_a_changed_field_is_named_by_its_position(self) -> None:
        events = sealed(5)
        events[2]["username"] = "mallory"
        broken = first_broken_link(events, SECRETS)
        assert broken is not None
        assert (broken.position, broken.event_id) == (3, 103)
        assert "changed" in broken.problem

    def test_a_rewritten_event_rehashed_without_the_key_fails(self) -> None:
        events = sealed(5)
        events[2]["username"] = "mallory"
        # Re-hashing every link from there on, with any key but the audit key.
        prev = events[1]["hash"]
        for event in events[2:]:
            event["prev_hash"] = prev
            event["hash"] = keyed_link(b"guessed-key".ljust(32, b"!"), prev, event)
            prev = event["hash"]
        broken = first_broken_link(events, SECRETS)
        assert broken is not None and broken.position == 3

    def test_a_removed_event_is_found_at_the_gap(self) -> None:
        events = sealed(5)
        del events[2]
        broken = first_broken_link(events, SECRETS)
        assert broken is not None and broken.position == 4
        assert "position 3 is missing" in broken.problem

    def test_a_repeated_position_is_found(self) -> None:
        events = sealed(3)
        broken = first_broken_link([*events, events[-1]], SECRETS)
        assert broken is not None and "twice" in broken.problem

    def test_the_first_event_must_link_to_genesis(self) -> None:
        events = sealed(3)
        events[0]["prev_hash"] = "1" * 64
        broken = first_broken_link(events, SECRETS)
        assert broken is not None and broken.position == 1

    def test_an_event_sealed_with_an_unknown_key_is_refused(self) -> None:
        broken = first_broken_link(sealed(3), {"k2": OTHER_KEY})
        assert broken is not None and "not known" in broken.problem

    def test_a_rotated_key_takes_over_from_a_position_and_both_verify(self) -> None:
        first = sealed(3, key_id="k1")
        then = sealed(3, key_id="k2", start=4, prev=first[-1]["hash"])
        assert first_broken_link([*first, *then], SECRETS) is None
        # Without the old key, the old stretch no longer verifies.
        assert first_broken_link([*first, *then], {"k2": OTHER_KEY}) is not None

    def test_a_range_verifies_from_a_trusted_head(self) -> None:
        events = sealed(6)
        verifier = ChainVerifier(SECRETS, start=4, prev_hash=events[2]["hash"])
        assert all(verifier.check(e) is None for e in events[3:])
        assert verifier.head == (6, events[-1]["hash"])

    @given(
        st.integers(min_value=0, max_value=7),
        st.sampled_from([f for f in SEALED_FIELDS if f != "seq"]),
    )
    def test_any_single_field_change_is_reported_at_that_position(
        self, index: int, name: str
    ) -> None:
        events = sealed(8)
        events[index][name] = _different(events[index][name])
        broken = first_broken_link(events, SECRETS)
        assert broken is not None and broken.position == index + 1

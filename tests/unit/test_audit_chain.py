"""audit.chain: a stable link hash, and verification naming the first broken event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.audit.chain import (
    CHAINED_FIELDS,
    GENESIS,
    canonical,
    first_broken_link,
    link_hash,
)

START = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
PATIENT = uuid.UUID("0196f0a4-0000-7000-8000-000000000001")
USER = uuid.UUID("0196f0a4-0000-7000-8000-000000000002")


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


def chain(length: int) -> list[dict[str, Any]]:
    """Events linked the way tandem.audit.log writes them."""
    events, prev = [], GENESIS
    for event_id in range(1, length + 1):
        fields = event_fields(event_id)
        digest = link_hash(prev, fields)
        events.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return events


class TestLinkHash:
    def test_link_hash_is_pinned_so_existing_logs_keep_verifying(self) -> None:
        # If this changes, every audit log already written stops verifying.
        assert link_hash(GENESIS, event_fields(1)) == PINNED_FIRST_HASH

    def test_link_hash_does_not_depend_on_key_order(self) -> None:
        fields = event_fields(1)
        reordered = dict(reversed(list(fields.items())))
        assert link_hash(GENESIS, reordered) == link_hash(GENESIS, fields)

    def test_fields_outside_the_chain_do_not_count(self) -> None:
        fields = event_fields(1)
        assert link_hash(GENESIS, {**fields, "unrelated": "x"}) == link_hash(GENESIS, fields)

    def test_link_hash_depends_on_the_previous_hash(self) -> None:
        assert link_hash(GENESIS, event_fields(1)) != link_hash("1" * 64, event_fields(1))

    def test_uuid_and_its_text_hash_alike_as_stored_by_either_backend(self) -> None:
        as_uuid = event_fields(1)
        as_text = {**as_uuid, "user_id": str(USER), "patient_id": str(PATIENT)}
        assert canonical(as_uuid) == canonical(as_text)

    @pytest.mark.parametrize("name", CHAINED_FIELDS)
    def test_every_chained_field_changes_the_hash(self, name: str) -> None:
        fields = event_fields(1)
        changed = {**fields, name: _different(fields[name])}
        assert link_hash(GENESIS, changed) != link_hash(GENESIS, fields)


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


class TestFirstBrokenLink:
    def test_an_intact_chain_verifies(self) -> None:
        assert first_broken_link(chain(5)) is None

    def test_an_empty_log_verifies(self) -> None:
        assert first_broken_link([]) is None

    def test_a_changed_field_is_named_by_its_event(self) -> None:
        events = chain(5)
        events[2]["username"] = "mallory"
        broken = first_broken_link(events)
        assert broken is not None
        assert broken.event_id == 3
        assert "changed" in broken.problem

    def test_a_removed_event_is_found_at_the_gap(self) -> None:
        events = chain(5)
        del events[2]
        broken = first_broken_link(events)
        assert broken is not None
        assert broken.event_id == 4
        assert "event 3 is missing" in broken.problem

    def test_removing_the_last_events_cannot_be_seen_from_the_chain_alone(self) -> None:
        # Truncation leaves a valid prefix; that is why the table refuses DELETE.
        assert first_broken_link(chain(5)[:3]) is None

    def test_reordered_events_are_found(self) -> None:
        events = chain(5)
        events[1], events[2] = events[2], events[1]
        broken = first_broken_link(events)
        assert broken is not None
        assert broken.event_id == 3

    def test_renumbered_events_after_a_removal_break_the_link(self) -> None:
        events = chain(5)
        del events[2]
        for event in events[2:]:
            event["id"] -= 1
        broken = first_broken_link(events)
        assert broken is not None
        assert broken.event_id == 3
        assert "link" in broken.problem

    def test_the_first_event_must_link_to_genesis(self) -> None:
        events = chain(3)
        events[0]["prev_hash"] = "f" * 64
        broken = first_broken_link(events)
        assert broken is not None
        assert broken.event_id == 1

    def test_a_log_that_does_not_start_at_one_is_broken_at_its_first_event(self) -> None:
        broken = first_broken_link(chain(4)[1:])
        assert broken is not None
        assert broken.event_id == 2
        assert "event 1 is missing" in broken.problem

    def test_a_rehashed_forgery_of_one_event_breaks_the_next_link(self) -> None:
        events = chain(4)
        forged = {**events[1], "username": "mallory"}
        forged["hash"] = link_hash(forged["prev_hash"], forged)
        events[1] = forged
        broken = first_broken_link(events)
        assert broken is not None
        assert broken.event_id == 3

    @given(
        length=st.integers(min_value=1, max_value=12),
        data=st.data(),
    )
    def test_any_single_field_change_is_reported_at_that_event(
        self, length: int, data: st.DataObject
    ) -> None:
        events = chain(length)
        index = data.draw(st.integers(min_value=0, max_value=length - 1))
        name = data.draw(st.sampled_from([n for n in CHAINED_FIELDS if n != "id"]))
        events[index][name] = _different(events[index][name])
        broken = first_broken_link(events)
        assert broken is not None
        assert broken.event_id == index + 1


PINNED_FIRST_HASH = "ee116adb1f0c1cbd681d41588baceabcb0efd8255d9d2859606dd3e106ec38d0"

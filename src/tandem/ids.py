"""Identifiers: time-ordered UUIDv7, stable across the API, the UI and FHIR."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A new time-ordered UUID (version 7)."""
    value = uuid6.uuid7()
    return uuid.UUID(bytes=value.bytes)

"""Rules shared by every versioned record: optimistic concurrency and partial updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tandem.errors import Conflict, ValidationProblem


def check_version(record: Any, version: int) -> None:
    """Refuse a change based on an old copy: no silent overwrites (ARCHITECTURE rule 3)."""
    if record.version != version:
        raise Conflict(
            "Someone else changed this record since you opened it. "
            "Reload to see their changes, then make yours again.",
            field="version",
            current_version=record.version,
        )


def reject_cleared(changes: dict[str, Any], required: Iterable[str]) -> None:
    """A partial update may leave a required field out, but may not blank it."""
    for name in required:
        if name in changes and changes[name] is None:
            raise ValidationProblem(
                f"{name.replace('_', ' ').capitalize()} is required.", field=name
            )

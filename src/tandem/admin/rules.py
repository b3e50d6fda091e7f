"""Separation of duties for administrators, as pure rules."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from tandem.errors import Conflict
from tandem.vocab import ProfessionalRole


def leaves_administration(*, role: str, active: bool, new_role: str, new_active: bool) -> bool:
    """True when a change takes an active administrator out of administration."""
    was = active and role == ProfessionalRole.administrator
    stays = new_active and new_role == ProfessionalRole.administrator
    return was and not stays


def check_an_administrator_remains(
    administrators: Collection[uuid.UUID], leaving: uuid.UUID, *, field: str
) -> None:
    """Refuse to remove the last active administrator: no one could manage accounts after it
    (only the operator's command line could bring one back)."""
    if leaving in administrators and not set(administrators) - {leaving}:
        raise Conflict(
            "This is the last active administrator. Make another account an administrator first.",
            field=field,
        )

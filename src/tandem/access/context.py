"""The AccessContext every request carries: who is asking, in what role, for what purpose."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from tandem.clock import Clock


@dataclass(frozen=True)
class AccessContext:
    """Who is asking. What their role may do is the permission table's to say, through the
    access layer (access.service.require_staff, require_patient, may)."""

    user_id: uuid.UUID | None
    username: str
    role: str
    organization_id: uuid.UUID | None
    clock: Clock
    source_address: str | None = None
    # v3 PurposeOfUse: TREAT for care-team work, HOPERAT for administration, SYSTEM for CLI jobs.
    purpose: str = "TREAT"
    via: str = "session"
    extra: dict[str, str] = field(default_factory=dict)
    # The signed-in user's name, for what they have just written (None: look it up).
    full_name: str | None = None

    def now(self) -> datetime:
        return self.clock.now()

    @classmethod
    def system(cls, clock: Clock, *, reason: str) -> AccessContext:
        """The context of a command-line job run by an operator (synth, demo, audit verify)."""
        return cls(
            user_id=None,
            username=f"system:{reason}",
            role="system",
            organization_id=None,
            clock=clock,
            purpose="SYSTEM",
            via="cli",
        )

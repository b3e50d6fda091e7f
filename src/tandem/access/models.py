"""Break-the-glass grants: emergency access with a stated reason, listed for review."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.capabilities import PatientData
from tandem.db import Base, IdMixin


class BreakGlassGrant(IdMixin, Base):
    __tablename__ = "break_glass_grant"
    __patient_owned__ = PatientData(read=frozenset())

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(String(1000))
    # Set when the grant was ended before it ran out (the holder's role changed or the account
    # was deactivated), so that the reviewer sees why it stopped early.
    ended_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_break_glass_user_patient", "user_id", "patient_id", "expires_at"),
        Index("ix_break_glass_review", "reviewed_at", "started_at"),
    )

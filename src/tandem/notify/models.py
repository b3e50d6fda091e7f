"""In-app notifications to one user about one patient."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.capabilities import Capability, PatientData
from tandem.db import Base, IdMixin


class Notification(IdMixin, Base):
    """Tells a team member that something needs them (e.g. a safety alert on their patient).
    It names a patient, so it is patient data: a user who leaves the care team stops seeing it."""

    __tablename__ = "notification"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_contact}),
        written_by_readers=True,
        write=frozenset({Capability.record_measurements}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(300))
    # The safety alert it tells of: the list shows the alert's status as it is now.
    safety_alert_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("safety_alert.id"))
    # "urgent" notifications (safety) are shown first and highlighted.
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_notification_user", "user_id", "read_at", "created_at"),
        Index("ix_notification_patient", "patient_id"),
    )

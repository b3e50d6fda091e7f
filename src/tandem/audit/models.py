"""The audit event table (after IHE BALP / FHIR AuditEvent)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.access.capabilities import Capability, PatientData
from tandem.db import Base


class AuditEvent(Base):
    """One access or change. Rows are never updated or deleted (triggers refuse it)."""

    __tablename__ = "audit_event"
    # Who opened whose record is itself patient data: the lead reads it through a proof.
    __patient_owned__ = PatientData(read=frozenset({Capability.read_access_log}))

    # The chain order; assigned under a lock by tandem.audit.log, not by a sequence.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    recorded_at: Mapped[datetime]
    user_id: Mapped[uuid.UUID | None]
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(40))
    # FHIR AuditEvent.action: C create, R read, U update, D delete, E execute (query, sign-in)
    action: Mapped[str] = mapped_column(String(1))
    patient_id: Mapped[uuid.UUID | None]
    record_type: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str | None] = mapped_column(String(64))
    # FHIR AuditEvent.outcome: 0 success, 4 minor failure, 8 serious failure, 12 major failure
    outcome: Mapped[int] = mapped_column(default=0)
    # v3 PurposeOfUse: TREAT, ETREAT, BTG, HOPERAT (operations), PATADMIN
    purpose: Mapped[str] = mapped_column(String(20))
    source_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_event_patient", "patient_id", "id"),
        Index("ix_audit_event_user", "user_id", "id"),
    )

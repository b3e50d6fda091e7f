"""The audit event table (after IHE BALP / FHIR AuditEvent)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.capabilities import Capability, PatientData
from tandem.db import Base

# A refused or failed attempt is any outcome but success (audit.log keeps them past a rollback).
REFUSED_PREDICATE = "outcome <> 0"
BTG_PREDICATE = "purpose = 'BTG'"


class AuditEvent(Base):
    """One access or change. A request inserts it; the sealer later sets its place in the chain
    (seq, prev_hash, hash, key_id, sealed_at) once. Nothing else may change or delete a row:
    database triggers refuse it."""

    __tablename__ = "audit_event"
    # On PostgreSQL the table is partitioned by month of recorded_at (tandem.audit.partitions);
    # there its primary key is (id, recorded_at). Ids come from one sequence either way.
    # Who opened whose record is itself patient data: the lead reads it through a proof.
    __patient_owned__ = PatientData(read=frozenset({Capability.read_access_log}))

    # Assigned by the database at insert, with no lock: ids follow insertion, not commit.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
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
    # Set by the sealer (tandem.audit.seal): the position in the chain, in sealing order.
    seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    # Which audit key made the link (LEGACY_KEY_ID for events chained before keyed sealing).
    key_id: Mapped[str | None] = mapped_column(String(40))
    sealed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_audit_event_patient", "patient_id", "id"),
        Index("ix_audit_event_user", "user_id", "id"),
        # Unique through audit_chain_position: PostgreSQL cannot hold a unique index on a table
        # partitioned by month unless the month is part of it.
        Index("ix_audit_event_seq", "seq"),
        # The privacy officer's search, newest first, and its export (audit.repository); the
        # refused attempts and emergency accesses each have their own, smaller index. The
        # queries write these predicates as SQL literals so that the planner can match them.
        Index("ix_audit_event_recorded", "recorded_at", "id"),
        Index(
            "ix_audit_event_refused",
            "recorded_at",
            "id",
            sqlite_where=text(REFUSED_PREDICATE),
            postgresql_where=text(REFUSED_PREDICATE),
        ),
        Index(
            "ix_audit_event_btg",
            "recorded_at",
            "id",
            sqlite_where=text(BTG_PREDICATE),
            postgresql_where=text(BTG_PREDICATE),
        ),
        # What the sealer looks for: committed events without a place in the chain yet.
        Index(
            "ix_audit_event_unsealed",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
    )


class AuditChainPosition(Base):
    """Each place in the chain, taken once: a database trigger inserts the row when an event is
    sealed, so two events can never share a place, whatever partition each lies in."""

    __tablename__ = "audit_chain_position"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), unique=True)

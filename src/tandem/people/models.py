"""Tables for organisations, users, patients, identifiers and related persons."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.capabilities import Capability, PatientData
from tandem.db import Base, IdMixin
from tandem.vocab import RecordStatus


class Organization(IdMixin, Base):
    __tablename__ = "organization"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Its own IANA time zone when it differs from the deployment's (TANDEM_TIMEZONE): its
    # staff's "today" and the times they are shown. None: the deployment's.
    timezone: Mapped[str | None] = mapped_column(String(64))


class User(IdMixin, Base):
    """A professional who signs in: care manager, PCP, consultant, partner, administrator."""

    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_failed_login_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Patient(IdMixin, Base):
    __tablename__ = "patient"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_contact}),
        key="id",
        write=frozenset({Capability.edit_demographics, Capability.mark_registration_in_error}),
    )

    mrn: Mapped[str] = mapped_column(String(40), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    # Lower-cased "family given preferred" for index-friendly search.
    search_name: Mapped[str] = mapped_column(String(320))
    birth_date: Mapped[date]
    gender: Mapped[str] = mapped_column(String(20))
    pronouns: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(60), default="English")
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    contact_preference: Mapped[str] = mapped_column(String(20), default="phone")
    managing_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id")
    )
    status: Mapped[str] = mapped_column(String(20), default=RecordStatus.active)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_patient_name_birth", "family_name", "given_name", "birth_date"),
        Index("ix_patient_search_name", "search_name"),
        Index("ix_patient_birth_date", "birth_date"),
    )


class PatientIdentifier(IdMixin, Base):
    """An identifier another system gives the patient (clinic MRN, Medicaid ID …)."""

    __tablename__ = "patient_identifier"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_identifiers}),
        write=frozenset({Capability.edit_identifiers}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    system: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(100))
    assigner: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=RecordStatus.active)
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # A patient's identifiers, whatever their status (the unique index holds active ones).
        Index("ix_patient_identifier_patient", "patient_id"),
        Index("ix_patient_identifier_value", "system", "value"),
        # The same identifier twice on one patient is a conflict; on two patients it is a
        # possible duplicate for the privacy officer (PotentialDuplicate), not an error.
        Index(
            "uq_patient_identifier_active",
            "patient_id",
            "system",
            "value",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class RelatedPerson(IdMixin, Base):
    """Family member or caregiver; acts for the patient only with the patient's consent."""

    __tablename__ = "related_person"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_family}), write=frozenset({Capability.edit_family})
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    is_emergency_contact: Mapped[bool] = mapped_column(default=False)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=RecordStatus.active)
    notes: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_related_person_patient", "patient_id"),)


class PotentialDuplicate(IdMixin, Base):
    """Two registrations that may be the same person, for the privacy officer to decide — as a
    master patient index does. Opened without telling the user when the other record is one
    they may not see, so the check never confirms that a hidden patient exists."""

    __tablename__ = "potential_duplicate"
    # Staff reviews only: no care-team capability reads the queue.
    __patient_owned__ = PatientData(
        read=frozenset(),
        write=frozenset({Capability.edit_identifiers, Capability.edit_demographics}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    # No foreign key: two patients in one row would tie their shards together when patient
    # tables are distributed by patient_id.
    other_patient_id: Mapped[uuid.UUID]
    # The fields that matched, e.g. ["given_name", "family_name", "birth_date"] or ["medicaid"].
    matched: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="open")
    raised_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    raised_at: Mapped[datetime]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    resolved_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_potential_duplicate_status", "status", "raised_at"),
        Index("ix_potential_duplicate_patient", "patient_id"),
        # One open question per pair of records.
        Index(
            "uq_potential_duplicate_open_pair",
            "patient_id",
            "other_patient_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

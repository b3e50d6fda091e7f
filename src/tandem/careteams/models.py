"""Care-team membership and programme enrolment tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.capabilities import Capability, PatientData
from tandem.db import Base, IdMixin
from tandem.vocab import RecordStatus


class CareTeamMember(IdMixin, Base):
    """One participant in a patient's care team: a user, or a related person (family caregiver)."""

    __tablename__ = "care_team_member"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_care_team, Capability.read_contact}),
        write=frozenset({Capability.manage_care_team}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    role: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    related_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("related_person.id"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=RecordStatus.active)
    end_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Serves the access check and the caseload: "which patients is this user on the team of".
        Index("ix_care_team_member_user_active", "user_id", "status", "patient_id"),
        Index("ix_care_team_member_patient", "patient_id", "status"),
        # Exactly one lead care manager at a time.
        Index(
            "uq_care_team_member_one_lead",
            "patient_id",
            unique=True,
            sqlite_where=text("role = 'lead_care_manager' AND status = 'active'"),
            postgresql_where=text("role = 'lead_care_manager' AND status = 'active'"),
        ),
        # One person, one active membership per team: the caseload and the team list stay
        # unambiguous, and concurrent adds cannot both win.
        Index(
            "uq_care_team_member_active_user",
            "patient_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active' AND user_id IS NOT NULL"),
            postgresql_where=text("status = 'active' AND user_id IS NOT NULL"),
        ),
        Index(
            "uq_care_team_member_active_person",
            "patient_id",
            "related_person_id",
            unique=True,
            sqlite_where=text("status = 'active' AND related_person_id IS NOT NULL"),
            postgresql_where=text("status = 'active' AND related_person_id IS NOT NULL"),
        ),
    )


class Enrolment(IdMixin, Base):
    """An episode of care in a programme, with its phase and dates (FHIR EpisodeOfCare)."""

    __tablename__ = "enrolment"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_enrolments}),
        write=frozenset({Capability.manage_enrolments}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    programme: Mapped[str] = mapped_column(String(120))
    phase: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"))
    status: Mapped[str] = mapped_column(String(20), default=RecordStatus.active)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_enrolment_patient", "patient_id", "start_date"),
        # One open enrolment per programme: change its phase instead of enrolling again.
        Index(
            "uq_enrolment_active_programme",
            "patient_id",
            "programme",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

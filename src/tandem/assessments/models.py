"""Assessment tables: responses, the observations derived from them, safety alerts, needs,
comprehensive assessments, and the revisions that keep every amended record's history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem.assessments.vocab import AlertStatus
from tandem.capabilities import Capability, PatientData
from tandem.db import Base, IdMixin

Json = JSON().with_variant(JSONB(), "postgresql")


class Response(IdMixin, Base):
    """One administration of an instrument (FHIR QuestionnaireResponse)."""

    __tablename__ = "assessment_response"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_measurements}),
        write=frozenset({Capability.record_measurements}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    instrument: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[str] = mapped_column(String(20))
    # completed → amended; either → entered-in-error (FHIR QuestionnaireResponse.status).
    status: Mapped[str] = mapped_column(String(20), default="completed")
    answered_on: Mapped[date]
    # Who gave the answers: "staff" (administered by a clinician) or "patient" (self-report).
    source: Mapped[str] = mapped_column(String(20), default="staff")
    answers: Mapped[dict[str, Any]] = mapped_column(Json)
    total_score: Mapped[int | None]
    band: Mapped[str | None] = mapped_column(String(40))
    band_level: Mapped[int | None]
    flags: Mapped[list[str]] = mapped_column(Json, default=list)
    entered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    status_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_assessment_response_patient", "patient_id", "instrument", "answered_on"),
    )


class Observation(IdMixin, Base):
    """A coded result derived from a response: a total score, a triage level, a social-needs
    answer (FHIR Observation with derivedFrom = the response)."""

    __tablename__ = "observation"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_measurements}),
        write=frozenset({Capability.record_measurements}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    response_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessment_response.id"))
    instrument: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(40))
    display: Mapped[str] = mapped_column(String(300))
    # Space-separated observation categories: survey, social-history, an SDOH domain.
    category: Mapped[str] = mapped_column(String(200))
    value_integer: Mapped[int | None]
    value_code: Mapped[str | None] = mapped_column(String(80))
    value_display: Mapped[str | None] = mapped_column(String(300))
    effective_on: Mapped[date]
    # final → amended; entered-in-error when its response is.
    status: Mapped[str] = mapped_column(String(20), default="final")
    recorded_at: Mapped[datetime]

    __table_args__ = (
        # Serves trajectories: one patient's scores on one code, in date order.
        Index("ix_observation_patient_code", "patient_id", "code", "effective_on"),
        Index("ix_observation_response", "patient_id", "response_id"),
    )


class Revision(IdMixin, Base):
    """What an amended or withdrawn record said before the change, who changed it and why."""

    __tablename__ = "assessment_revision"
    __patient_owned__ = PatientData(
        read=frozenset(
            {Capability.read_measurements, Capability.read_assessments, Capability.read_needs}
        ),
        write=frozenset({Capability.record_measurements, Capability.write_assessments}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID]
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]] = mapped_column(Json)
    change: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime]

    __table_args__ = (Index("ix_assessment_revision_record", "patient_id", "record_id"),)


class SafetyAlert(IdMixin, Base):
    """A safety flag on the patient (FHIR Flag, category safety): shown on every page of the
    chart until a team member records what was done."""

    __tablename__ = "safety_alert"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_safety}),
        write=frozenset({Capability.record_measurements, Capability.close_safety_alert}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    code: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(String(500))
    response_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessment_response.id"))
    # active → resolved (with the action taken) or entered-in-error (its response was wrong).
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.active)
    raised_at: Mapped[datetime]
    # What was done, as codes of AlertAction (None on alerts closed before they were asked
    # for), and in words: required with "other", and all an older alert has.
    actions: Mapped[list[str] | None] = mapped_column(Json)
    action_taken: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_safety_alert_patient", "patient_id", "status"),)


class Need(IdMixin, Base):
    """A clinical or social need (FHIR Condition, category health-concern)."""

    __tablename__ = "need"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_needs}),
        write=frozenset(
            {Capability.manage_needs, Capability.record_measurements, Capability.write_assessments}
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    domain: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(500))
    # identified (unconfirmed) → confirmed → being_addressed → resolved; or dismissed.
    status: Mapped[str] = mapped_column(String(30), default="identified")
    # "screen" (a positive social-needs answer) or "staff" (recorded by a team member).
    origin: Mapped[str] = mapped_column(String(20))
    # The responses and items that show the need: [{"response_id", "instrument", "items"}].
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    identified_on: Mapped[date]
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_need_patient", "patient_id", "status"),)


class NeedEvent(IdMixin, Base):
    """One step in a need's lifecycle, with who took it and why."""

    __tablename__ = "need_event"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_needs}),
        write=frozenset(
            {Capability.manage_needs, Capability.record_measurements, Capability.write_assessments}
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("need.id"))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(500))
    by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_need_event_need", "patient_id", "need_id"),)


class ComprehensiveAssessment(IdMixin, Base):
    """The starting point of the care plan: screens done, the clinician's narrative, what
    matters to the patient, their strengths, and the confirmed needs that result."""

    __tablename__ = "comprehensive_assessment"
    __patient_owned__ = PatientData(
        read=frozenset({Capability.read_assessments}),
        write=frozenset({Capability.write_assessments}),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    assessed_on: Mapped[date]
    narrative: Mapped[str] = mapped_column(Text)
    priorities: Mapped[str] = mapped_column(Text)
    strengths: Mapped[str | None] = mapped_column(Text)
    response_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    need_ids: Mapped[list[str]] = mapped_column(Json, default=list)
    # final → amended; or entered-in-error.
    status: Mapped[str] = mapped_column(String(20), default="final")
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_comprehensive_assessment_patient", "patient_id", "assessed_on"),)

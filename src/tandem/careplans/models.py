"""Care plan tables: the plan, its versions (a snapshot after each change), goals, the needs a
goal addresses, activities, agreements to a version, and the safety plan with its entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.assessments.models import Json
from tandem.capabilities import Capability, PatientData
from tandem.careplans.vocab import MEASURE_RANGES, Comparator
from tandem.db import Base, IdMixin

PLAN_DATA = PatientData(
    read=frozenset({Capability.read_care_plan}),
    write=frozenset({Capability.edit_care_plan}),
)
# An activity is also read by whoever is responsible for it (My responsibilities), a community
# partner included, without the rest of the plan.
ACTIVITY_DATA = PatientData(
    read=frozenset({Capability.read_care_plan, Capability.read_own_activities}),
    write=frozenset({Capability.edit_care_plan}),
)


class CarePlan(IdMixin, Base):
    """A patient's one current care plan. ``version`` counts every change to any part of it
    (goals and activities included): a change names the version it was based on."""

    __tablename__ = "care_plan"
    __patient_owned__ = PLAN_DATA

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    status: Mapped[str] = mapped_column(String(20), default="active")
    version: Mapped[int] = mapped_column(default=1)
    next_review_on: Mapped[date | None]
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime]
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    # When the team last recorded that it reviewed the plan, and who did.
    last_reviewed_at: Mapped[datetime | None]
    last_reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (
        # One current plan per patient; concurrent creations cannot both win.
        Index(
            "uq_care_plan_active_patient",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class CarePlanVersion(IdMixin, Base):
    """The whole plan (goals and activities) as it was after one change, with who, when, why."""

    __tablename__ = "care_plan_version"
    __patient_owned__ = PLAN_DATA

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plan.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]] = mapped_column(Json)
    changed_at: Mapped[datetime]
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # Each version is written once: the last word if two changes race past the plan's row.
        UniqueConstraint("plan_id", "version", name="uq_care_plan_version_plan_version"),
        Index("ix_care_plan_version_patient", "patient_id", "plan_id", "version"),
    )


def _in(values: Iterable[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


# A measurable target is a measure, a comparator, a score and the day it was set, or nothing;
# the score within the measure's range. The migration (0011) writes the same SQL out.
TARGET_TOGETHER = (
    "(target_measure IS NULL AND target_comparator IS NULL AND target_score IS NULL"
    " AND target_set_on IS NULL)"
    " OR (target_measure IS NOT NULL AND target_comparator IS NOT NULL"
    " AND target_score IS NOT NULL AND target_set_on IS NOT NULL)"
)
TARGET_COMPARATOR = f"target_comparator IS NULL OR target_comparator IN ({_in(Comparator)})"
TARGET_SCORE_IN_RANGE = "target_measure IS NULL OR " + " OR ".join(
    f"(target_measure = '{measure}' AND target_score BETWEEN {low} AND {high})"
    for measure, (low, high) in MEASURE_RANGES.items()
)


class Goal(IdMixin, Base):
    """What the patient wants to achieve, in their own words."""

    __tablename__ = "goal"
    __patient_owned__ = PLAN_DATA

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plan.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    description: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    target_date: Mapped[date | None]
    # A measurable target ("PHQ-9 below 5"): its achievement is worked out from the scores,
    # against the score when the target was set (the clinic's date).
    target_measure: Mapped[str | None] = mapped_column(String(20))
    target_comparator: Mapped[str | None] = mapped_column(String(10))
    target_score: Mapped[int | None]
    target_set_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    # Set by hand; for a goal with a measurable target, the computed one is shown instead.
    achievement: Mapped[str] = mapped_column(String(20), default="in-progress")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_goal_patient_plan", "patient_id", "plan_id"),
        CheckConstraint(TARGET_TOGETHER, name="target_together"),
        CheckConstraint(TARGET_COMPARATOR, name="target_comparator"),
        CheckConstraint(TARGET_SCORE_IN_RANGE, name="target_score_in_range"),
    )


class GoalNeed(IdMixin, Base):
    """A need (of the same patient) that a goal addresses; a link removed is ended, not
    deleted."""

    __tablename__ = "goal_need"
    __patient_owned__ = PLAN_DATA

    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goal.id"))
    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("need.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    status: Mapped[str] = mapped_column(String(20), default="active")

    __table_args__ = (
        Index("ix_goal_need_patient", "patient_id", "status"),
        Index(
            "uq_goal_need_active",
            "goal_id",
            "need_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class CareActivity(IdMixin, Base):
    """Something done towards a goal, with exactly one responsible party."""

    __tablename__ = "care_activity"
    __patient_owned__ = ACTIVITY_DATA

    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goal.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plan.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    responsible_kind: Mapped[str] = mapped_column(String(20))
    responsible_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    responsible_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id")
    )
    responsible_related_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("related_person.id")
    )
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="not-started")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_care_activity_patient_plan", "patient_id", "plan_id"),
        # My responsibilities: the activities a person, or an organisation, is responsible for.
        Index("ix_care_activity_responsible_user", "responsible_user_id", "status"),
        Index("ix_care_activity_responsible_org", "responsible_organization_id", "status"),
        # Exactly one responsible party, and the id its kind needs.
        CheckConstraint(
            "(responsible_kind = 'team_member' AND responsible_user_id IS NOT NULL"
            " AND responsible_organization_id IS NULL AND responsible_related_person_id IS NULL)"
            " OR (responsible_kind = 'organisation' AND responsible_user_id IS NULL"
            " AND responsible_organization_id IS NOT NULL"
            " AND responsible_related_person_id IS NULL)"
            " OR (responsible_kind = 'patient' AND responsible_user_id IS NULL"
            " AND responsible_organization_id IS NULL AND responsible_related_person_id IS NULL)"
            " OR (responsible_kind = 'related_person' AND responsible_user_id IS NULL"
            " AND responsible_organization_id IS NULL"
            " AND responsible_related_person_id IS NOT NULL)",
            name="one_responsible",
        ),
    )


class CarePlanAgreement(IdMixin, Base):
    """The patient (or, with their consent, a family member) reviewed one version of the plan
    and agreed to it; recorded by a team member, never changed, marked entered in error if
    recorded by mistake."""

    __tablename__ = "care_plan_agreement"
    __patient_owned__ = PLAN_DATA

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plan.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    version: Mapped[int]
    # "patient", or "related_person" with the person and the patient's consent recorded.
    agreed_by: Mapped[str] = mapped_column(String(20))
    related_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("related_person.id"))
    # How it was given: in person, by phone, by video, in writing.
    method: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(1000))
    agreed_on: Mapped[date]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_care_plan_agreement_patient", "patient_id", "plan_id", "version"),
        # One live agreement by each party to each version (the patient's, and each family
        # member's: two indexes, as a NULL person would never collide with another).
        Index(
            "uq_care_plan_agreement_patient_version",
            "plan_id",
            "version",
            unique=True,
            sqlite_where=text("status = 'active' AND agreed_by = 'patient'"),
            postgresql_where=text("status = 'active' AND agreed_by = 'patient'"),
        ),
        Index(
            "uq_care_plan_agreement_person_version",
            "plan_id",
            "version",
            "related_person_id",
            unique=True,
            sqlite_where=text("status = 'active' AND agreed_by = 'related_person'"),
            postgresql_where=text("status = 'active' AND agreed_by = 'related_person'"),
        ),
        CheckConstraint(
            "(agreed_by = 'patient' AND related_person_id IS NULL)"
            " OR (agreed_by = 'related_person' AND related_person_id IS NOT NULL)",
            name="agreement_party",
        ),
    )


class SafetyPlan(IdMixin, Base):
    """The patient's safety plan, one part of their care plan and versioned with it: when it
    was last gone through with the patient, and who changed it last. Its words are entries."""

    __tablename__ = "safety_plan"
    __patient_owned__ = PLAN_DATA

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("care_plan.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    # The clinic's date it was last gone through with the patient, and who recorded that.
    reviewed_on: Mapped[date | None]
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime]
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (
        # One safety plan per care plan; two changes racing to start it cannot both win.
        UniqueConstraint("plan_id", name="uq_safety_plan_plan"),
        Index("ix_safety_plan_patient", "patient_id", "plan_id"),
    )


class SafetyPlanEntry(IdMixin, Base):
    """One line of a safety plan's section, in the patient's own words (a contact's name with
    their phone). An entry taken off the plan is ended, not deleted."""

    __tablename__ = "safety_plan_entry"
    __patient_owned__ = PLAN_DATA

    safety_plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("safety_plan.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    section: Mapped[str] = mapped_column(String(30))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_safety_plan_entry_patient", "patient_id", "safety_plan_id", "status"),
    )

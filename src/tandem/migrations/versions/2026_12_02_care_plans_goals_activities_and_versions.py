"""care plans: the plan, its versions, goals, the needs they address, activities

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:39:11.894252
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tandem.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# Exactly one responsible party for an activity, and the id its kind needs.
ONE_RESPONSIBLE = (
    "(responsible_kind = 'team_member'"
    " AND responsible_user_id IS NOT NULL"
    " AND responsible_organization_id IS NULL"
    " AND responsible_related_person_id IS NULL)"
    " OR (responsible_kind = 'organisation'"
    " AND responsible_user_id IS NULL"
    " AND responsible_organization_id IS NOT NULL"
    " AND responsible_related_person_id IS NULL)"
    " OR (responsible_kind = 'patient'"
    " AND responsible_user_id IS NULL"
    " AND responsible_organization_id IS NULL"
    " AND responsible_related_person_id IS NULL)"
    " OR (responsible_kind = 'related_person'"
    " AND responsible_user_id IS NULL"
    " AND responsible_organization_id IS NULL"
    " AND responsible_related_person_id IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "care_plan",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_care_plan_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_care_plan_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["app_user.id"], name=op.f("fk_care_plan_updated_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan")),
    )
    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.create_index(
            "uq_care_plan_active_patient",
            ["patient_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "care_plan_version",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("changed_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["app_user.id"], name=op.f("fk_care_plan_version_changed_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_care_plan_version_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_care_plan_version_plan_id_care_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan_version")),
        sa.UniqueConstraint("plan_id", "version", name="uq_care_plan_version_plan_version"),
    )
    with op.batch_alter_table("care_plan_version", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_plan_version_patient", ["patient_id", "plan_id", "version"], unique=False
        )

    op.create_table(
        "goal",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("achievement", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_goal_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_goal_plan_id_care_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
    )
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.create_index("ix_goal_patient_plan", ["patient_id", "plan_id"], unique=False)

    op.create_table(
        "care_activity",
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("responsible_kind", sa.String(length=20), nullable=False),
        sa.Column("responsible_user_id", sa.Uuid(), nullable=True),
        sa.Column("responsible_organization_id", sa.Uuid(), nullable=True),
        sa.Column("responsible_related_person_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            ONE_RESPONSIBLE,
            name=op.f("ck_care_activity_one_responsible"),
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_care_activity_goal_id_goal")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_care_activity_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_care_activity_plan_id_care_plan")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_organization_id"],
            ["organization.id"],
            name=op.f("fk_care_activity_responsible_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_related_person_id"],
            ["related_person.id"],
            name=op.f("fk_care_activity_responsible_related_person_id_related_person"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_user_id"],
            ["app_user.id"],
            name=op.f("fk_care_activity_responsible_user_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_activity")),
    )
    with op.batch_alter_table("care_activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_activity_patient_plan", ["patient_id", "plan_id"], unique=False
        )

    op.create_table(
        "goal_need",
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_goal_need_goal_id_goal")),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], name=op.f("fk_goal_need_need_id_need")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_goal_need_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_need")),
    )
    with op.batch_alter_table("goal_need", schema=None) as batch_op:
        batch_op.create_index("ix_goal_need_patient", ["patient_id", "status"], unique=False)
        batch_op.create_index(
            "uq_goal_need_active",
            ["goal_id", "need_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("goal_need", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_goal_need_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index("ix_goal_need_patient")

    op.drop_table("goal_need")
    with op.batch_alter_table("care_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_care_activity_patient_plan")

    op.drop_table("care_activity")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_index("ix_goal_patient_plan")

    op.drop_table("goal")
    with op.batch_alter_table("care_plan_version", schema=None) as batch_op:
        batch_op.drop_index("ix_care_plan_version_patient")

    op.drop_table("care_plan_version")
    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_care_plan_active_patient",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.drop_table("care_plan")

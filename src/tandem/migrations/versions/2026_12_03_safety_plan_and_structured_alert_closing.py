"""safety plan: the care plan's safety plan and its entries; what was done about a safety alert
as a list of actions; a notification names the safety alert it tells of

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tandem.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# A safety-alert notification written before this revision did not name its alert: it names
# the patient's alert raised last before it was sent (the alert and its notification are
# written in the same request, the alert first).
LINK_NOTIFICATIONS = """
UPDATE notification SET safety_alert_id = (
    SELECT safety_alert.id FROM safety_alert
    WHERE safety_alert.patient_id = notification.patient_id
      AND safety_alert.raised_at <= notification.created_at
    ORDER BY safety_alert.raised_at DESC
    LIMIT 1
)
WHERE notification.kind = 'safety_alert' AND notification.safety_alert_id IS NULL
"""


def upgrade() -> None:
    op.create_table(
        "safety_plan",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_safety_plan_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_safety_plan_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_safety_plan_plan_id_care_plan")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["app_user.id"], name=op.f("fk_safety_plan_reviewed_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["app_user.id"], name=op.f("fk_safety_plan_updated_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_plan")),
        sa.UniqueConstraint("plan_id", name="uq_safety_plan_plan"),
    )
    with op.batch_alter_table("safety_plan", schema=None) as batch_op:
        batch_op.create_index("ix_safety_plan_patient", ["patient_id", "plan_id"], unique=False)

    op.create_table(
        "safety_plan_entry",
        sa.Column("safety_plan_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("section", sa.String(length=30), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_safety_plan_entry_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["safety_plan_id"],
            ["safety_plan.id"],
            name=op.f("fk_safety_plan_entry_safety_plan_id_safety_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_plan_entry")),
    )
    with op.batch_alter_table("safety_plan_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_safety_plan_entry_patient",
            ["patient_id", "safety_plan_id", "status"],
            unique=False,
        )

    # Alerts closed before keep their words (action_taken) and no list of actions.
    with op.batch_alter_table("safety_alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actions", JSON, nullable=True))

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("safety_alert_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_safety_alert_id_safety_alert"),
            "safety_alert",
            ["safety_alert_id"],
            ["id"],
        )
    op.execute(LINK_NOTIFICATIONS)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_safety_alert_id_safety_alert"), type_="foreignkey"
        )
        batch_op.drop_column("safety_alert_id")

    with op.batch_alter_table("safety_alert", schema=None) as batch_op:
        batch_op.drop_column("actions")

    with op.batch_alter_table("safety_plan_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_plan_entry_patient")

    op.drop_table("safety_plan_entry")
    with op.batch_alter_table("safety_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_plan_patient")

    op.drop_table("safety_plan")

"""care plan measurable targets and reviews: a goal's target on a measure, the plan's last review

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.db

revision = "0011"
# After the care plan agreement (0014, merged first); both were numbered from 0010.
down_revision = "0014"
branch_labels = None
depends_on = None

# The same SQL as tandem.careplans.models writes (written out: a migration does not change when
# the code does).
TARGET_TOGETHER = (
    "(target_measure IS NULL AND target_comparator IS NULL AND target_score IS NULL"
    " AND target_set_on IS NULL)"
    " OR (target_measure IS NOT NULL AND target_comparator IS NOT NULL"
    " AND target_score IS NOT NULL AND target_set_on IS NOT NULL)"
)
TARGET_COMPARATOR = (
    "target_comparator IS NULL OR target_comparator IN ('below', 'at-most', 'at-least', 'above')"
)
TARGET_SCORE_IN_RANGE = (
    "target_measure IS NULL"
    " OR (target_measure = 'phq-9' AND target_score BETWEEN 0 AND 27)"
    " OR (target_measure = 'gad-7' AND target_score BETWEEN 0 AND 21)"
)


def upgrade() -> None:
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_measure", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("target_comparator", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("target_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("target_set_on", sa.Date(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_goal_target_together"), TARGET_TOGETHER)
        batch_op.create_check_constraint(op.f("ck_goal_target_comparator"), TARGET_COMPARATOR)
        batch_op.create_check_constraint(
            op.f("ck_goal_target_score_in_range"), TARGET_SCORE_IN_RANGE
        )
    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_reviewed_at", tandem.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("last_reviewed_by", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_care_plan_last_reviewed_by_app_user"), "app_user", ["last_reviewed_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("care_plan", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_care_plan_last_reviewed_by_app_user"), type_="foreignkey")
        batch_op.drop_column("last_reviewed_by")
        batch_op.drop_column("last_reviewed_at")
    with op.batch_alter_table("goal", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_goal_target_score_in_range"), type_="check")
        batch_op.drop_constraint(op.f("ck_goal_target_comparator"), type_="check")
        batch_op.drop_constraint(op.f("ck_goal_target_together"), type_="check")
        batch_op.drop_column("target_set_on")
        batch_op.drop_column("target_score")
        batch_op.drop_column("target_measure")
        batch_op.drop_column("target_comparator")

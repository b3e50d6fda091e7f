"""care activity responsible indexes: My responsibilities finds a person's or an organisation's
open activities without reading every activity of their caseload

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02 21:42:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("care_activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_activity_responsible_user", ["responsible_user_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_care_activity_responsible_org",
            ["responsible_organization_id", "status"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("care_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_care_activity_responsible_org")
        batch_op.drop_index("ix_care_activity_responsible_user")

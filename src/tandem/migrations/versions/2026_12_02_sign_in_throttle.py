"""sign-in throttle: recent failed sign-ins per submitted username

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("name_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name_digest", name=op.f("pk_sign_in_throttle")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")

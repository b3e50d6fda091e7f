"""audit trail search indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00.000000

The privacy officer searches the whole audit trail by period, newest first, and exports it:
an index on (recorded_at, id), and two partial ones of the same columns for what is searched
most, refused attempts (outcome <> 0) and emergency access (purpose = 'BTG').

On PostgreSQL the indexes are built CONCURRENTLY: every request inserts into audit_event, and
a plain CREATE INDEX would hold those inserts (and so every request) for as long as the build
takes on a large trail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REFUSED = "outcome <> 0"
BTG = "purpose = 'BTG'"
INDEXES: tuple[tuple[str, str | None], ...] = (
    ("ix_audit_event_recorded", None),
    ("ix_audit_event_refused", REFUSED),
    ("ix_audit_event_btg", BTG),
)


def upgrade() -> None:
    concurrently = op.get_bind().dialect.name == "postgresql"
    for name, where in INDEXES:
        predicate = sa.text(where) if where else None
        if concurrently:
            # CONCURRENTLY cannot run inside a transaction block.
            with op.get_context().autocommit_block():
                op.create_index(
                    name,
                    "audit_event",
                    ["recorded_at", "id"],
                    postgresql_where=predicate,
                    postgresql_concurrently=True,
                    if_not_exists=True,
                )
        else:
            op.create_index(name, "audit_event", ["recorded_at", "id"], sqlite_where=predicate)


def downgrade() -> None:
    for name, _where in reversed(INDEXES):
        op.drop_index(name, table_name="audit_event")

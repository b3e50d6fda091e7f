"""audit trail search indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:00:00.000000

The privacy officer searches the whole audit trail by period, newest first, and exports it:
an index on (recorded_at, id), and two partial ones of the same columns for what is searched
most, refused attempts (outcome <> 0) and emergency access (purpose = 'BTG').

On PostgreSQL audit_event is partitioned by month (0007), and a partitioned table cannot be
indexed CONCURRENTLY. So each index is made on the parent alone (ON ONLY, which builds nothing),
then CONCURRENTLY on each month, and each month's index is attached: requests keep inserting
events throughout. Months made later take the parent's indexes by themselves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REFUSED = "outcome <> 0"
BTG = "purpose = 'BTG'"
INDEXES: tuple[tuple[str, str | None], ...] = (
    ("ix_audit_event_recorded", None),
    ("ix_audit_event_refused", REFUSED),
    ("ix_audit_event_btg", BTG),
)


def _partitions() -> list[str]:
    rows = op.get_bind().execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST('audit_event' AS regclass) ORDER BY c.relname"
        )
    )
    return [str(name) for (name,) in rows]


def _upgrade_postgresql() -> None:
    partitions = _partitions()
    for name, where in INDEXES:
        predicate = f" WHERE {where}" if where else ""
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON ONLY audit_event (recorded_at, id){predicate}"
        )
    # CONCURRENTLY cannot run inside a transaction block.
    with op.get_context().autocommit_block():
        for name, where in INDEXES:
            predicate = f" WHERE {where}" if where else ""
            for partition in partitions:
                local = f"{partition}_{name.removeprefix('ix_audit_event_')}_idx"
                op.execute(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {local} ON {partition} "
                    f"(recorded_at, id){predicate}"
                )
                op.execute(f"ALTER INDEX {name} ATTACH PARTITION {local}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
        return
    for name, where in INDEXES:
        predicate = sa.text(where) if where else None
        op.create_index(name, "audit_event", ["recorded_at", "id"], sqlite_where=predicate)


def downgrade() -> None:
    for name, _where in reversed(INDEXES):
        op.drop_index(name, table_name="audit_event")

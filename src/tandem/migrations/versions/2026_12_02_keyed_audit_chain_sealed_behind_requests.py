"""keyed audit chain sealed behind the requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:05:53.224200

Requests now insert audit events without a lock (ids from the database); a sealer gives each
committed event its place in the chain afterwards. The events chained so far keep their SHA-256
links as the chain's first, unkeyed stretch (seq = id). The append-only triggers now let
exactly one change through: sealing an event that has no place in the chain yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LEGACY_KEY_ID = "legacy-sha256"
CHAINED = (
    "id",
    "recorded_at",
    "user_id",
    "username",
    "role",
    "action",
    "patient_id",
    "record_type",
    "record_id",
    "outcome",
    "purpose",
    "source_address",
    "detail",
)
REFUSAL = "audit events are append-only: only sealing may set the place of an event in the chain"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_event_seal_only BEFORE UPDATE ON audit_event
       WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.hash IS NULL OR NEW.key_id IS NULL
         OR {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CHAINED)}
       BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
]
_PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
     AND NEW.key_id IS NOT NULL
     AND ({", ".join(f"NEW.{c}" for c in CHAINED)})
         IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in CHAINED)}) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '{REFUSAL}';
END; $$ LANGUAGE plpgsql"""
_PG_TRIGGERS = [
    """CREATE TRIGGER audit_event_seal_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


def _drop_old_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_old_triggers(dialect)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("key_id", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("sealed_at", tandem.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("prev_hash", existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.VARCHAR(length=64), nullable=True)
    # The events chained so far: their ids were their chain positions.
    op.execute(
        f"UPDATE audit_event SET seq = id, key_id = '{LEGACY_KEY_ID}', sealed_at = recorded_at"
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_event_unsealed",
            ["id"],
            unique=False,
            sqlite_where=sa.text("seq IS NULL"),
            postgresql_where=sa.text("seq IS NULL"),
        )
        batch_op.create_index("uq_audit_event_seq", ["seq"], unique=True)
    if dialect == "sqlite":
        # An INTEGER PRIMARY KEY is SQLite's rowid: a new row takes the next one by itself.
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute("CREATE SEQUENCE IF NOT EXISTS audit_event_id_seq OWNED BY audit_event.id")
        op.execute(
            "SELECT setval('audit_event_id_seq', COALESCE((SELECT max(id) FROM audit_event), 0)"
            " + 1, false)"
        )
        op.execute(
            "ALTER TABLE audit_event ALTER COLUMN id SET DEFAULT nextval('audit_event_id_seq')"
        )
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_seal_only")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_seal_only ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("ALTER TABLE audit_event ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS audit_event_id_seq")
    # Keyed events cannot go back to the unkeyed chain: the downgrade keeps only the schema.
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("uq_audit_event_seq")
        batch_op.drop_index(
            "ix_audit_event_unsealed",
            sqlite_where=sa.text("seq IS NULL"),
            postgresql_where=sa.text("seq IS NULL"),
        )
        batch_op.drop_column("sealed_at")
        batch_op.drop_column("key_id")
        batch_op.drop_column("seq")
    if dialect == "sqlite":
        op.execute(
            """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
               BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""
        )
        op.execute(
            """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
               BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""
        )
    else:
        op.execute(
            """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql"""
        )
        op.execute(
            """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
            ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"""
        )

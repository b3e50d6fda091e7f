"""audit events partitioned by month; each chain position taken once

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:20:00

PostgreSQL: audit_event becomes a table partitioned by month of recorded_at (declarative range
partitioning), with a partition for each month that holds events, the current month and the next
two, and a default partition for any other month. Its primary key becomes (id, recorded_at), as
PostgreSQL asks of a partitioned table; ids still come from one sequence.

Both databases: a place in the chain can no longer be unique by an index on audit_event (on
PostgreSQL a unique index must include the month), so audit_chain_position holds each taken
place, filled by a trigger when an event is sealed; and an event must arrive unsealed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNSEALED_ONLY = "audit events arrive unsealed: only the sealer gives them a place in the chain"
MONTHS_AHEAD = 2

_PG_TAKE_POSITION = """CREATE OR REPLACE FUNCTION audit_event_take_position() RETURNS trigger AS $$
BEGIN
  INSERT INTO audit_chain_position (seq, event_id) VALUES (NEW.seq, NEW.id);
  RETURN NULL;
END; $$ LANGUAGE plpgsql"""
_PG_ARRIVE_UNSEALED = f"""CREATE OR REPLACE FUNCTION audit_event_arrive_unsealed() RETURNS trigger
AS $$
BEGIN
  IF NEW.seq IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.sealed_at IS NOT NULL THEN
    RAISE EXCEPTION '{UNSEALED_ONLY}';
  END IF;
  RETURN NEW;
END; $$ LANGUAGE plpgsql"""
_PG_TRIGGERS = [
    """CREATE TRIGGER audit_event_seal_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_arrives_unsealed BEFORE INSERT ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_arrive_unsealed()""",
    """CREATE TRIGGER audit_event_takes_position AFTER UPDATE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_take_position()""",
]
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_event_takes_position AFTER UPDATE OF seq ON audit_event
       WHEN NEW.seq IS NOT NULL
       BEGIN INSERT INTO audit_chain_position (seq, event_id) VALUES (NEW.seq, NEW.id); END""",
    f"""CREATE TRIGGER audit_event_arrives_unsealed BEFORE INSERT ON audit_event
       WHEN NEW.seq IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.sealed_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, '{UNSEALED_ONLY}'); END""",
]
_OLD_INDEXES = ("ix_audit_event_patient", "ix_audit_event_user", "ix_audit_event_unsealed")
_INT64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _month(year: int, month: int, ahead: int = 0) -> tuple[int, int]:
    index = year * 12 + month - 1 + ahead
    return index // 12, index % 12 + 1


def _partition(year: int, month: int) -> str:
    end = _month(year, month, 1)
    return (
        f"CREATE TABLE audit_event_y{year:04d}m{month:02d} PARTITION OF audit_event FOR VALUES "
        f"FROM ('{year:04d}-{month:02d}-01 00:00:00+00') TO ('{end[0]:04d}-{end[1]:02d}-01 "
        "00:00:00+00')"
    )


def _months_to_make(first: datetime | None) -> list[tuple[int, int]]:
    now = datetime.now(UTC)
    start = (first.year, first.month) if first else (now.year, now.month)
    last = _month(now.year, now.month, MONTHS_AHEAD)
    months = [start]
    while months[-1] < last:
        months.append(_month(*months[-1], 1))
    return months


def _positions_table() -> None:
    op.create_table(
        "audit_chain_position",
        sa.Column("seq", _INT64, autoincrement=False, nullable=False),
        sa.Column("event_id", _INT64, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_chain_position")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_chain_position_event_id")),
    )


def _upgrade_postgresql() -> None:
    for name in ("audit_event_seal_only", "audit_event_no_truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_event")
    op.execute("ALTER TABLE audit_event RENAME TO audit_event_unpartitioned")
    op.execute("ALTER TABLE audit_event_unpartitioned ALTER COLUMN id DROP DEFAULT")
    op.execute("ALTER SEQUENCE audit_event_id_seq OWNED BY NONE")
    for name in (*_OLD_INDEXES, "uq_audit_event_seq"):
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_unpartitioned")
    op.execute(
        "ALTER TABLE audit_event_unpartitioned RENAME CONSTRAINT pk_audit_event "
        "TO pk_audit_event_unpartitioned"
    )
    op.execute(
        "CREATE TABLE audit_event (LIKE audit_event_unpartitioned INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS, CONSTRAINT pk_audit_event PRIMARY KEY (id, recorded_at)) "
        "PARTITION BY RANGE (recorded_at)"
    )
    op.execute("ALTER TABLE audit_event ALTER COLUMN id SET DEFAULT nextval('audit_event_id_seq')")
    op.execute("ALTER SEQUENCE audit_event_id_seq OWNED BY audit_event.id")
    first = op.get_bind().scalar(sa.text("SELECT min(recorded_at) FROM audit_event_unpartitioned"))
    for year, month in _months_to_make(first):
        op.execute(_partition(year, month))
    op.execute("CREATE TABLE audit_event_default PARTITION OF audit_event DEFAULT")
    op.execute("INSERT INTO audit_event SELECT * FROM audit_event_unpartitioned")
    op.execute(
        "INSERT INTO audit_chain_position (seq, event_id) "
        "SELECT seq, id FROM audit_event_unpartitioned WHERE seq IS NOT NULL"
    )
    op.execute("DROP TABLE audit_event_unpartitioned")
    op.create_index("ix_audit_event_patient", "audit_event", ["patient_id", "id"])
    op.create_index("ix_audit_event_user", "audit_event", ["user_id", "id"])
    op.create_index("ix_audit_event_seq", "audit_event", ["seq"])
    op.create_index(
        "ix_audit_event_unsealed", "audit_event", ["id"], postgresql_where=sa.text("seq IS NULL")
    )
    op.execute(_PG_TAKE_POSITION)
    op.execute(_PG_ARRIVE_UNSEALED)
    for statement in _PG_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    _positions_table()
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
        return
    op.drop_index("uq_audit_event_seq", table_name="audit_event")
    op.create_index("ix_audit_event_seq", "audit_event", ["seq"])
    op.execute(
        "INSERT INTO audit_chain_position (seq, event_id) "
        "SELECT seq, id FROM audit_event WHERE seq IS NOT NULL"
    )
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def _downgrade_postgresql() -> None:
    for name in (
        "audit_event_seal_only",
        "audit_event_no_truncate",
        "audit_event_arrives_unsealed",
        "audit_event_takes_position",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_take_position()")
    op.execute("DROP FUNCTION IF EXISTS audit_event_arrive_unsealed()")
    op.execute("ALTER TABLE audit_event RENAME TO audit_event_partitioned")
    op.execute("ALTER TABLE audit_event_partitioned ALTER COLUMN id DROP DEFAULT")
    op.execute("ALTER SEQUENCE audit_event_id_seq OWNED BY NONE")
    for name in (*_OLD_INDEXES, "ix_audit_event_seq"):
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_partitioned")
    op.execute(
        "ALTER TABLE audit_event_partitioned RENAME CONSTRAINT pk_audit_event "
        "TO pk_audit_event_partitioned"
    )
    op.execute(
        "CREATE TABLE audit_event (LIKE audit_event_partitioned INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS, CONSTRAINT pk_audit_event PRIMARY KEY (id))"
    )
    op.execute("ALTER TABLE audit_event ALTER COLUMN id SET DEFAULT nextval('audit_event_id_seq')")
    op.execute("ALTER SEQUENCE audit_event_id_seq OWNED BY audit_event.id")
    op.execute("INSERT INTO audit_event SELECT * FROM audit_event_partitioned")
    op.execute("DROP TABLE audit_event_partitioned")
    op.create_index("ix_audit_event_patient", "audit_event", ["patient_id", "id"])
    op.create_index("ix_audit_event_user", "audit_event", ["user_id", "id"])
    op.create_index("uq_audit_event_seq", "audit_event", ["seq"], unique=True)
    op.create_index(
        "ix_audit_event_unsealed", "audit_event", ["id"], postgresql_where=sa.text("seq IS NULL")
    )
    for statement in _PG_TRIGGERS[:2]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_postgresql()
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_takes_position")
        op.execute("DROP TRIGGER IF EXISTS audit_event_arrives_unsealed")
        op.drop_index("ix_audit_event_seq", table_name="audit_event")
        op.create_index("uq_audit_event_seq", "audit_event", ["seq"], unique=True)
    op.drop_table("audit_chain_position")

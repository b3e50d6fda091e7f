"""care plan agreement: the patient or, with consent, a family member agreed to a version

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-02 19:38:04.958249
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tandem.db

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None


# The patient agrees, or a family member (named) does.
AGREEMENT_PARTY = (
    "(agreed_by = 'patient' AND related_person_id IS NULL)"
    " OR (agreed_by = 'related_person' AND related_person_id IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "care_plan_agreement",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("agreed_by", sa.String(length=20), nullable=False),
        sa.Column("related_person_id", sa.Uuid(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            AGREEMENT_PARTY,
            name=op.f("ck_care_plan_agreement_agreement_party"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_care_plan_agreement_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["care_plan.id"], name=op.f("fk_care_plan_agreement_plan_id_care_plan")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["app_user.id"],
            name=op.f("fk_care_plan_agreement_recorded_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["related_person_id"],
            ["related_person.id"],
            name=op.f("fk_care_plan_agreement_related_person_id_related_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plan_agreement")),
    )
    with op.batch_alter_table("care_plan_agreement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_care_plan_agreement_patient", ["patient_id", "plan_id", "version"], unique=False
        )
        batch_op.create_index(
            "uq_care_plan_agreement_patient_version",
            ["plan_id", "version"],
            unique=True,
            sqlite_where=sa.text("status = 'active' AND agreed_by = 'patient'"),
            postgresql_where=sa.text("status = 'active' AND agreed_by = 'patient'"),
        )
        batch_op.create_index(
            "uq_care_plan_agreement_person_version",
            ["plan_id", "version", "related_person_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active' AND agreed_by = 'related_person'"),
            postgresql_where=sa.text("status = 'active' AND agreed_by = 'related_person'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("care_plan_agreement", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_care_plan_agreement_person_version",
            sqlite_where=sa.text("status = 'active' AND agreed_by = 'related_person'"),
            postgresql_where=sa.text("status = 'active' AND agreed_by = 'related_person'"),
        )
        batch_op.drop_index(
            "uq_care_plan_agreement_patient_version",
            sqlite_where=sa.text("status = 'active' AND agreed_by = 'patient'"),
            postgresql_where=sa.text("status = 'active' AND agreed_by = 'patient'"),
        )
        batch_op.drop_index("ix_care_plan_agreement_patient")

    op.drop_table("care_plan_agreement")

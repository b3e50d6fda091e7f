"""Which uniqueness rule a refused write broke, read from either backend's error."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

import tandem.models  # noqa: F401 - every table in the metadata
from tandem.records import violated_constraint


def sqlite_error(message: str) -> IntegrityError:
    return IntegrityError("INSERT ...", {}, sqlite3.IntegrityError(message))


class UniqueViolationError(Exception):
    """What asyncpg raises: it names the constraint."""

    constraint_name = "uq_care_team_member_one_lead"


def asyncpg_error() -> IntegrityError:
    # SQLAlchemy's asyncpg adapter wraps the driver's error and chains it as the cause.
    adapted = Exception("duplicate key value violates unique constraint")
    adapted.__cause__ = UniqueViolationError()
    return IntegrityError("INSERT ...", {}, adapted)


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        # A column declared unique: SQLite names the column, the naming convention the rule.
        ("UNIQUE constraint failed: organization.name", "uq_organization_name"),
        ("UNIQUE constraint failed: app_user.username", "uq_app_user_username"),
        ("UNIQUE constraint failed: patient.mrn", "uq_patient_mrn"),
        # Partial unique indexes: the columns, in the index's order.
        (
            "UNIQUE constraint failed: patient_identifier.patient_id, "
            "patient_identifier.system, patient_identifier.value",
            "uq_patient_identifier_active",
        ),
        ("UNIQUE constraint failed: care_team_member.patient_id", "uq_care_team_member_one_lead"),
        (
            "UNIQUE constraint failed: care_team_member.patient_id, care_team_member.user_id",
            "uq_care_team_member_active_user",
        ),
        (
            "UNIQUE constraint failed: care_team_member.patient_id, "
            "care_team_member.related_person_id",
            "uq_care_team_member_active_person",
        ),
        (
            "UNIQUE constraint failed: enrolment.patient_id, enrolment.programme",
            "uq_enrolment_active_programme",
        ),
        (
            "UNIQUE constraint failed: potential_duplicate.patient_id, "
            "potential_duplicate.other_patient_id",
            "uq_potential_duplicate_open_pair",
        ),
    ],
)
def test_sqlite_names_the_columns_and_the_rule_is_found_by_them(message: str, rule: str) -> None:
    assert violated_constraint(sqlite_error(message)) == rule


@pytest.mark.parametrize(
    "message",
    [
        "FOREIGN KEY constraint failed",
        "NOT NULL constraint failed: patient.mrn",
        "UNIQUE constraint failed: no_such_table.id",
        # The right table, but columns no rule has in that order.
        "UNIQUE constraint failed: care_team_member.user_id, care_team_member.patient_id",
    ],
)
def test_an_error_that_names_no_known_rule_gives_none(message: str) -> None:
    assert violated_constraint(sqlite_error(message)) is None


def test_postgresql_names_the_rule_itself() -> None:
    assert violated_constraint(asyncpg_error()) == "uq_care_team_member_one_lead"

"""The names of what a user may do (capabilities), and the marker a table carries when its rows
are a patient's data. Both are vocabulary that tables, the access layer and the domains share; the
permission table that grants capabilities to roles is the access layer's (access/capabilities.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Capability(StrEnum):
    """One thing a user may do. Patient capabilities need a care relationship; staff
    capabilities (registering, reviews, administration) do not name a patient."""

    # -- on a patient ---------------------------------------------------------------------
    read_contact = "read_contact"
    read_chart = "read_chart"
    edit_demographics = "edit_demographics"
    read_identifiers = "read_identifiers"
    edit_identifiers = "edit_identifiers"
    read_family = "read_family"
    edit_family = "edit_family"
    read_care_team = "read_care_team"
    manage_care_team = "manage_care_team"
    read_enrolments = "read_enrolments"
    manage_enrolments = "manage_enrolments"
    read_measurements = "read_measurements"
    record_measurements = "record_measurements"
    read_safety = "read_safety"
    close_safety_alert = "close_safety_alert"
    read_needs = "read_needs"
    manage_needs = "manage_needs"
    read_care_plan = "read_care_plan"
    edit_care_plan = "edit_care_plan"
    read_own_activities = "read_own_activities"
    read_assessments = "read_assessments"
    write_assessments = "write_assessments"
    mark_registration_in_error = "mark_registration_in_error"
    read_access_log = "read_access_log"
    # -- staff-wide -----------------------------------------------------------------------
    register_patient = "register_patient"
    break_the_glass = "break_the_glass"
    review_emergency_access = "review_emergency_access"
    read_any_access_log = "read_any_access_log"
    review_duplicates = "review_duplicates"
    review_duplicate_details = "review_duplicate_details"
    administer_users = "administer_users"
    administer_organizations = "administer_organizations"


@dataclass(frozen=True)
class PatientData:
    """The marker a model carries when its rows are a patient's data (``__patient_owned__``).

    ``key`` names the column that says whose data a row is; ``read`` the capabilities any one
    of which lets a proven query read the table, ``write`` those any one of which lets it add
    or change a row (the scope guard checks both on every statement and every flush).
    """

    read: frozenset[Capability]
    write: frozenset[Capability] = frozenset()
    key: str = "patient_id"
    # Rows a reader may change (marking one's own notification read).
    written_by_readers: bool = False

    def __bool__(self) -> bool:
        return True

"""What the pure rules say when they refuse: the exact sentence a user reads and the field it is
shown beside, for break-the-glass, care teams, passwords and the last administrator; and the
search box dropping NUL characters (PostgreSQL text cannot hold them)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest

from tandem.access.rules import validate_break_glass_reason
from tandem.admin.rules import check_an_administrator_remains
from tandem.auth.rules import check_password_policy
from tandem.careteams.rules import check_end, check_member_kind, check_phase_dates, check_start
from tandem.errors import Conflict, ValidationProblem
from tandem.people.rules import PatientQuery, parse_patient_query

TODAY = date(2026, 3, 10)
BORN = date(1980, 5, 17)
ADA = uuid.UUID("00000000-0000-4000-8000-00000000000a")
BEA = uuid.UUID("00000000-0000-4000-8000-00000000000b")


def refused(check: Callable[..., object], *args: object, **kwargs: object) -> ValidationProblem:
    with pytest.raises(ValidationProblem) as caught:
        check(*args, **kwargs)
    return caught.value


class TestBreakTheGlass:
    def test_a_short_reason_is_told_the_minimum_length(self) -> None:
        problem = refused(validate_break_glass_reason, "emergency")
        assert problem.field == "reason"
        assert problem.message == "Describe the emergency in at least 15 characters."


class TestCareTeamMemberKind:
    @pytest.mark.parametrize(("user", "person"), [(True, True), (False, False)])
    def test_exactly_one_kind_of_member(self, user: bool, person: bool) -> None:
        problem = refused(check_member_kind, "therapist", has_user=user, has_related_person=person)
        assert problem.field == "user_id"
        assert problem.message == "Choose either a staff member or a family member, not both."

    def test_a_family_caregiver_is_a_related_person(self) -> None:
        problem = refused(
            check_member_kind, "family_caregiver", has_user=True, has_related_person=False
        )
        assert problem.field == "related_person_id"
        assert problem.message == "A family caregiver must be one of the patient's related persons."

    def test_a_related_person_joins_only_as_family_caregiver(self) -> None:
        problem = refused(check_member_kind, "therapist", has_user=False, has_related_person=True)
        assert problem.field == "role"
        assert problem.message == "A related person can only join the team as a family caregiver."


class TestCareTeamPeriods:
    @pytest.mark.parametrize(
        ("start", "born", "message"),
        [
            (date(2026, 3, 11), BORN, "Start date cannot be in the future."),
            (date(1980, 5, 16), BORN, "Start date is before the patient's date of birth."),
            (
                date(1899, 12, 31),
                date(1899, 1, 1),
                "Start date cannot be before 1900; check the year.",
            ),
        ],
    )
    def test_a_refused_start_says_start_date(self, start: date, born: date, message: str) -> None:
        problem = refused(check_start, start, today=TODAY, born=born)
        assert problem.field == "start_date"
        assert problem.message == message

    @pytest.mark.parametrize(
        ("start", "end", "message"),
        [
            (date(2026, 3, 1), date(2026, 2, 28), "End date is before the start date."),
            (date(2026, 3, 1), date(2026, 3, 11), "End date cannot be in the future."),
            # A start an older version let through can still be ended, but not before birth.
            (date(1970, 1, 1), date(1975, 1, 1), "End date is before the patient's date of birth."),
        ],
    )
    def test_a_refused_end_says_end_date(self, start: date, end: date, message: str) -> None:
        problem = refused(check_end, start, end, today=TODAY, born=BORN)
        assert problem.field == "end_date"
        assert problem.message == message


class TestEnrolmentPhases:
    def test_a_discharge_without_an_end_date(self) -> None:
        problem = refused(check_phase_dates, "discharged", None)
        assert problem.field == "end_date"
        assert problem.message == "A discharge needs an end date."

    @pytest.mark.parametrize("phase", ["active", "relapse_prevention"])
    def test_an_open_phase_with_an_end_date(self, phase: str) -> None:
        problem = refused(check_phase_dates, phase, date(2026, 3, 1))
        assert problem.field == "phase"
        assert problem.message == (
            "Only a discharged enrolment has an end date; set the phase to discharged."
        )


class TestPasswordPolicy:
    def test_too_short(self) -> None:
        problem = refused(check_password_policy, "nine char", username="casey")
        assert problem.field == "password"
        assert problem.message == "Password must be at least 10 characters."

    def test_over_256_characters(self) -> None:
        problem = refused(check_password_policy, "p" * 257, username="casey")
        assert problem.field == "password"
        assert problem.message == "Password must be at most 256 characters."

    def test_the_username(self) -> None:
        problem = refused(check_password_policy, " Casey.Lead1 ", username="casey.lead1")
        assert problem.field == "password"
        assert problem.message == "Password must not be the username."


class TestLastAdministrator:
    def test_the_last_one_is_told_what_to_do_first(self) -> None:
        with pytest.raises(Conflict) as caught:
            check_an_administrator_remains([ADA], ADA, field="role")
        assert caught.value.field == "role"
        assert caught.value.message == (
            "This is the last active administrator. Make another account an administrator first."
        )

    def test_one_of_two_may_leave(self) -> None:
        check_an_administrator_remains([ADA, BEA], ADA, field="active")


class TestSearchDropsNul:
    def test_a_nul_alone_is_an_empty_search(self) -> None:
        assert parse_patient_query("\x00") == PatientQuery()

    def test_a_nul_inside_a_name_is_dropped(self) -> None:
        assert parse_patient_query("Nú\x00ñez") == PatientQuery(name="nunez")

    def test_a_nul_inside_an_identifier_is_dropped(self) -> None:
        assert parse_patient_query("MCD-44\x0010") == PatientQuery(identifier="MCD-4410")

"""careteams.rules: who may hold which team role, membership periods, enrolment phases."""

from __future__ import annotations

from datetime import date

import pytest

from tandem.careteams.rules import (
    care_team_role_for,
    check_end,
    check_member_kind,
    check_phase_dates,
    check_start,
)
from tandem.errors import ValidationProblem

TODAY = date(2026, 3, 10)


class TestRoleForProfession:
    @pytest.mark.parametrize(
        ("profession", "team_role"),
        [
            ("care_manager", "lead_care_manager"),
            ("primary_care_provider", "primary_care_provider"),
            ("psychiatric_consultant", "psychiatric_consultant"),
            ("therapist", "therapist"),
            ("social_worker", "social_worker"),
            ("peer_specialist", "peer_specialist"),
            ("community_partner", "community_partner"),
            ("administrator", "social_worker"),
            ("privacy_officer", "social_worker"),
            ("janitor", "social_worker"),
        ],
    )
    def test_the_team_role_a_registering_professional_takes(
        self, profession: str, team_role: str
    ) -> None:
        assert care_team_role_for(profession) == team_role


class TestMemberKind:
    def test_staff_member_in_a_staff_role_is_fine(self) -> None:
        check_member_kind("therapist", has_user=True, has_related_person=False)

    def test_related_person_as_family_caregiver_is_fine(self) -> None:
        check_member_kind("family_caregiver", has_user=False, has_related_person=True)

    @pytest.mark.parametrize(("user", "person"), [(True, True), (False, False)])
    def test_exactly_one_of_user_and_related_person(self, user: bool, person: bool) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_member_kind("therapist", has_user=user, has_related_person=person)
        assert caught.value.field == "user_id"

    def test_family_caregiver_must_be_a_related_person(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_member_kind("family_caregiver", has_user=True, has_related_person=False)
        assert caught.value.field == "related_person_id"

    @pytest.mark.parametrize(
        "role",
        [
            "lead_care_manager",
            "primary_care_provider",
            "psychiatric_consultant",
            "therapist",
            "social_worker",
            "peer_specialist",
            "community_partner",
        ],
    )
    def test_a_related_person_cannot_take_a_staff_role(self, role: str) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_member_kind(role, has_user=False, has_related_person=True)
        assert caught.value.field == "role"


BORN = date(1980, 5, 17)
# The boundaries around a patient born on 17 May 1980, seen on 10 March 2026, as literals.
VALID_STARTS = [date(1980, 5, 17), date(1980, 5, 18), date(2000, 2, 29), date(2026, 3, 10)]
INVALID_STARTS = [date(1980, 5, 16), date(1900, 1, 1), date(2026, 3, 11), date(2027, 1, 1)]
# (start, end) of a period.
VALID_ENDS = [
    (date(2026, 3, 1), date(2026, 3, 1)),
    (date(2026, 3, 1), date(2026, 3, 2)),
    (date(2026, 3, 1), date(2026, 3, 10)),
    (date(1980, 5, 17), date(1980, 5, 17)),
    (date(1, 1, 1), date(2026, 3, 10)),  # a start an older version let through
]
INVALID_ENDS = [
    (date(2026, 3, 1), date(2026, 2, 28)),  # the day before the start
    (date(2026, 3, 1), date(2026, 3, 11)),  # tomorrow
    (date(2026, 3, 10), date(2026, 3, 9)),
    (date(1, 1, 1), date(1980, 5, 16)),  # before birth, even after an odd start
]


class TestPeriod:
    @pytest.mark.parametrize("start", VALID_STARTS, ids=str)
    def test_a_start_from_the_day_of_birth_to_today_is_fine(self, start: date) -> None:
        check_start(start, today=TODAY, born=BORN)

    @pytest.mark.parametrize("start", INVALID_STARTS, ids=str)
    def test_a_start_before_birth_or_after_today_is_refused(self, start: date) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_start(start, today=TODAY, born=BORN)
        assert caught.value.field == "start_date"

    def test_a_start_in_year_1_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_start(date(1, 1, 1), today=TODAY, born=date(1900, 1, 1))
        assert caught.value.field == "start_date"
        assert "1900" in caught.value.message

    @pytest.mark.parametrize(("start", "end"), VALID_ENDS, ids=str)
    def test_an_end_from_the_start_to_today_is_fine(self, start: date, end: date) -> None:
        check_end(start, end, today=TODAY, born=BORN)

    @pytest.mark.parametrize(("start", "end"), INVALID_ENDS, ids=str)
    def test_an_end_before_the_start_or_birth_or_after_today_is_refused(
        self, start: date, end: date
    ) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_end(start, end, today=TODAY, born=BORN)
        assert caught.value.field == "end_date"


class TestPhaseDates:
    def test_discharge_needs_an_end_date(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_phase_dates("discharged", None)
        assert caught.value.field == "end_date"

    def test_discharge_with_an_end_date_is_fine(self) -> None:
        check_phase_dates("discharged", date(2026, 3, 10))

    @pytest.mark.parametrize("phase", ["active", "relapse_prevention"])
    def test_open_phases_have_no_end_date(self, phase: str) -> None:
        check_phase_dates(phase, None)
        with pytest.raises(ValidationProblem) as caught:
            check_phase_dates(phase, date(2026, 3, 10))
        assert caught.value.field == "phase"

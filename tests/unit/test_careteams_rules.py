"""careteams.rules: who may hold which team role, membership periods, enrolment phases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.careteams.rules import (
    care_team_role_for,
    check_end,
    check_member_kind,
    check_phase_dates,
    check_start,
)
from tandem.careteams.vocab import CareTeamRole, Phase
from tandem.errors import ValidationProblem

TODAY = date(2026, 3, 10)


class TestRoleForProfession:
    def test_a_care_manager_who_registers_a_patient_becomes_the_lead(self) -> None:
        assert care_team_role_for("care_manager") == "lead_care_manager"

    @pytest.mark.parametrize(
        "profession",
        ["primary_care_provider", "psychiatric_consultant", "therapist", "peer_specialist"],
    )
    def test_other_clinicians_join_in_their_own_role(self, profession: str) -> None:
        assert care_team_role_for(profession) == profession

    def test_an_unknown_profession_joins_as_social_worker(self) -> None:
        assert care_team_role_for("administrator") == "social_worker"


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
        "role", [r for r in CareTeamRole if r is not CareTeamRole.family_caregiver]
    )
    def test_a_related_person_cannot_take_a_staff_role(self, role: str) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_member_kind(role, has_user=False, has_related_person=True)
        assert caught.value.field == "role"


BORN = date(1980, 5, 17)


class TestPeriod:
    def test_open_period_starting_today_is_fine(self) -> None:
        check_start(TODAY, today=TODAY, born=BORN)

    def test_start_tomorrow_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_start(TODAY + timedelta(days=1), today=TODAY, born=BORN)
        assert caught.value.field == "start_date"

    def test_a_start_on_the_day_of_birth_is_fine(self) -> None:
        check_start(BORN, today=TODAY, born=BORN)

    def test_a_start_before_birth_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_start(BORN - timedelta(days=1), today=TODAY, born=BORN)
        assert caught.value.field == "start_date"

    def test_a_start_in_year_1_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_start(date(1, 1, 1), today=TODAY, born=date(1900, 1, 1))
        assert caught.value.field == "start_date"
        assert "1900" in caught.value.message

    def test_one_day_period_is_fine(self) -> None:
        check_end(TODAY, TODAY, today=TODAY, born=BORN)

    def test_end_before_start_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_end(TODAY, TODAY - timedelta(days=1), today=TODAY, born=BORN)
        assert caught.value.field == "end_date"

    def test_end_in_the_future_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_end(TODAY - timedelta(days=5), TODAY + timedelta(days=1), today=TODAY, born=BORN)
        assert caught.value.field == "end_date"

    def test_a_period_that_started_oddly_can_still_be_ended(self) -> None:
        check_end(date(1, 1, 1), TODAY, today=TODAY, born=BORN)

    def test_an_end_before_birth_is_refused_even_after_an_odd_start(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_end(date(1, 1, 1), BORN - timedelta(days=1), today=TODAY, born=BORN)
        assert caught.value.field == "end_date"

    @given(
        start=st.dates(min_value=date(1970, 1, 1), max_value=date(2030, 1, 1)),
        end=st.none() | st.dates(min_value=date(1970, 1, 1), max_value=date(2030, 1, 1)),
    )
    def test_a_period_is_valid_exactly_when_ordered_after_birth_and_not_in_the_future(
        self, start: date, end: date | None
    ) -> None:
        valid = BORN <= start <= TODAY and (end is None or start <= end <= TODAY)
        try:
            check_start(start, today=TODAY, born=BORN)
            if end is not None:
                check_end(start, end, today=TODAY, born=BORN)
        except ValidationProblem:
            assert not valid
        else:
            assert valid


class TestPhaseDates:
    def test_discharge_needs_an_end_date(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_phase_dates(Phase.discharged, None)
        assert caught.value.field == "end_date"

    def test_discharge_with_an_end_date_is_fine(self) -> None:
        check_phase_dates(Phase.discharged, TODAY)

    @pytest.mark.parametrize("phase", [Phase.active, Phase.relapse_prevention])
    def test_open_phases_have_no_end_date(self, phase: str) -> None:
        check_phase_dates(phase, None)
        with pytest.raises(ValidationProblem) as caught:
            check_phase_dates(phase, TODAY)
        assert caught.value.field == "phase"

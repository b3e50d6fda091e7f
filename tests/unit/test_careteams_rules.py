"""careteams.rules: who may hold which team role, membership periods, enrolment phases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.careteams.rules import (
    care_team_role_for,
    check_member_kind,
    check_period,
    check_phase_dates,
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


class TestPeriod:
    def test_open_period_starting_today_is_fine(self) -> None:
        check_period(TODAY, None, today=TODAY)

    def test_start_tomorrow_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_period(TODAY + timedelta(days=1), None, today=TODAY)
        assert caught.value.field == "start_date"

    def test_one_day_period_is_fine(self) -> None:
        check_period(TODAY, TODAY, today=TODAY)

    def test_end_before_start_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_period(TODAY, TODAY - timedelta(days=1), today=TODAY)
        assert caught.value.field == "end_date"

    def test_end_in_the_future_is_refused(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_period(TODAY - timedelta(days=5), TODAY + timedelta(days=1), today=TODAY)
        assert caught.value.field == "end_date"

    @given(
        start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
        end=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
    )
    def test_a_period_is_valid_exactly_when_ordered_and_not_in_the_future(
        self, start: date, end: date | None
    ) -> None:
        valid = start <= TODAY and (end is None or start <= end <= TODAY)
        if valid:
            check_period(start, end, today=TODAY)
        else:
            with pytest.raises(ValidationProblem):
                check_period(start, end, today=TODAY)


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

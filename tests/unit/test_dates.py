"""tandem.dates: the bounds on clinical dates, at every boundary, and overflow-free arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from tandem.dates import EARLIEST, check_clinical_date, shifted
from tandem.errors import ValidationProblem
from tandem.schemas import ClinicalDate

TODAY = date(2026, 3, 10)
BORN = date(1980, 5, 17)
DAY = timedelta(days=1)


def check(value: date, *, today: date | None = TODAY, born: date | None = BORN) -> date:
    return check_clinical_date(value, field="start_date", what="Start date", today=today, born=born)


def refusal(value: date, *, today: date | None = TODAY, born: date | None = BORN) -> str:
    with pytest.raises(ValidationProblem) as caught:
        check(value, today=today, born=born)
    assert caught.value.field == "start_date"
    assert caught.value.status == 422
    return caught.value.message


class TestEarliest:
    def test_the_first_of_january_1900_is_accepted(self) -> None:
        assert check(EARLIEST, born=None) == date(1900, 1, 1)

    def test_the_day_before_1900_is_refused_naming_the_year(self) -> None:
        assert (
            refusal(EARLIEST - DAY, born=None)
            == "Start date cannot be before 1900; check the year."
        )

    def test_year_1_is_refused(self) -> None:
        assert "1900" in refusal(date(1, 1, 1), born=None)

    def test_1900_holds_even_for_a_patient_recorded_as_born_earlier(self) -> None:
        assert "1900" in refusal(date(1899, 6, 1), born=date(1899, 1, 1))


class TestBirth:
    def test_the_day_of_birth_is_accepted(self) -> None:
        assert check(BORN) == BORN

    def test_the_day_before_birth_is_refused(self) -> None:
        assert refusal(BORN - DAY) == "Start date is before the patient's date of birth."

    def test_without_a_known_patient_only_1900_holds(self) -> None:
        assert check(BORN - DAY, born=None) == BORN - DAY


class TestToday:
    def test_today_is_accepted(self) -> None:
        assert check(TODAY) == TODAY

    def test_tomorrow_is_refused(self) -> None:
        assert refusal(TODAY + DAY) == "Start date cannot be in the future."

    def test_a_field_that_may_lie_in_the_future_takes_no_today(self) -> None:
        assert check(date(2099, 1, 1), today=None) == date(2099, 1, 1)

    def test_the_furthest_date_is_refused_where_the_future_is(self) -> None:
        assert refusal(date.max) == "Start date cannot be in the future."


@given(value=st.dates(), born=st.none() | st.dates(min_value=EARLIEST, max_value=TODAY))
def test_a_date_is_accepted_exactly_between_its_bounds(value: date, born: date | None) -> None:
    valid = max(EARLIEST, born or EARLIEST) <= value <= TODAY
    try:
        check(value, born=born)
    except ValidationProblem:
        assert not valid
    else:
        assert valid


class Enrolment(BaseModel):
    start_date: ClinicalDate
    end_date: ClinicalDate | None = None


class TestSchemaType:
    def test_1900_is_accepted_by_the_schema(self) -> None:
        assert Enrolment(start_date=EARLIEST).start_date == EARLIEST

    @pytest.mark.parametrize("field", ["start_date", "end_date"])
    def test_the_schema_refuses_a_date_before_1900_naming_the_field(self, field: str) -> None:
        values = {"start_date": "2020-01-01", field: "1899-12-31"}
        with pytest.raises(ValidationError) as caught:
            Enrolment.model_validate(values)
        (error,) = caught.value.errors()
        assert error["loc"] == (field,)
        assert "cannot be before 1900" in error["msg"]

    def test_the_schema_leaves_birth_and_today_to_the_service(self) -> None:
        assert Enrolment(start_date=date(2099, 1, 1)).start_date == date(2099, 1, 1)


class TestShifted:
    def test_within_the_calendar_it_is_plain_arithmetic(self) -> None:
        assert shifted(TODAY, -14) == TODAY - timedelta(days=14)
        assert shifted(TODAY, 30) == TODAY + timedelta(days=30)

    def test_before_year_1_it_stops_at_the_first_day(self) -> None:
        assert shifted(date(1, 1, 3), -14) == date.min

    def test_after_year_9999_it_stops_at_the_last_day(self) -> None:
        assert shifted(date(9999, 12, 30), 14) == date.max

    @given(day=st.dates(), days=st.integers(min_value=-(10**7), max_value=10**7))
    def test_it_never_overflows(self, day: date, days: int) -> None:
        assert date.min <= shifted(day, days) <= date.max

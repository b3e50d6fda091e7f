"""people.rules: age, display names, search folding and what a search box meant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.people.rules import (
    PatientQuery,
    age_on,
    display_name,
    fold,
    parse_patient_query,
    search_name,
)


class TestAge:
    def test_age_is_completed_years_on_the_birthday(self) -> None:
        assert age_on(date(1990, 6, 15), date(2026, 6, 15)) == 36

    def test_age_is_one_less_the_day_before_the_birthday(self) -> None:
        assert age_on(date(1990, 6, 15), date(2026, 6, 14)) == 35

    def test_born_on_29_february_is_not_older_on_28_february_of_a_common_year(self) -> None:
        assert age_on(date(2000, 2, 29), date(2001, 2, 28)) == 0

    def test_born_on_29_february_turns_a_year_older_on_1_march_of_a_common_year(self) -> None:
        assert age_on(date(2000, 2, 29), date(2001, 3, 1)) == 1

    def test_born_on_29_february_has_a_birthday_on_29_february_of_a_leap_year(self) -> None:
        assert age_on(date(2000, 2, 29), date(2004, 2, 29)) == 4
        assert age_on(date(2000, 2, 29), date(2004, 2, 28)) == 3

    def test_a_newborn_is_zero(self) -> None:
        assert age_on(date(2026, 3, 10), date(2026, 3, 10)) == 0

    @given(
        birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
        days=st.integers(min_value=0, max_value=40_000),
    )
    def test_age_never_decreases_and_grows_by_at_most_one_a_day(
        self, birth: date, days: int
    ) -> None:
        today = birth + timedelta(days=days)
        age = age_on(birth, today)
        assert 0 <= age <= days // 365 + 1
        assert age_on(birth, today + timedelta(days=1)) - age in (0, 1)


class TestDisplayName:
    def test_family_name_comes_first(self) -> None:
        assert display_name("Maria", "Garcia") == "Garcia, Maria"

    def test_preferred_name_is_shown_in_brackets(self) -> None:
        assert display_name("Margaret", "Smith", "Peggy") == "Smith, Margaret (Peggy)"

    def test_preferred_name_equal_to_given_name_is_not_repeated(self) -> None:
        assert display_name("Maria", "Garcia", "Maria") == "Garcia, Maria"

    def test_empty_preferred_name_is_ignored(self) -> None:
        assert display_name("Maria", "Garcia", "") == "Garcia, Maria"


class TestFold:
    def test_fold_removes_accents_and_case(self) -> None:
        assert fold("José NÚÑEZ") == "jose nunez"

    def test_fold_uses_casefold_for_sharp_s(self) -> None:
        assert fold("Strauß") == "strauss"

    def test_fold_strips_surrounding_space(self) -> None:
        assert fold("  Zoë ") == "zoe"

    @given(st.text())
    def test_fold_is_idempotent(self, text: str) -> None:
        assert fold(fold(text)) == fold(text)

    def test_search_name_is_family_given_preferred_folded(self) -> None:
        assert search_name("José", "Núñez", "Pepe") == "nunez jose pepe"

    def test_search_name_without_preferred_name_has_no_trailing_space(self) -> None:
        assert search_name("José", "Núñez", None) == "nunez jose"


class TestParsePatientQuery:
    @pytest.mark.parametrize("text", [None, "", "   "])
    def test_blank_query_means_everyone(self, text: str | None) -> None:
        assert parse_patient_query(text) == PatientQuery()

    def test_iso_date_is_a_birth_date(self) -> None:
        assert parse_patient_query("1980-05-17") == PatientQuery(birth_date=date(1980, 5, 17))

    def test_us_date_is_month_first(self) -> None:
        assert parse_patient_query("5/7/1980") == PatientQuery(birth_date=date(1980, 5, 7))

    def test_us_date_with_leading_zeros(self) -> None:
        assert parse_patient_query("05/17/1980") == PatientQuery(birth_date=date(1980, 5, 17))

    def test_impossible_iso_date_is_searched_as_text_not_an_error(self) -> None:
        assert parse_patient_query("2023-02-30") == PatientQuery(name="2023-02-30")

    def test_impossible_us_date_is_searched_as_text_not_an_error(self) -> None:
        assert parse_patient_query("17/05/1980") == PatientQuery(name="17/05/1980")

    def test_mrn_is_recognised_in_any_case(self) -> None:
        assert parse_patient_query("t0001234567") == PatientQuery(mrn="T0001234567")

    @pytest.mark.parametrize("text", ["T123456", "T123456789012"])
    def test_mrn_length_boundaries_accepted(self, text: str) -> None:
        assert parse_patient_query(text) == PatientQuery(mrn=text)

    @pytest.mark.parametrize("text", ["T12345", "T1234567890123"])
    def test_mrn_outside_length_boundaries_is_an_identifier(self, text: str) -> None:
        assert parse_patient_query(text) == PatientQuery(identifier=text)

    def test_text_with_digits_is_an_identifier(self) -> None:
        assert parse_patient_query(" MCD-4410-77 ") == PatientQuery(identifier="MCD-4410-77")

    def test_plain_text_is_a_folded_name(self) -> None:
        assert parse_patient_query("  Núñez ") == PatientQuery(name="nunez")

    @given(st.text(max_size=40))
    def test_any_text_parses_to_at_most_one_kind_of_search(self, text: str) -> None:
        query = parse_patient_query(text)
        kinds = [query.birth_date, query.mrn, query.name, query.identifier]
        assert sum(kind is not None for kind in kinds) <= 1

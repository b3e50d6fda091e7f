"""Pages show times on the clinic's clock with its zone's abbreviation, which follows daylight
saving, and date fields say their date in the words every page uses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tandem.web.pages import audit_detail, day, typed_day, when
from tandem.web.templating import templates

LA = ZoneInfo("America/Los_Angeles")


def test_a_time_is_shown_on_the_clinics_clock_with_its_abbreviation() -> None:
    assert when(datetime(2026, 12, 2, 21, 47, tzinfo=UTC), LA) == "2 Dec 2026, 13:47 PST"


def test_a_time_after_utcs_midnight_is_still_the_clinics_evening() -> None:
    assert when(datetime(2026, 12, 2, 7, 30, tzinfo=UTC), LA) == "1 Dec 2026, 23:30 PST"
    assert day(datetime(2026, 12, 2, 7, 30, tzinfo=UTC), LA) == "1 Dec 2026"


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        # Clocks in Seattle go from 01:59:59 PST to 03:00 PDT on 14 Mar 2027 (10:00 UTC).
        (datetime(2027, 3, 14, 9, 59, tzinfo=UTC), "14 Mar 2027, 01:59 PST"),
        (datetime(2027, 3, 14, 10, 0, tzinfo=UTC), "14 Mar 2027, 03:00 PDT"),
        # ... and back from 01:59 PDT to 01:00 PST on 7 Nov 2027 (09:00 UTC): 01:30 twice.
        (datetime(2027, 11, 7, 8, 30, tzinfo=UTC), "7 Nov 2027, 01:30 PDT"),
        (datetime(2027, 11, 7, 9, 30, tzinfo=UTC), "7 Nov 2027, 01:30 PST"),
    ],
)
def test_the_abbreviation_follows_daylight_saving(instant: datetime, shown: str) -> None:
    assert when(instant, LA) == shown


def test_without_a_zone_times_say_utc() -> None:
    assert when(datetime(2026, 3, 4, 14, 5, tzinfo=UTC)) == "4 Mar 2026, 14:05 UTC"
    assert when(None, LA) == "—"


def test_a_stored_date_is_not_moved_by_the_zone() -> None:
    assert day(date(2026, 12, 2), LA) == "2 Dec 2026"


def test_a_naive_instant_is_read_as_utc() -> None:
    assert when(datetime(2026, 12, 2, 21, 47), LA) == "2 Dec 2026, 13:47 PST"


def test_instants_in_an_audit_detail_are_shown_on_the_clinics_clock() -> None:
    detail = '{"reason": "ED", "expires_at": "2026-12-02T07:30:00+00:00"}'
    assert audit_detail(detail, LA) == "reason: ED; expires at: 1 Dec 2026, 23:30 PST"


def test_a_date_field_says_its_date_in_the_pages_words() -> None:
    assert typed_day("2026-12-01") == "1 Dec 2026"
    assert typed_day("") == typed_day("12/01/2026") == typed_day("2026-02-30") == ""


def test_a_page_shows_times_in_the_zone_it_is_given() -> None:
    from tandem.web.pages import FILTERS
    from tandem.web.templating import register_filters

    register_filters(FILTERS)
    page = templates.env.from_string("{{ at|when }} / {{ at|day }}")
    at = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    assert page.render(at=at, zone=LA) == "1 Dec 2026, 23:30 PST / 1 Dec 2026"
    assert page.render(at=at) == "2 Dec 2026, 07:30 UTC / 2 Dec 2026"


def test_an_instant_at_the_calendars_edge_is_shown_rather_than_overflowing() -> None:
    assert when(datetime.min.replace(tzinfo=UTC), LA) == "1 Jan 1, 00:00 UTC"
    assert day(datetime.max.replace(tzinfo=UTC), ZoneInfo("Asia/Tokyo")) == "31 Dec 9999"

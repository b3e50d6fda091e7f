"""The clock keeps instants in UTC and dates on the clinic's calendar: Washington state's
"today" at 07:30 UTC is still yesterday, and its midnight moves with daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tandem.clock import Clock, FrozenClock
from tandem.command_line import Refusal, load_settings
from tandem.config import Settings, zone_named
from tandem.demo import use_demo_timezone

LA = ZoneInfo("America/Los_Angeles")
# 07:30 on 2 Dec in UTC is 23:30 on 1 Dec in Seattle (PST, UTC-8).
LATE_EVENING_IN_SEATTLE = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)


def test_today_is_the_clinics_date_not_utcs() -> None:
    assert FrozenClock(LATE_EVENING_IN_SEATTLE, zone=LA).today() == date(2026, 12, 1)
    assert FrozenClock(LATE_EVENING_IN_SEATTLE).today() == date(2026, 12, 2)


def test_the_clinics_day_turns_at_its_own_midnight() -> None:
    clock = FrozenClock(datetime(2026, 12, 2, 7, 59, 59, tzinfo=UTC), zone=LA)
    assert clock.today() == date(2026, 12, 1)
    clock.advance(seconds=1)
    assert clock.today() == date(2026, 12, 2)


def test_now_stays_utc_whatever_the_zone() -> None:
    now = FrozenClock(LATE_EVENING_IN_SEATTLE, zone=LA).now()
    assert now == LATE_EVENING_IN_SEATTLE and now.utcoffset() == UTC.utcoffset(None)


def test_an_instant_is_dated_and_shown_on_the_clinics_clock() -> None:
    clock = Clock(zone=LA)
    assert clock.day_of(LATE_EVENING_IN_SEATTLE) == date(2026, 12, 1)
    local = clock.local(LATE_EVENING_IN_SEATTLE)
    assert (local.hour, local.minute, local.tzname()) == (23, 30, "PST")


def test_a_day_starts_at_the_clinics_midnight_in_utc() -> None:
    clock = Clock(zone=LA)
    assert clock.start_of(date(2026, 12, 1)) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert Clock().start_of(date(2026, 12, 1)) == datetime(2026, 12, 1, tzinfo=UTC)


def test_midnight_moves_an_hour_with_daylight_saving() -> None:
    # Clocks in Seattle go forward at 02:00 on 14 Mar 2027: that day has 23 hours.
    clock = Clock(zone=LA)
    assert clock.start_of(date(2027, 3, 14)) == datetime(2027, 3, 14, 8, tzinfo=UTC)
    assert clock.start_of(date(2027, 3, 15)) == datetime(2027, 3, 15, 7, tzinfo=UTC)


def test_the_day_after_the_change_turns_at_seven_utc_not_eight() -> None:
    clock = FrozenClock(datetime(2027, 3, 15, 6, 59, tzinfo=UTC), zone=LA)
    assert clock.today() == date(2027, 3, 14)
    clock.advance(minutes=1)
    assert clock.today() == date(2027, 3, 15)


def test_the_calendars_first_day_east_of_utc_starts_at_the_earliest_instant() -> None:
    clock = Clock(zone=ZoneInfo("Australia/Sydney"))
    assert clock.start_of(date.min) == datetime.min.replace(tzinfo=UTC)


def test_a_clock_in_another_zone_moves_with_the_frozen_one() -> None:
    clock = FrozenClock(LATE_EVENING_IN_SEATTLE, zone=LA)
    new_york = clock.in_zone(ZoneInfo("America/New_York"))
    assert new_york.today() == date(2026, 12, 2)  # 02:30 EST
    clock.set(datetime(2026, 12, 3, 4, 59, tzinfo=UTC))
    assert (new_york.today(), clock.today()) == (date(2026, 12, 2), date(2026, 12, 2))
    assert clock.in_zone(LA) is clock


def test_the_deployment_zone_is_an_iana_name() -> None:
    assert Settings(timezone="America/Los_Angeles").zone == LA
    assert Settings().zone is UTC


@pytest.mark.parametrize(
    "name", ["", "PDT", "Mars/Olympus_Mons", "../../etc/passwd", "America", "x" * 5000]
)
def test_a_zone_the_system_does_not_know_is_refused_naming_the_setting(name: str) -> None:
    with pytest.raises(ValueError, match="timezone") as refused:
        Settings(timezone=name)
    assert "is not a time zone" in str(refused.value)


def test_an_unknown_zone_says_what_to_write_instead() -> None:
    with pytest.raises(ValueError, match="America/Los_Angeles or UTC"):
        zone_named("Pacific Time")


def test_the_command_line_names_tandem_timezone_when_it_is_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANDEM_TIMEZONE", "Pacific/Atlantis")
    with pytest.raises(Refusal) as refused:
        load_settings()
    assert refused.value.lines[0] == (
        "Configuration: TANDEM_TIMEZONE: 'Pacific/Atlantis' is not a time zone; use an IANA "
        "name such as America/Los_Angeles or UTC."
    )


def test_the_demo_keeps_pacific_time_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Set (to nothing) through monkeypatch, so that what the demo writes is undone afterwards.
    monkeypatch.setenv("TANDEM_TIMEZONE", "")
    use_demo_timezone()
    assert load_settings().zone == LA
    monkeypatch.setenv("TANDEM_TIMEZONE", "America/Anchorage")
    use_demo_timezone()
    assert load_settings().timezone == "America/Anchorage"

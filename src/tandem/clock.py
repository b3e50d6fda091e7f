"""The one source of "now", so that rules about weeks and overdue items are testable.

Time is the clinic's: instants are kept in UTC (what the database stores), while "today" and
every date and time shown are the clinic's local ones, in the clock's ``zone``
(``TANDEM_TIMEZONE``, or the organisation's own).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo


class Clock:
    """Timezone-aware UTC instants and the clinic's local dates; tests replace ``now_fn`` to
    freeze or move time."""

    def __init__(self, now_fn: Callable[[], datetime] | None = None, *, zone: tzinfo = UTC) -> None:
        self._now_fn = now_fn or (lambda: datetime.now(UTC))
        self.zone = zone

    def now(self) -> datetime:
        """The instant, in UTC: what is stored and compared."""
        value = self._now_fn()
        if value.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return value.astimezone(UTC)

    def local(self, instant: datetime) -> datetime:
        """``instant`` on the clinic's wall clock."""
        return instant.astimezone(self.zone)

    def day_of(self, instant: datetime) -> date:
        """The clinic's date at ``instant`` (not UTC's: 07:30Z is still yesterday in Seattle)."""
        return instant.astimezone(self.zone).date()

    def today(self) -> date:
        """The clinic's date now."""
        return self.day_of(self.now())

    def start_of(self, day: date) -> datetime:
        """The instant (UTC) the clinic's ``day`` begins. Its days are the clock's (``today``),
        so a period of dates and the instants stored in UTC are cut at the same midnight."""
        try:
            return datetime.combine(day, time(), tzinfo=self.zone).astimezone(UTC)
        except OverflowError:  # 1 Jan 1 east of UTC begins before the calendar does
            return datetime.min.replace(tzinfo=UTC)

    def in_zone(self, zone: tzinfo) -> Clock:
        """The same time seen from another zone (an organisation's own): moving a frozen clock
        moves this one too."""
        return self if zone == self.zone else Clock(self._now_fn, zone=zone)


class FrozenClock(Clock):
    """A clock that stays where it is put; ``advance`` moves it."""

    def __init__(self, at: datetime, *, zone: tzinfo = UTC) -> None:
        self._at = at
        super().__init__(lambda: self._at, zone=zone)

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **kwargs: float) -> None:
        self._at = self._at + timedelta(**kwargs)

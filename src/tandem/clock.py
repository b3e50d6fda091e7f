"""The one source of "now", so that rules about weeks and overdue items are testable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time


class Clock:
    """Timezone-aware UTC time; tests replace ``now_fn`` to freeze or move time."""

    def __init__(self, now_fn: Callable[[], datetime] | None = None) -> None:
        self._now_fn = now_fn or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        value = self._now_fn()
        if value.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return value.astimezone(UTC)

    def today(self) -> date:
        return self.now().date()

    def start_of(self, day: date) -> datetime:
        """The instant the clinic's ``day`` begins. Its days are the clock's (``today``), so a
        period of dates and the instants stored in UTC are cut at the same midnight."""
        return datetime.combine(day, time(), tzinfo=UTC)


class FrozenClock(Clock):
    """A clock that stays where it is put; ``advance`` moves it."""

    def __init__(self, at: datetime) -> None:
        self._at = at
        super().__init__(lambda: self._at)

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **kwargs: float) -> None:
        from datetime import timedelta

        self._at = self._at + timedelta(**kwargs)

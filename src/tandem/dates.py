"""Bounds on the clinical dates people enter, and date arithmetic that cannot overflow."""

from __future__ import annotations

from datetime import date


def shifted(day: date, days: int) -> date:
    """``day`` moved by ``days``, held at the ends of the calendar (1 Jan 1 to 31 Dec 9999).

    Stored dates are not all checked ones (an import or an older version may have left a year 1),
    and ``day ± timedelta`` past either end raises OverflowError: reading such a record must
    still work.
    """
    ordinal = day.toordinal() + days
    return date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))

"""Bounds on the clinical dates people enter, and date arithmetic that cannot overflow."""

from __future__ import annotations

from datetime import date

from tandem.errors import ValidationProblem

# No one alive today was born before 1900, and Tandem holds no older records: an earlier year is
# a slip of the keyboard (0001 for 2001, 1098 for 1998), not history.
EARLIEST = date(1900, 1, 1)
BEFORE_EARLIEST = "cannot be before 1900; check the year."


def check_clinical_date(
    value: date,
    *,
    field: str,
    what: str,
    today: date | None,
    born: date | None = None,
) -> date:
    """``value`` if it lies where the thing it dates can: refused naming ``field`` otherwise.

    ``what`` starts the message ("Start date", "The date answered"); ``today`` is the clinic's
    today, or None for a field that may lie in the future; ``born`` is the patient's date of
    birth when the patient is known.
    """
    # The static bound: nothing in a living patient's care predates 1900 (see EARLIEST).
    if value < EARLIEST:
        raise ValidationProblem(f"{what} {BEFORE_EARLIEST}", field=field)
    # Nothing in a patient's care happens before they are born (antenatal care is the mother's).
    if born is not None and value < born:
        raise ValidationProblem(f"{what} is before the patient's date of birth.", field=field)
    # What has happened (a birth, an answer, a discharge) cannot have happened tomorrow.
    if today is not None and value > today:
        raise ValidationProblem(f"{what} cannot be in the future.", field=field)
    return value


def shifted(day: date, days: int) -> date:
    """``day`` moved by ``days``, held at the ends of the calendar (1 Jan 1 to 31 Dec 9999).

    Stored dates are not all checked ones (an import or an older version may have left a year 1),
    and ``day ± timedelta`` past either end raises OverflowError: reading such a record must
    still work.
    """
    ordinal = day.toordinal() + days
    return date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))

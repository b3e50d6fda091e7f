"""Needs, revisions and what was done about safety alerts in the care team's words, as
template filters for their pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from tandem.assessments.service.needs import domain_label
from tandem.assessments.vocab import ALERT_ACTION_LABELS, need_status_label
from tandem.web.pages import day, record_status

# What a revision records: the change that replaced the version it keeps.
REVISION_CHANGES: dict[str, str] = {
    "amended": "Amended",
    "entered-in-error": "Marked entered in error",
}


def revision_change_label(change: str | None) -> str:
    return REVISION_CHANGES.get(change or "", record_status(change))


def alert_action_label(code: str) -> str:
    return ALERT_ACTION_LABELS.get(code, code)


def iso_day(value: object) -> str:
    """A date kept as ISO text (in a revision's snapshot) written as people write it."""
    try:
        return day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "—")


# Named for their records, so they cannot clash with other pages' status filters; registered
# at start-up by tandem.app (templating.register_filters).
FILTERS: dict[str, Callable[..., str]] = {
    "need_status": need_status_label,
    "need_domain": domain_label,
    "revision_change": revision_change_label,
    "iso_day": iso_day,
    "alert_action": alert_action_label,
}

"""The small shared rules the services and pages lean on, at their edges: a record a change is
based on (missing, stale, current), the form a page sent back, who may sit on a care team or
lead it, and whose caseload rows show the chart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tandem.access.context import AccessContext
from tandem.careteams.service import may_join_a_team, may_take_the_lead
from tandem.caseload.service import rows_show_the_chart
from tandem.clock import FrozenClock
from tandem.errors import Conflict, NotFound, found
from tandem.records import current
from tandem.web.pages import FormState, SentBack


@dataclass
class Versioned:
    version: int


def test_found_returns_the_record_and_answers_404_naming_what_is_missing() -> None:
    row = Versioned(3)
    assert found(row, "enrolment") is row
    with pytest.raises(NotFound, match=r"No such enrolment\."):
        found(None, "enrolment")


def test_current_is_404_when_missing_409_when_stale_and_the_record_when_current() -> None:
    row = Versioned(3)
    assert current(row, 3, "need") is row
    with pytest.raises(NotFound, match=r"No such need\."):
        current(None, 3, "need")
    for stale in (2, 4):
        with pytest.raises(Conflict) as refused:
            current(row, stale, "need")
        assert refused.value.field == "version"


def test_a_page_with_no_form_sent_back_shows_each_afresh_with_200() -> None:
    sent = SentBack(change=None, end=None)
    fresh = FormState(values={"phase": "active"})
    assert sent.form("change", lambda: fresh) is fresh
    assert (sent.conflict, sent.status) == (False, 200)


def test_a_refused_form_keeps_what_was_typed_and_the_others_are_fresh_with_422() -> None:
    refused = FormState(values={"reason": "x"}, errors={"reason": "Give a reason."})
    sent = SentBack(change=None, end=refused)
    assert sent.form("end", FormState) is refused
    assert sent.form("change", FormState) is not refused
    assert (sent.conflict, sent.status) == (False, 422)


def test_a_stale_form_shows_every_form_afresh_with_the_conflict_notice_and_409() -> None:
    stale = FormState(values={"phase": "maintenance"}, conflict=True)
    sent = SentBack(change=stale, end=None)
    fresh = FormState()
    assert sent.form("change", lambda: fresh) is fresh
    assert (sent.conflict, sent.status) == (True, 409)


# Who sits on a care team and who leads it, role by role (the permission table grants the
# clinical and community roles something on a patient; administration grants nothing).
TEAM = {
    "care_manager": (True, True, True),
    "primary_care_provider": (True, False, True),
    "psychiatric_consultant": (True, False, True),
    "therapist": (True, False, True),
    "social_worker": (True, False, True),
    "peer_specialist": (True, False, True),
    "community_partner": (True, False, False),
    "administrator": (False, False, False),
    "privacy_officer": (False, False, False),
}


@pytest.mark.parametrize(("role", "expected"), sorted(TEAM.items()))
def test_who_may_join_lead_and_see_the_chart_on_a_caseload(
    role: str, expected: tuple[bool, bool, bool]
) -> None:
    ctx = AccessContext(
        user_id=uuid.uuid4(),
        username="someone",
        role=role,
        organization_id=None,
        clock=FrozenClock(datetime(2026, 3, 10, tzinfo=UTC)),
    )
    assert (may_join_a_team(role), may_take_the_lead(role), rows_show_the_chart(ctx)) == expected

"""When a care plan is due for review (careplans.rules.review): its review date passed, the
patient not improving on a score taken since the last review, a safety alert raised or a need
confirmed since the last review (or since the plan was made, if it was never reviewed)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

from tandem.assessments.rules import Measurement
from tandem.careplans.rules.review import (
    ConfirmedNeed,
    NotImproving,
    ReviewFacts,
    review_reasons,
)

TODAY = date(2026, 12, 2)
REVIEWED_AT = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
QUIET = ReviewFacts(
    today=TODAY,
    next_review_on=date(2026, 12, 15),
    reviewed=True,
    since=REVIEWED_AT,
    since_on=date(2026, 11, 20),
)
STUCK = NotImproving(
    measure="phq-9",
    latest=Measurement(date(2026, 11, 21), 16),
    baseline=Measurement(date(2026, 8, 20), 18),
    weeks_since_baseline=14,
)


def codes(facts: ReviewFacts) -> list[str]:
    return [reason.code for reason in review_reasons(facts)]


def need(at: datetime, n: int = 1) -> ConfirmedNeed:
    return ConfirmedNeed(uuid.UUID(int=n), f"Need {n}", at, at.date())


def test_a_plan_with_nothing_new_is_not_due() -> None:
    assert review_reasons(QUIET) == []


class TestReviewDate:
    def test_a_review_date_of_yesterday_has_passed(self) -> None:
        [reason] = review_reasons(replace(QUIET, next_review_on=date(2026, 12, 1)))
        assert reason.code == "review-date-passed"
        assert reason.message == "The review date, 1 Dec 2026, has passed."

    def test_a_review_date_of_today_has_not(self) -> None:
        assert codes(replace(QUIET, next_review_on=TODAY)) == []

    def test_no_review_date_never_passes(self) -> None:
        assert codes(replace(QUIET, next_review_on=None)) == []


class TestNotImproving:
    def test_not_improving_on_a_score_after_the_last_review(self) -> None:
        [reason] = review_reasons(replace(QUIET, not_improving=[STUCK]))
        assert (reason.code, reason.measure) == ("not-improving", "phq-9")
        assert reason.message == (
            "PHQ-9 is not improving: 16 on 21 Nov 2026, against 18 at the baseline 14 weeks ago."
        )

    def test_a_score_on_the_day_of_the_review_was_seen_by_it(self) -> None:
        seen = replace(STUCK, latest=Measurement(date(2026, 11, 20), 16))
        assert codes(replace(QUIET, not_improving=[seen])) == []


class TestSafetyAlert:
    def test_an_alert_raised_after_the_last_review(self) -> None:
        later = datetime(2026, 11, 20, 18, 31, tzinfo=UTC)
        facts = replace(QUIET, last_alert_at=later, last_alert_on=date(2026, 11, 20))
        [reason] = review_reasons(facts)
        assert reason.code == "safety-alert"
        assert reason.message == (
            "A safety alert was raised on 20 Nov 2026, since the plan was last reviewed."
        )

    def test_an_alert_the_review_already_saw_is_no_reason(self) -> None:
        facts = replace(QUIET, last_alert_at=REVIEWED_AT, last_alert_on=date(2026, 11, 20))
        assert codes(facts) == []

    def test_a_plan_never_reviewed_counts_from_when_it_was_made(self) -> None:
        later = datetime(2026, 11, 25, tzinfo=UTC)
        facts = replace(QUIET, reviewed=False, last_alert_at=later, last_alert_on=later.date())
        assert review_reasons(facts)[0].message.endswith("since the plan was made.")


class TestNewNeeds:
    def test_needs_confirmed_since_the_last_review_are_named(self) -> None:
        older = need(datetime(2026, 11, 1, tzinfo=UTC), 1)
        newer = [need(datetime(2026, 11, 21, tzinfo=UTC), n) for n in (2, 3)]
        [reason] = review_reasons(replace(QUIET, needs=[older, *newer]))
        assert reason.code == "new-need"
        assert reason.need_ids == [uuid.UUID(int=2), uuid.UUID(int=3)]
        assert (
            reason.message
            == "2 needs were confirmed since the plan was last reviewed: Need 2; Need 3."
        )

    def test_one_need_is_said_as_one(self) -> None:
        [reason] = review_reasons(replace(QUIET, needs=[need(datetime(2026, 11, 21, tzinfo=UTC))]))
        assert reason.message.startswith("A need was confirmed")

    def test_a_need_confirmed_before_the_review_is_no_reason(self) -> None:
        assert codes(replace(QUIET, needs=[need(REVIEWED_AT)])) == []


def test_every_reason_at_once_in_order() -> None:
    later = datetime(2026, 11, 22, tzinfo=UTC)
    facts = replace(
        QUIET,
        next_review_on=date(2026, 11, 30),
        not_improving=[STUCK],
        last_alert_at=later,
        last_alert_on=later.date(),
        needs=[need(later)],
    )
    assert codes(facts) == ["review-date-passed", "not-improving", "safety-alert", "new-need"]

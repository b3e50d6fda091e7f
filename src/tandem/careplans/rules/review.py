"""When a care plan is due for review, and why."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tandem.assessments.rules import Measurement
from tandem.careplans.rules.targets import measure_title, on_day
from tandem.careplans.schemas import ReviewReasonRead
from tandem.careplans.vocab import ReviewReason


@dataclass(frozen=True)
class NotImproving:
    """A followed instrument whose trajectory is not improving (assessments.rules.summarise)."""

    measure: str
    latest: Measurement
    baseline: Measurement | None
    weeks_since_baseline: int | None


@dataclass(frozen=True)
class ConfirmedNeed:
    """A need confirmed with the patient and still open, with when it was confirmed."""

    id: uuid.UUID
    label: str
    confirmed_at: datetime | None
    confirmed_on: date | None


@dataclass(frozen=True)
class ReviewFacts:
    """What decides whether a plan is due for review. ``since`` is the last review, or the
    plan's making when it was never reviewed; ``since_on`` its date at the clinic."""

    today: date
    next_review_on: date | None
    reviewed: bool
    since: datetime
    since_on: date
    not_improving: Sequence[NotImproving] = ()
    last_alert_at: datetime | None = None
    last_alert_on: date | None = None
    needs: Sequence[ConfirmedNeed] = ()


def review_reasons(facts: ReviewFacts) -> list[ReviewReasonRead]:
    """Why the plan is due for review (none: it is not): its review date has passed; a
    followed instrument is not improving on a score taken since the last review (psychiatric
    consultation for a patient not improving, Bao et al., Psychiatr Serv 2016); a safety alert
    was raised, or a need confirmed, since the last review (the plan is adjusted when a new need
    appears, and reviewed after every crisis: Stanley & Brown 2012)."""
    last = "since the plan was last reviewed" if facts.reviewed else "since the plan was made"
    reasons = []
    if facts.next_review_on is not None and facts.next_review_on < facts.today:
        reasons.append(
            ReviewReasonRead(
                code=ReviewReason.review_date_passed,
                message=f"The review date, {on_day(facts.next_review_on)}, has passed.",
            )
        )
    for trend in facts.not_improving:
        if trend.latest.on <= facts.since_on:
            continue  # the review saw this score
        baseline = (
            f", against {trend.baseline.score} at the baseline"
            f"{f' {trend.weeks_since_baseline} weeks ago' if trend.weeks_since_baseline else ''}"
            if trend.baseline is not None
            else ""
        )
        reasons.append(
            ReviewReasonRead(
                code=ReviewReason.not_improving,
                measure=trend.measure,
                message=(
                    f"{measure_title(trend.measure)} is not improving: {trend.latest.score} on "
                    f"{on_day(trend.latest.on)}{baseline}."
                ),
            )
        )
    if facts.last_alert_at is not None and facts.last_alert_at > facts.since:
        when = f" on {on_day(facts.last_alert_on)}" if facts.last_alert_on else ""
        reasons.append(
            ReviewReasonRead(
                code=ReviewReason.safety_alert,
                message=f"A safety alert was raised{when}, {last}.",
            )
        )
    new = [n for n in facts.needs if n.confirmed_at is not None and n.confirmed_at > facts.since]
    if new:
        names = "; ".join(n.label for n in new)
        reasons.append(
            ReviewReasonRead(
                code=ReviewReason.new_need,
                need_ids=[n.id for n in new],
                message=(
                    f"{'A need was' if len(new) == 1 else f'{len(new)} needs were'} confirmed "
                    f"{last}: {names}."
                ),
            )
        )
    return reasons

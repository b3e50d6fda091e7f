"""Measurable targets (PHQ-9 below 5) and the achievement worked out from the scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from tandem.assessments.rules import Measurement
from tandem.careplans.vocab import MEASURE_RANGES, Achievement, Comparator, TargetMeasure
from tandem.dates import shifted
from tandem.errors import ValidationProblem

_WORDS = {
    Comparator.below: "below",
    Comparator.at_most: "at most",
    Comparator.at_least: "at least",
    Comparator.above: "above",
}
TARGET_FIELDS = ("target_measure", "target_comparator", "target_score")


def on_day(day: date) -> str:
    """4 Mar 2026, as the pages show a date."""
    return f"{day.day} {day:%b} {day.year:04d}"


def measure_title(measure: str) -> str:
    """PHQ-9, GAD-7: the followed instruments' titles are their codes in capitals."""
    return measure.upper()


def wanted(comparator: str, score: int) -> str:
    """How the score must compare, in words: below 5."""
    return f"{_WORDS[Comparator(comparator)]} {score}"


def target_words(measure: str, comparator: str, score: int) -> str:
    """The target in words: PHQ-9 below 5."""
    return f"{measure_title(measure)} {wanted(comparator, score)}"


def meets(comparator: str, score: int, target: int) -> bool:
    """Whether ``score`` meets a target of ``comparator`` ``target``."""
    return {
        Comparator.below: score < target,
        Comparator.at_most: score <= target,
        Comparator.at_least: score >= target,
        Comparator.above: score > target,
    }[Comparator(comparator)]


def lower_is_better(comparator: str) -> bool:
    """A target below or at most a score asks the score to fall; at least or above, to rise."""
    return comparator in (Comparator.below, Comparator.at_most)


def allowed_scores(measure: str, comparator: str, score: int) -> range:
    """The scores ``measure`` can take that meet the target (empty when none does)."""
    low, high = MEASURE_RANGES[TargetMeasure(measure)]
    return {
        Comparator.below: range(low, min(score, high + 1)),
        Comparator.at_most: range(low, min(score + 1, high + 1)),
        Comparator.at_least: range(max(score, low), high + 1),
        Comparator.above: range(max(score + 1, low), high + 1),
    }[Comparator(comparator)]


def check_target(
    measure: str | None,
    comparator: str | None,
    score: int | None,
    *,
    achievement_given: bool = False,
) -> None:
    """A measurable target names its measure, comparator and score together, a score the
    measure can take, and asks for what some scores meet and others do not; a goal that has
    one has its achievement worked out, not set by hand (422 naming the field)."""
    given = dict(zip(TARGET_FIELDS, (measure, comparator, score), strict=True))
    if all(value is None for value in given.values()):
        return
    for name, value in given.items():
        if value is None:
            raise ValidationProblem(
                "A measurable target needs its measure, how the score compares and the score.",
                field=name,
            )
    assert measure is not None and comparator is not None and score is not None
    low, high = MEASURE_RANGES[TargetMeasure(measure)]
    title = measure_title(measure)
    if not low <= score <= high:
        raise ValidationProblem(
            f"A {title} score lies between {low} and {high}.", field="target_score"
        )
    met = len(allowed_scores(measure, comparator, score))
    if met == 0:
        raise ValidationProblem(
            f"No {title} score is {wanted(comparator, score)}.", field="target_score"
        )
    if met == high - low + 1:
        raise ValidationProblem(
            f"Every {title} score is {wanted(comparator, score)}: choose a target that asks "
            "for a change.",
            field="target_score",
        )
    if achievement_given:
        raise ValidationProblem(
            f"This goal's achievement is worked out from its {title} scores; it is not set by "
            "hand.",
            field="achievement",
        )


def retarget(current: dict[str, Any], changes: dict[str, Any], *, today: date) -> dict[str, Any]:
    """What a change of a goal does to its measurable target (``current``, by the names of
    TARGET_FIELDS), checked whole: the parts the change gives over the goal's own, and
    ``target_measure: None`` removes the target. A new or changed target is set ``today`` (its
    baseline is judged from that day); a removed one leaves the achievement to be set by hand
    again, from in progress. No change: nothing."""
    given = {name: changes[name] for name in TARGET_FIELDS if name in changes}
    base = dict.fromkeys(TARGET_FIELDS) if given.get("target_measure", "") is None else current
    target = {**base, **given}
    check_target(
        target["target_measure"],
        target["target_comparator"],
        target["target_score"],
        achievement_given="achievement" in changes,
    )
    if target == current:
        return {}
    if target["target_measure"] is None:
        hand_set = changes.get("achievement", Achievement.in_progress)
        return {**target, "target_set_on": None, "achievement": hand_set}
    return {**target, "target_set_on": today}


# --- Achievement worked out from the scores ------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A goal's measurable target: ``measure`` ``comparator`` ``score`` (PHQ-9 below 5), set on
    ``set_on`` (the clinic's date), to be met by ``due_on`` if the goal has a target date."""

    measure: str
    comparator: str
    score: int
    set_on: date
    due_on: date | None = None

    def met_by(self, score: int) -> bool:
        return meets(self.comparator, score, self.score)

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and today > self.due_on


@dataclass(frozen=True)
class MeasureRules:
    """The instrument's trajectory rules (its data file) and the baseline setting."""

    significant_change: int  # PHQ-9: 5 points (Löwe et al., Med Care 2004)
    current_for_days: int  # a score older than this says a measurement is overdue
    relapse_at_least: int  # possible relapse: back to this score (PHQ-9: 10) ...
    relapse_rise: int  # ... or this far above the lowest since (PHQ-9: 5)
    baseline_lookback_days: int  # TANDEM_BASELINE_LOOKBACK_DAYS


class Why(StrEnum):
    """What a computed achievement rests on."""

    met = "met"
    met_again = "met-again"
    no_score_since_set = "no-score-since-set"
    one_score_so_far = "one-score-so-far"
    score_out_of_date = "score-out-of-date"
    target_date_passed = "target-date-passed"
    possible_relapse = "possible-relapse"
    better = "better"
    worse = "worse"
    about_the_same = "about-the-same"


@dataclass(frozen=True)
class Judgement:
    """A computed achievement, why, and the scores it rests on (None where there is none)."""

    achievement: Achievement
    why: Why
    latest: Measurement | None
    baseline: Measurement | None


def judge_goal(
    target: Target, scores: Sequence[Measurement], *, today: date, rules: MeasureRules
) -> Judgement:
    """The achievement of a goal with a measurable target (FHIR goal-achievement), from the
    patient's valid scores on its measure.

    - Baseline: the last score on the day the target was set or up to
      ``baseline_lookback_days`` before (as an enrolment's baseline, docs/clinical-rules.md);
      without one, the first score after.
    - Achieved: the latest score, taken after the target was set and current (no older than
      ``current_for_days``), meets the target; sustaining when the score before it (the
      baseline included) met it too.
    - Not achieved: the target date has passed without the latest score meeting the target
      (or, the scores out of date, without any score since the target was set meeting it).
    - Worsening, possible relapse: the target was met since it was set and the latest score is
      back to ``relapse_at_least`` or ``relapse_rise`` above the lowest since.
    - Otherwise improving, worsening or no change: the latest score against the baseline, by
      at least ``significant_change`` points towards the target or away from it.
    - In progress: no score since the target was set, only one score, or the latest out of
      date ("judging a trajectory needs a current score").
    """
    ordered = sorted(scores, key=lambda m: m.on)
    start = shifted(target.set_on, -rules.baseline_lookback_days)
    before = [m for m in ordered if start <= m.on <= target.set_on]
    after = [m for m in ordered if m.on > target.set_on]
    baseline = before[-1] if before else (after[0] if after else None)
    latest = after[-1] if after else None
    if latest is None:
        if target.overdue(today):
            return Judgement(Achievement.not_achieved, Why.target_date_passed, None, baseline)
        return Judgement(Achievement.in_progress, Why.no_score_since_set, None, baseline)
    if (today - latest.on).days > rules.current_for_days:
        due = target.due_on
        met_in_time = any(target.met_by(m.score) for m in after if due is None or m.on <= due)
        if target.overdue(today) and not met_in_time:
            return Judgement(Achievement.not_achieved, Why.target_date_passed, latest, baseline)
        return Judgement(Achievement.in_progress, Why.score_out_of_date, latest, baseline)
    series = before[-1:] + after
    if target.met_by(latest.score):
        again = len(series) >= 2 and target.met_by(series[-2].score)
        if again:
            return Judgement(Achievement.sustaining, Why.met_again, latest, baseline)
        return Judgement(Achievement.achieved, Why.met, latest, baseline)
    if target.overdue(today):
        return Judgement(Achievement.not_achieved, Why.target_date_passed, latest, baseline)
    if lower_is_better(target.comparator) and _relapsed(target, series, rules):
        return Judgement(Achievement.worsening, Why.possible_relapse, latest, baseline)
    if baseline is None or baseline is latest:
        return Judgement(Achievement.in_progress, Why.one_score_so_far, latest, baseline)
    towards = baseline.score - latest.score
    if not lower_is_better(target.comparator):
        towards = -towards
    if towards >= rules.significant_change:
        return Judgement(Achievement.improving, Why.better, latest, baseline)
    if towards <= -rules.significant_change:
        return Judgement(Achievement.worsening, Why.worse, latest, baseline)
    return Judgement(Achievement.no_change, Why.about_the_same, latest, baseline)


def _relapsed(target: Target, series: list[Measurement], rules: MeasureRules) -> bool:
    """Met before the latest score, which is back to the relapse score or well above the
    lowest since (the thresholds of the instrument's data file)."""
    earlier, latest = series[:-1], series[-1]
    if not any(target.met_by(m.score) for m in earlier):
        return False
    lowest = min(m.score for m in earlier)
    return latest.score >= rules.relapse_at_least or latest.score - lowest >= rules.relapse_rise


def explain(judgement: Judgement, target: Target, rules: MeasureRules) -> str:
    """The computed achievement in a sentence a care manager understands."""
    title, aim = measure_title(target.measure), wanted(target.comparator, target.score)
    latest, baseline, why = judgement.latest, judgement.baseline, judgement.why
    score = f"{title} {latest.score} on {on_day(latest.on)}" if latest else ""
    if why == Why.no_score_since_set:
        passed = f"; the target date, {on_day(target.due_on)}, has passed" if target.due_on else ""
        if judgement.achievement == Achievement.not_achieved:
            return f"No {title} since the target was set on {on_day(target.set_on)}{passed}."
        return f"No {title} since the target was set on {on_day(target.set_on)}: measure it."
    assert latest is not None
    if why == Why.target_date_passed:
        assert target.due_on is not None
        return (
            f"The target date, {on_day(target.due_on)}, has passed without the target met "
            f"({aim}): {score}."
        )
    if why == Why.met:
        return f"{score} meets the target ({aim})."
    if why == Why.met_again:
        return f"{score} meets the target ({aim}), as the score before it did."
    if why == Why.score_out_of_date:
        return (
            f"The latest {title}, {latest.score} on {on_day(latest.on)}, is more than "
            f"{rules.current_for_days} days old: measure again to judge the goal."
        )
    if why == Why.one_score_so_far:
        return f"{score} is the only score since the target was set: the next one shows the trend."
    if why == Why.possible_relapse:
        return f"{score}, after meeting the target ({aim}): a possible relapse."
    assert baseline is not None
    change = abs(latest.score - baseline.score)
    since = f"{baseline.score} at the baseline on {on_day(baseline.on)}"
    if why == Why.better:
        return f"{score}: {change} points nearer the target ({aim}) than {since}."
    if why == Why.worse:
        return f"{score}: {change} points further from the target ({aim}) than {since}."
    return f"{score}: less than {rules.significant_change} points from {since}, the target {aim}."

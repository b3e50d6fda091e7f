"""Courses of depression over an episode of care: when a patient is measured and what they score.

Pure and deterministic. Four archetypes, judged by the measurement-based-care rules of
NCQA DRR; Bao 2016 (response: PHQ-9 at least 50 % below baseline; remission: below 5; not improving:
neither after 10 weeks): improving to response or remission, relapsing (responds, then worsens
again), not improving (stays at 10 or more with less than a 50 % drop) and steady mild. Each is
built so that ``rules.summarise`` reaches the intended judgement, whatever the noise drawn.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from tandem.careteams.vocab import Phase

# Measurements go back at most two years from the population's as-of date.
WINDOW_DAYS = 730
# A baseline up to this many days before enrolment: the screen that led to it, well inside the
# default TANDEM_BASELINE_LOOKBACK_DAYS (14).
BASELINE_BEFORE_ENROLMENT = 10
# A PHQ-9 total above 24 needs item 9 above 0, so courses stay at or below it (an item-9
# positive keeps the course's total, item 9 taking its share).
PHQ9_MAX = 24
GAD7_MAX = 21
# Bao et al. 2016: a follow-up within 4 weeks of enrolment, then every 2 to 5 weeks in active
# treatment and every 4 to 6 weeks once the first six months are over.
FIRST_FOLLOW_UP_DAYS = (10, 28)
ACTIVE_GAP_DAYS = (14, 35)
LATER_GAP_DAYS = (28, 42)
ACTIVE_WEEKS = 24
# Primary-care screens before enrolment are at least three weeks apart, so none of them falls
# inside the baseline look-back.
EARLIER_GAP_DAYS = (21, 42)
EARLIEST_GAP = 15
# When more measurements are asked for than that rhythm fits into two years, the gaps close up
# step by step (--measurements above about 14).
DENSITIES = (1.0, 0.8, 0.65, 0.5)
MIN_RELAPSE_WEEKS = 30


class Course(StrEnum):
    """How a patient's depression goes over the current episode of care."""

    improving = "improving"
    relapsing = "relapsing"
    not_improving = "not_improving"
    steady_mild = "steady_mild"


# Relative weights by phase: most patients in relapse prevention got there by improving.
_COURSE_WEIGHTS: dict[str, tuple[int, int, int, int]] = {
    Phase.active.value: (40, 10, 25, 25),
    Phase.relapse_prevention.value: (60, 20, 8, 12),
    Phase.discharged.value: (75, 0, 10, 15),
}


@dataclass(frozen=True)
class HistoryRates:
    """How long and how eventful the synthetic measurement histories are."""

    # PHQ-9s per enrolled patient at least (earlier primary-care screens fill in); 0 = none.
    min_phq9: int = 12
    gad7: float = 0.40
    social_screen: float = 0.35
    # Patients whose last measurement is two to four months old (overdue for one).
    overdue: float = 0.05
    # Patients with an earlier item-9 positive whose alert the team has resolved.
    earlier_item9: float = 0.10
    # Not-improving and relapsed patients whose latest PHQ-9 raised an alert still open.
    open_alert_not_improving: float = 0.11
    # Patients enrolled in the last two weeks, baseline 15 or more, whose screen raised one.
    open_alert_new: float = 0.35


@dataclass(frozen=True)
class CheckIn:
    """One measurement occasion: the PHQ-9 total and item 9 to give, and GAD-7 if measured."""

    on: date
    phq9: int
    item9: int = 0
    gad7: int | None = None
    in_episode: bool = True
    open_alert: bool = False
    resolved_alert: bool = False


@dataclass(frozen=True)
class CoursePlan:
    """A patient's measurement history, before it becomes rows."""

    course: Course
    enrolled_on: date
    baseline: int
    check_ins: tuple[CheckIn, ...]

    @property
    def phq9_scores(self) -> list[tuple[date, int]]:
        return [(c.on, c.phq9) for c in self.check_ins]


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _gaps(days: tuple[int, int], density: float) -> tuple[int, int]:
    """A gap range closed up by ``density`` (1: as the programme schedules), a week at least."""
    low, high = (max(7, round(d * density)) for d in days)
    return low, max(low, high)


def _schedule(rng: random.Random, baseline_on: date, last_day: date, density: float) -> list[date]:
    days = [baseline_on]
    day = baseline_on + timedelta(days=rng.randint(*_gaps(FIRST_FOLLOW_UP_DAYS, density)))
    active, later = _gaps(ACTIVE_GAP_DAYS, density), _gaps(LATER_GAP_DAYS, density)
    while day <= last_day:
        days.append(day)
        weeks = (day - baseline_on).days / 7
        day += timedelta(days=rng.randint(*(active if weeks < ACTIVE_WEEKS else later)))
    return days


def _earlier_gaps(density: float) -> tuple[int, int]:
    # Never inside the baseline look-back: more than 14 days before the baseline.
    low, high = (max(EARLIEST_GAP, round(d * density)) for d in EARLIER_GAP_DAYS)
    return low, high


def _earlier(
    rng: random.Random, baseline_on: date, wanted: int, window_start: date, density: float
) -> list[date]:
    days: list[date] = []
    day = baseline_on
    gaps = _earlier_gaps(density)
    while len(days) < wanted:
        day -= timedelta(days=rng.randint(*gaps))
        if day < window_start:
            break
        days.append(day)
    return days[::-1]


def _enough(
    days: list[date], baseline_on: date, window_start: date, wanted: int, density: float
) -> bool:
    """Whether earlier screens, at their widest spacing, can make up ``wanted`` PHQ-9s."""
    room = (baseline_on - window_start).days // _earlier_gaps(density)[1]
    return len(days) + room >= wanted


ScoreAt = Callable[[float], int]


def _improving(rng: random.Random, baseline: int, settled_week: float) -> ScoreAt:
    """Down towards a floor at or below half the baseline, settled by ``settled_week``
    (five time constants: within a point of the floor, so the noise cannot undo the response)."""
    floor = rng.randint(1, max(1, min(6, baseline // 2 - 2)))
    tau = max(0.5, settled_week / 5 * rng.uniform(0.6, 1.0))

    def at(week: float) -> int:
        if week <= 0:
            return baseline
        spread = 2 if week < 2 * tau else 1
        value = floor + (baseline - floor) * math.exp(-week / tau) + rng.randint(-spread, spread)
        return _clamp(value, 0, PHQ9_MAX)

    return at


def _relapsing(rng: random.Random, baseline: int, weeks: list[float]) -> ScoreAt:
    """Responds by the relapse week, then climbs back to 10 or more, above half the baseline."""
    last = weeks[-1]
    relapse = last * rng.uniform(0.45, 0.65)
    before = max(w for w in weeks if w < relapse)
    improving = _improving(rng, baseline, before)
    nadir = improving(before)
    level = rng.randint(max(11, baseline // 2 + 3), min(PHQ9_MAX, baseline + 3))
    rho = min(rng.uniform(2, 5), (last - relapse) / 4.5)
    worse = max(10, baseline // 2 + 1)

    def at(week: float) -> int:
        if week <= relapse:
            return improving(week)
        rise = 1 - math.exp(-(week - relapse) / rho)
        value = _clamp(nadir + (level - nadir) * rise + rng.randint(-2, 2), 0, PHQ9_MAX)
        return max(value, worse) if week >= relapse + 3 * rho else value

    return at


def _not_improving(rng: random.Random, baseline: int) -> ScoreAt:
    """Some easing (never half), and never below 10."""
    ease = rng.uniform(0, 0.35)
    lowest = max(10, baseline // 2 + 1)

    def at(week: float) -> int:
        if week <= 0:
            return baseline
        value = baseline * (1 - ease * (1 - math.exp(-week / 8))) + rng.randint(-2, 2)
        return _clamp(value, lowest, PHQ9_MAX)

    return at


def _steady_mild(rng: random.Random, baseline: int) -> ScoreAt:
    def at(week: float) -> int:
        return baseline if week <= 0 else _clamp(baseline + rng.randint(-2, 2), 5, 9)

    return at


def _course(rng: random.Random, phase: str, weeks: list[float]) -> Course:
    course = rng.choices(tuple(Course), weights=_COURSE_WEIGHTS[phase])[0]
    if course == Course.relapsing and weeks[-1] < MIN_RELAPSE_WEEKS:
        return Course.improving
    return course


def _baseline_score(rng: random.Random, course: Course) -> int:
    if course == Course.steady_mild:
        return rng.randint(5, 9)
    if course == Course.not_improving:
        return rng.randint(12, 22)
    return rng.randint(10, 23)


def _scorer(rng: random.Random, course: Course, baseline: int, weeks: list[float]) -> ScoreAt:
    if course == Course.relapsing:
        return _relapsing(rng, baseline, weeks)
    if course == Course.not_improving:
        return _not_improving(rng, baseline)
    if course == Course.steady_mild:
        return _steady_mild(rng, baseline)
    return _improving(rng, baseline, rng.uniform(8, 30))


def _item9(rng: random.Random) -> int:
    return rng.choices((1, 2, 3), weights=(70, 22, 8))[0]


def plan_course(
    rng: random.Random,
    *,
    enrolled_on: date,
    ended_on: date | None,
    phase: str,
    as_of: date,
    rates: HistoryRates,
) -> CoursePlan | None:
    """The check-ins of a patient enrolled on ``enrolled_on`` (ended on ``ended_on`` for a
    discharged patient), from up to two years before ``as_of`` until the day before it."""
    if rates.min_phq9 <= 0:
        return None
    window_start = as_of - timedelta(days=WINDOW_DAYS)
    enrolled = ended_on is None
    last_day = as_of - timedelta(days=1)
    if ended_on is not None:
        last_day = min(last_day, ended_on)
    elif rng.random() < rates.overdue:
        # Only a patient with weeks of follow-up behind them can be overdue for the next one.
        overdue_since = as_of - timedelta(days=rng.randint(56, 110))
        if overdue_since - enrolled_on >= timedelta(days=42):
            last_day = overdue_since
    before = 0 if rng.random() < 0.3 else rng.randint(1, BASELINE_BEFORE_ENROLMENT)
    baseline_on = max(enrolled_on - timedelta(days=before), window_start)
    if baseline_on > last_day:
        baseline_on = last_day
    for density in DENSITIES:
        days = [d for d in _schedule(rng, baseline_on, last_day, density) if d >= window_start]
        if not enrolled or _enough(days, baseline_on, window_start, rates.min_phq9, density):
            break
    if not days:
        return None
    weeks = [(d - baseline_on).days / 7 for d in days]
    course = _course(rng, phase, weeks)
    baseline = _baseline_score(rng, course)
    score_at = _scorer(rng, course, baseline, weeks)
    check_ins = [CheckIn(d, score_at(w)) for d, w in zip(days, weeks, strict=True)]
    if enrolled:
        wanted = rates.min_phq9 - len(days)
        earlier = _earlier(rng, baseline_on, wanted, window_start, density)
        check_ins = _rising_to(rng, earlier, baseline) + check_ins
        check_ins = _open_alert(rng, check_ins, course, as_of, baseline_on, score_at, rates)
    check_ins = _resolved_alerts(rng, check_ins, rates)
    if rng.random() < rates.gad7:
        check_ins = _with_gad7(rng, check_ins)
    return CoursePlan(course, enrolled_on, baseline, tuple(check_ins))


def _rising_to(rng: random.Random, days: list[date], baseline: int) -> list[CheckIn]:
    """Primary-care PHQ-9s before enrolment: from a lower level up towards the baseline."""
    start = rng.randint(2, 9)
    return [
        CheckIn(
            day,
            _clamp(
                start + (baseline - start) * ((n + 1) / (len(days) + 1)) ** 2 + rng.randint(-2, 2),
                0,
                PHQ9_MAX,
            ),
            in_episode=False,
        )
        for n, day in enumerate(days)
    ]


def _open_alert(
    rng: random.Random,
    check_ins: list[CheckIn],
    course: Course,
    as_of: date,
    baseline_on: date,
    score_at: ScoreAt,
    rates: HistoryRates,
) -> list[CheckIn]:
    """Item 9 above 0 on the latest PHQ-9, days ago: the alert is still open."""
    latest = check_ins[-1]
    recent = as_of - latest.on <= timedelta(days=3)
    if course in (Course.not_improving, Course.relapsing):
        if rng.random() >= rates.open_alert_not_improving or as_of - latest.on > timedelta(days=60):
            return check_ins
        if not recent:
            # An extra check-in, prompted by how the patient sounded on the phone.
            day = as_of - timedelta(days=rng.randint(1, 3))
            latest = CheckIn(day, score_at((day - baseline_on).days / 7))
            check_ins = [*check_ins, latest]
    elif not (
        len([c for c in check_ins if c.in_episode]) == 1
        and latest.phq9 >= 15
        and as_of - latest.on <= timedelta(days=14)
        and rng.random() < rates.open_alert_new
    ):
        return check_ins
    positive = replace(latest, item9=_item9(rng), open_alert=True)
    return [*check_ins[:-1], positive]


def _resolved_alerts(
    rng: random.Random, check_ins: list[CheckIn], rates: HistoryRates
) -> list[CheckIn]:
    """Earlier item-9 positives (on a PHQ-9 of 12 or more), each alert since resolved."""
    if rng.random() >= rates.earlier_item9:
        return check_ins
    candidates = [
        n for n, c in enumerate(check_ins[:-1]) if c.in_episode and c.phq9 >= 12 and not c.item9
    ]
    if not candidates:
        return check_ins
    chosen = rng.sample(candidates, min(len(candidates), 2 if rng.random() < 0.2 else 1))
    return [
        replace(c, item9=_item9(rng), resolved_alert=True) if n in chosen else c
        for n, c in enumerate(check_ins)
    ]


def _with_gad7(rng: random.Random, check_ins: list[CheckIn]) -> list[CheckIn]:
    """GAD-7 alongside most PHQ-9s of the episode, following the same course."""
    ratio, offset = rng.uniform(0.55, 0.95), rng.randint(-2, 2)
    first = True
    out = []
    for c in check_ins:
        if c.in_episode and (first or rng.random() < 0.85):
            value = _clamp(c.phq9 * ratio + offset + rng.randint(-1, 1), 0, GAD7_MAX)
            c = replace(c, gad7=value)
            first = False
        out.append(c)
    return out

"""Pure assessment rules: checking answers, scoring, bands, flags, social needs, trajectories,
what closing a safety alert must say.

No I/O. Every rule follows the instrument's data file, which cites its source; the
trajectory rules (response, remission, not improving): NCQA HEDIS DRR; Bao et al. 2016.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from tandem.assessments.definitions import Band, FlagRule, Instrument, Item
from tandem.assessments.vocab import AlertAction, NeedStatus, need_status_label
from tandem.dates import shifted
from tandem.errors import ValidationProblem

# One answer code, or several for a multiple-choice item.
Answer = str | list[str]
Answers = dict[str, Answer]


class AnswerProblems(ValidationProblem):
    """Answers that do not fit the instrument; every problem is named by its item."""

    def __init__(self, problems: dict[str, str]) -> None:
        first_field, first_message = next(iter(problems.items()))
        super().__init__(first_message, field=first_field, errors=problems)
        self.problems = problems


def answer_field(link_id: str) -> str:
    """The name of an item's field in forms, the API and error messages."""
    return f"answers.{link_id}"


def check_answers(instrument: Instrument, raw: Mapping[str, object]) -> Answers:
    """Answers normalised to codes, or AnswerProblems naming each item that is wrong."""
    problems: dict[str, str] = {}
    known = {item.link_id: item for item in instrument.items}
    for link_id in raw:
        if link_id not in known:
            problems[answer_field(link_id)] = f"{instrument.title} has no item '{link_id}'."
    answers: Answers = {}
    for item in instrument.items:
        value = raw.get(item.link_id)
        codes = _as_codes(value)
        if codes is None:
            problems[answer_field(item.link_id)] = f"{item.short}: choose one answer."
            continue
        if not codes:
            if item.required:
                problems[answer_field(item.link_id)] = f"{item.short}: an answer is required."
            continue
        problem = _check_item(instrument, item, codes)
        if problem:
            problems[answer_field(item.link_id)] = problem
            continue
        answers[item.link_id] = codes if item.multiple else codes[0]
    if problems:
        raise AnswerProblems(problems)
    return answers


def _as_codes(value: object) -> list[str] | None:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return None


def _check_item(instrument: Instrument, item: Item, codes: list[str]) -> str | None:
    if len(codes) > 1 and not item.multiple:
        return f"{item.short}: choose only one answer."
    if len(set(codes)) != len(codes):
        return f"{item.short}: an answer is given twice."
    for code in codes:
        if instrument.option(item, code) is None:
            return f"{item.short}: '{code[:40]}' is not one of its answers."
    exclusive = [c for c in codes if (o := instrument.option(item, c)) and o.exclusive]
    if exclusive and len(codes) > 1:
        return f"{item.short}: 'None of the above' cannot be combined with other answers."
    return None


def codes_of(answer: Answer | None) -> list[str]:
    if answer is None:
        return []
    return answer if isinstance(answer, list) else [answer]


def item_value(instrument: Instrument, link_id: str, answers: Answers) -> int | None:
    """The numeric value of an item's answer (sum of values for multiple choice)."""
    item = instrument.item(link_id)
    values = [
        option.value
        for code in codes_of(answers.get(link_id))
        if (option := instrument.option(item, code)) is not None and option.value is not None
    ]
    return sum(values) if values else None


@dataclass(frozen=True)
class Result:
    """What a response scores: the total (summed instruments), the band, flags and needs."""

    total: int | None
    band: Band | None
    flags: tuple[FlagRule, ...] = ()
    needs: tuple[PositiveNeed, ...] = ()


@dataclass(frozen=True)
class PositiveNeed:
    """A social-needs domain that screened positive, with the answers that show it."""

    domain: str
    evidence: tuple[str, ...] = field(default=())


def score(instrument: Instrument, answers: Answers, *, sex: str | None = None) -> Result:
    """Score a complete, checked set of answers."""
    method = instrument.scoring.method
    total: int | None = None
    band: Band | None = None
    if method == "sum":
        total = sum(
            item_value(instrument, item.link_id, answers) or 0
            for item in instrument.items
            if item.scored
        )
        band = band_for(instrument, total, sex=sex)
    elif method == "rules":
        band = instrument.band(triage_level(instrument, answers))
    flags = tuple(f for f in instrument.flags if _raises(instrument, f, answers, band))
    return Result(total=total, band=band, flags=flags, needs=positive_needs(instrument, answers))


def band_for(instrument: Instrument, total: int, *, sex: str | None = None) -> Band | None:
    """The severity band a total falls in; sex-specific bands fall back for other sexes."""
    wanted = sex if sex in ("male", "female", "other", "unknown") else "unknown"
    for band in instrument.bands:
        if band.sex is not None and wanted not in band.sex:
            continue
        if band.min <= total <= band.max:
            return band
    return None


def triage_level(instrument: Instrument, answers: Answers) -> str | None:
    """The first triage level any of whose conditions match, else the default level."""
    for level in instrument.scoring.levels:
        for match in level.any:
            if set(codes_of(answers.get(match.item))) & set(match.answers):
                return level.code
    return instrument.scoring.default_level


def _raises(instrument: Instrument, flag: FlagRule, answers: Answers, band: Band | None) -> bool:
    if flag.item is not None:
        value = item_value(instrument, flag.item, answers)
        if value is None or value < (flag.value_at_least or 0):
            return False
    return not flag.bands or (band is not None and band.code in flag.bands)


def positive_needs(instrument: Instrument, answers: Answers) -> tuple[PositiveNeed, ...]:
    found = []
    for rule in instrument.needs:
        if rule.sum_at_least is not None:
            values = [item_value(instrument, link_id, answers) for link_id in rule.items]
            total = sum(v or 0 for v in values)
            if total >= rule.sum_at_least:
                found.append(PositiveNeed(rule.domain, tuple(rule.items)))
            continue
        evidence = tuple(
            link_id
            for link_id in rule.items
            if any(
                (o := instrument.option(instrument.item(link_id), code)) is not None and o.positive
                for code in codes_of(answers.get(link_id))
            )
        )
        if evidence:
            found.append(PositiveNeed(rule.domain, evidence))
    return tuple(found)


def changed_items(
    instrument: Instrument, answers: Answers, previous: Answers | None
) -> dict[str, tuple[int | None, int | None]]:
    """Scored items whose value changed since the previous response: {link_id: (was, now)}."""
    if previous is None:
        return {}
    changes = {}
    for item in instrument.items:
        was = item_value(instrument, item.link_id, previous)
        now = item_value(instrument, item.link_id, answers)
        if was != now:
            changes[item.link_id] = (was, now)
    return changes


# --- Trajectories (measurement-based care) --------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    on: date
    score: int


@dataclass(frozen=True)
class TrajectorySummary:
    """Baseline, latest and the measurement-based-care judgements for one instrument."""

    count: int
    baseline: Measurement | None
    latest: Measurement | None
    change: int | None
    percent_change: float | None
    response: bool
    remission: bool
    not_improving: bool
    weeks_in_treatment: int | None
    weeks_since_baseline: int | None
    days_since_last: int | None


def summarise(
    measurements: Sequence[Measurement],
    *,
    today: date,
    enrolled_on: date | None,
    remission_below: int,
    response_drop: float,
    not_improving_weeks: int,
    baseline_lookback_days: int = 0,
) -> TrajectorySummary:
    """Judge a patient's course on one instrument.

    - Baseline: the first measurement of the current enrolment, counting measurements up to
      ``baseline_lookback_days`` before it started (the screen that led to enrolment); without
      an enrolment, the first measurement.
    - Response: the latest follow-up is at least ``response_drop`` (50 %) below the baseline
      (NCQA HEDIS DRR). Remission: the latest follow-up is below ``remission_below`` (PHQ-9 < 5).
      Both need a follow-up measurement after the baseline.
    - Not improving: at least ``not_improving_weeks`` (10) weeks since the baseline, and neither
      response nor remission (consultation at weeks 8 to 12: Bao et al., Psychiatr Serv 2016).
    """
    ordered = sorted(measurements, key=lambda m: m.on)
    if enrolled_on is not None:
        start = shifted(enrolled_on, -baseline_lookback_days)
        in_episode = [m for m in ordered if m.on >= start]
    else:
        in_episode = ordered
    latest = ordered[-1] if ordered else None
    baseline = in_episode[0] if in_episode else None
    follow_up = baseline is not None and latest is not None and latest.on > baseline.on
    change = percent = None
    response = remission = False
    if baseline is not None and latest is not None and follow_up:
        change = latest.score - baseline.score
        if baseline.score > 0:
            percent = round(100 * change / baseline.score, 1)
        response = baseline.score > 0 and latest.score <= baseline.score * (1 - response_drop)
        remission = latest.score < remission_below
    weeks_since_baseline = (today - baseline.on).days // 7 if baseline else None
    not_improving = (
        weeks_since_baseline is not None
        and weeks_since_baseline >= not_improving_weeks
        and not response
        and not remission
    )
    return TrajectorySummary(
        count=len(ordered),
        baseline=baseline,
        latest=latest,
        change=change,
        percent_change=percent,
        response=response,
        remission=remission,
        not_improving=not_improving,
        weeks_in_treatment=(today - enrolled_on).days // 7 if enrolled_on else None,
        weeks_since_baseline=weeks_since_baseline,
        days_since_last=(today - latest.on).days if latest else None,
    )


# --- Needs lifecycle --------------------------------------------------------------------------

# identified (unconfirmed) → confirmed with the patient → being addressed → resolved; a need can
# be dismissed with a reason, re-opened when it returns, and marked entered in error.
# Follows the Gravity SDOH IG: a Condition generated from a screen stays unconfirmed until
# provider and patient agree (HL7 SDOH Clinical Care IG, Condition.verificationStatus).
_Need = NeedStatus
NEED_TRANSITIONS: dict[str, frozenset[str]] = {
    _Need.identified: frozenset({_Need.confirmed, _Need.dismissed, _Need.entered_in_error}),
    _Need.confirmed: frozenset(
        {_Need.being_addressed, _Need.resolved, _Need.dismissed, _Need.entered_in_error}
    ),
    _Need.being_addressed: frozenset(
        {_Need.confirmed, _Need.resolved, _Need.dismissed, _Need.entered_in_error}
    ),
    _Need.resolved: frozenset({_Need.confirmed, _Need.entered_in_error}),
    _Need.dismissed: frozenset({_Need.identified, _Need.confirmed, _Need.entered_in_error}),
    _Need.entered_in_error: frozenset(),
}
NEEDS_A_REASON = frozenset({_Need.dismissed, _Need.entered_in_error})
OPEN_NEED_STATUSES = frozenset({"identified", "confirmed", "being_addressed"})


def check_need_transition(current: str, new: str, reason: str | None) -> None:
    """Refuse a step the lifecycle does not allow, or a dismissal without a reason."""
    if new == current:
        raise ValidationProblem("The need already has this status.", field="status")
    if new not in NEED_TRANSITIONS.get(current, frozenset()):
        was, now = need_status_label(current).lower(), need_status_label(new).lower()
        raise ValidationProblem(f"A need that is {was} cannot become {now}.", field="status")
    if new in NEEDS_A_REASON and not (reason and len(reason.strip()) >= 3):
        raise ValidationProblem("Give a reason.", field="reason")


def check_alert_response(
    actions: Sequence[AlertAction], action_taken: str | None
) -> tuple[list[AlertAction], str | None]:
    """What closing a safety alert records: at least one action (422 on ``actions``), and words
    saying what was done when one of them is "other" (422 on ``action_taken``). The actions come
    back each once, in the list's own order; the words trimmed, None when blank."""
    chosen = [action for action in AlertAction if action in actions]
    words = (action_taken or "").strip() or None
    if not chosen:
        raise ValidationProblem("Choose at least one thing that was done.", field="actions")
    if AlertAction.other in chosen and words is None:
        raise ValidationProblem("Say in words what else was done.", field="action_taken")
    return chosen, words

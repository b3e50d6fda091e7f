"""Social-needs screens (AHC HRSN) of synthetic patients and the candidate needs they raise,
recorded as ``needs.identify_from_screen`` records them, then taken through their lifecycle."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tandem.assessments.rules import check_need_transition
from tandem.assessments.service.needs import domain_label
from tandem.careteams.vocab import CareTeamRole
from tandem.synth.answers import Scored
from tandem.synth.keys import new_uuid
from tandem.synth.pool import Row
from tandem.synth.responses import Team, administered

if TYPE_CHECKING:
    from tandem.synth.measurements import History

SOCIAL_NEEDS = "social-needs"
_NO, _YES = "LA32-8", "LA33-6"
_PROBLEMS = ("LA31996-4", "LA28580-1", "LA31997-2", "LA31998-0", "LA31999-8", "LA32000-4")
_NONE_OF_THE_ABOVE = "LA9-3"
_OFTEN, _SOMETIMES, _NEVER = "LA28397-0", "LA6729-3", "LA28398-8"
# Interpersonal-safety answers by value: never (1) … frequently (5).
_FREQUENCY = ("LA6270-8", "LA10066-1", "LA10082-8", "LA16644-9", "LA6482-9")
# A need from a screen this recent is still a candidate: nobody has confirmed it yet.
CANDIDATE_DAYS = 45
# What became of older candidates: still identified, dismissed, confirmed, being addressed,
# resolved (each later step passes through the earlier ones).
_FATES = ((), ("dismissed",), ("confirmed",), ("confirmed", "being_addressed"))
_FATE_WEIGHTS = (20, 15, 20, 23)
_RESOLVED = ("confirmed", "being_addressed", "resolved")
_RESOLVED_WEIGHT = 22
_STEP_DAYS = {
    "confirmed": (3, 21),
    "dismissed": (3, 21),
    "being_addressed": (1, 14),
    "resolved": (14, 90),
}
_REASONS: dict[str, tuple[str | None, ...]] = {
    "confirmed": (None, "Confirmed with the patient at the follow-up call"),
    "being_addressed": (None, "Referred to the community partner", "Applications started"),
    "resolved": (None, "Patient reports the need is met"),
    "dismissed": (
        "Patient says this is already taken care of",
        "Patient declined help with this for now",
    ),
}


def answers(rng: random.Random) -> dict[str, Any]:
    """One set of answers: most patients screen negative; housing and food lead the positives."""
    living = rng.choices(("LA31993-1", "LA31994-9", "LA31995-6"), weights=(82, 13, 5))[0]
    problems = (
        [_NONE_OF_THE_ABOVE] if rng.random() < 0.8 else rng.sample(_PROBLEMS, rng.choice((1, 1, 2)))
    )
    worried = rng.random() < 0.25
    food_worry = rng.choice((_OFTEN, _SOMETIMES)) if worried else _NEVER
    food_last = (
        rng.choice((_OFTEN, _SOMETIMES))
        if (worried and rng.random() < 0.7) or rng.random() < 0.03
        else _NEVER
    )
    unsafe = rng.random() < 0.04
    safety = [rng.randint(3, 5) if unsafe else rng.choice((1, 1, 1, 2)) for _ in range(4)]
    return {
        "living": living,
        "housing-problems": problems,
        "food-worry": food_worry,
        "food-last": food_last,
        "transport": _YES if rng.random() < 0.15 else _NO,
        "utilities": rng.choices((_NO, _YES, "LA32002-0"), weights=(88, 10, 2))[0],
        "safety-hurt": _FREQUENCY[safety[0] - 1],
        "safety-insult": _FREQUENCY[safety[1] - 1],
        "safety-threaten": _FREQUENCY[safety[2] - 1],
        "safety-scream": _FREQUENCY[safety[3] - 1],
    }


def social_needs(
    rng: random.Random,
    history: History,
    scored: Scored,
    *,
    patient_id: uuid.UUID,
    on: date,
    recorded_at: datetime,
    team: Team,
    until: datetime,
) -> None:
    """The screen, its observations, and a need per positive domain with its history."""
    by = team.recorder(rng, on, in_episode=True)
    screen = administered(
        rng,
        patient_id=patient_id,
        scored=scored,
        on=on,
        recorded_at=recorded_at,
        entered_by=by,
        source="patient" if rng.random() < 0.4 else "staff",
    )
    history.keep(screen)
    title = scored.definition.title
    for positive in scored.result.needs:
        need: Row = {
            "id": new_uuid(rng),
            "patient_id": patient_id,
            "domain": positive.domain,
            "description": f"{domain_label(positive.domain)}: screened positive on {title}",
            "status": "identified",
            "origin": "screen",
            "evidence": [
                {
                    "response_id": str(screen.response["id"]),
                    "instrument": scored.definition.code,
                    "answered_on": on.isoformat(),
                    "items": list(positive.evidence),
                }
            ],
            "identified_on": on,
            "status_reason": None,
            "created_by": by,
            "created_at": recorded_at,
            "updated_at": recorded_at,
            "version": 1,
        }
        history.needs.append(need)
        _event(
            rng, history, need, None, "identified", f"Positive answers on {title}", by, recorded_at
        )
        if until - recorded_at >= timedelta(days=CANDIDATE_DAYS):
            _follow(rng, history, need, team, until)


def _follow(rng: random.Random, history: History, need: Row, team: Team, until: datetime) -> None:
    """Take an older candidate need through the steps the team took, none after ``until``."""
    steps = rng.choices((*_FATES, _RESOLVED), weights=(*_FATE_WEIGHTS, _RESOLVED_WEIGHT))[0]
    moment: datetime = need["created_at"]
    for step in steps:
        moment += timedelta(days=rng.randint(*_STEP_DAYS[step]))
        moment = moment.replace(hour=rng.randrange(15, 24), minute=rng.randrange(60))
        if moment > until:
            return
        reason = rng.choice(_REASONS[step])
        check_need_transition(need["status"], step, reason)
        day = moment.date()
        by = team.one_of(day, CareTeamRole.social_worker.value) or team.recorder(
            rng, day, in_episode=True
        )
        _event(rng, history, need, need["status"], step, reason, by, moment)
        need.update(
            status=step, status_reason=reason, updated_at=moment, version=need["version"] + 1
        )


def _event(
    rng: random.Random,
    history: History,
    need: Row,
    before: str | None,
    after: str,
    reason: str | None,
    by: uuid.UUID | None,
    moment: datetime,
) -> None:
    history.need_events.append(
        {
            "id": new_uuid(rng),
            "patient_id": need["patient_id"],
            "need_id": need["id"],
            "from_status": before,
            "to_status": after,
            "reason": reason,
            "by_user": by,
            "at": moment,
        }
    )

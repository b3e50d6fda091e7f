"""Measurement histories of synthetic patients: PHQ-9s (and GAD-7s) over up to two years,
item-9 positives with their safety alerts and notifications, and social-needs screens.

Every row is the one the service writes: responses and observations through the real scoring
rules (``answers.Scorer``), alerts with the instrument's flag code and message, the lead care
manager told as ``safety._tell_the_team`` tells them, needs as ``needs.identify_from_screen``
records them. Each patient's history comes from its own seeded generator, so it does not shift
the rest of the population.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from tandem.assessments.definitions import FlagRule
from tandem.careteams.vocab import CareTeamRole
from tandem.people.rules import display_name
from tandem.synth import screens
from tandem.synth.answers import AnswerBank, Scorer, definition
from tandem.synth.courses import CheckIn, Course, CoursePlan, HistoryRates, plan_course
from tandem.synth.keys import new_uuid
from tandem.synth.pool import Row
from tandem.synth.responses import Administered, Team, administered, minutes_later
from tandem.synth.teams import at

SUICIDE_RISK = "suicide-risk"
# Share of measurements the patient filled in themselves (on a tablet in the waiting room).
SELF_REPORT = 0.25
_NO, _YES = "LA32-8", "LA33-6"
# What was done (AlertAction codes) and the words a clinician would add.
ACTIONS = (
    (
        ["safety-plan-reviewed", "crisis-line-given", "same-day-clinician-contact"],
        "Called the patient the same day and completed the suicide-risk screen ({risk}). "
        "Reviewed the safety plan together; crisis line numbers given.",
    ),
    (
        ["safety-plan-reviewed", "same-day-clinician-contact"],
        "Suicide-risk screen done at the visit ({risk}). Discussed with the psychiatric "
        "consultant; safety plan updated.",
    ),
    (
        ["crisis-line-given", "same-day-clinician-contact", "other"],
        "Reached the patient by phone: suicide-risk screen {risk}, no plan or intent. Agreed a "
        "check-in call in two days and went over crisis contacts.",
    ),
    (
        ["means-safety-counselling", "same-day-clinician-contact", "other"],
        "Completed the suicide-risk screen in clinic ({risk}). Means-safety counselling given "
        "and an earlier follow-up booked.",
    ),
)


@dataclass
class History:
    """The rows of one patient's measurement history, and the course it follows."""

    course: Course | None = None
    responses: list[Row] = field(default_factory=list)
    observations: list[Row] = field(default_factory=list)
    alerts: list[Row] = field(default_factory=list)
    notifications: list[Row] = field(default_factory=list)
    needs: list[Row] = field(default_factory=list)
    need_events: list[Row] = field(default_factory=list)

    def keep(self, done: Administered) -> None:
        self.responses.append(done.response)
        self.observations.extend(done.observations)


@dataclass(frozen=True)
class PatientFacts:
    """What the history needs to know of the patient."""

    id: uuid.UUID
    given_name: str
    family_name: str
    gender: str


class HistoryMaker:
    """Plans and writes measurement histories for one population (one answer bank for all)."""

    def __init__(self, namespace: str, seed: int, rates: HistoryRates) -> None:
        self.namespace, self.seed, self.rates = namespace, seed, rates
        self.scorer = Scorer()
        self.bank = AnswerBank(random.Random(f"tandem-{namespace}:{seed}:answers"), self.scorer)
        self.risk = definition(SUICIDE_RISK)
        self.social = definition(screens.SOCIAL_NEEDS)

    def patient_rng(self, index: int) -> random.Random:
        """Patient ``index``'s own generator: its history never moves another patient's."""
        return random.Random(f"tandem-{self.namespace}:{self.seed}:history:{index}")

    def plan(self, rng: random.Random, enrolments: list[Row], as_of: date) -> CoursePlan | None:
        """The course of the latest enrolment (open, or discharged for discharged patients)."""
        current = enrolments[-1]
        return plan_course(
            rng,
            enrolled_on=current["start_date"],
            ended_on=current["end_date"],
            phase=current["phase"],
            as_of=as_of,
            rates=self.rates,
        )

    def recorded_times(self, rng: random.Random, plan: CoursePlan) -> list[datetime]:
        """When each check-in was recorded (drawn now, so registration can precede them)."""
        return [at(rng, c.on) for c in plan.check_ins]

    def write(
        self,
        rng: random.Random,
        plan: CoursePlan,
        recorded: list[datetime],
        patient: PatientFacts,
        members: list[Row],
    ) -> History:
        """Every row of the plan's history."""
        history = History(course=plan.course)
        team = Team(members)
        for check_in, moment in zip(plan.check_ins, recorded, strict=True):
            self._check_in(rng, history, team, patient, check_in, moment)
        if plan.check_ins and rng.random() < self.rates.social_screen:
            first = next((c for c in plan.check_ins if c.in_episode), plan.check_ins[0])
            moment = recorded[plan.check_ins.index(first)]
            screens.social_needs(
                rng,
                history,
                self.scorer(self.social, screens.answers(rng), patient.gender),
                patient_id=patient.id,
                on=first.on,
                recorded_at=minutes_later(rng, moment, 3, 20),
                team=team,
                until=recorded[-1],
            )
        return history

    def _check_in(
        self,
        rng: random.Random,
        history: History,
        team: Team,
        patient: PatientFacts,
        check_in: CheckIn,
        moment: datetime,
    ) -> None:
        by = team.recorder(rng, check_in.on, in_episode=check_in.in_episode)
        source = "patient" if rng.random() < SELF_REPORT else "staff"
        phq9 = administered(
            rng,
            patient_id=patient.id,
            scored=self.bank.phq9_answers(rng, check_in.phq9, check_in.item9, patient.gender),
            on=check_in.on,
            recorded_at=moment,
            entered_by=by,
            source=source,
        )
        history.keep(phq9)
        for flag in phq9.scored.result.flags:
            if flag.kind == "safety":
                self._alert(rng, history, team, patient, phq9, flag, check_in)
        if check_in.gad7 is not None:
            history.keep(
                administered(
                    rng,
                    patient_id=patient.id,
                    scored=self.bank.gad7_answers(rng, check_in.gad7, patient.gender),
                    on=check_in.on,
                    recorded_at=minutes_later(rng, moment, 1, 6),
                    entered_by=by,
                    source=source,
                )
            )

    def _alert(
        self,
        rng: random.Random,
        history: History,
        team: Team,
        patient: PatientFacts,
        cause: Administered,
        flag: FlagRule,
        check_in: CheckIn,
    ) -> None:
        """The alert as ``safety.raise_alerts`` opens it; resolved unless it is the latest."""
        raised_at: datetime = cause.response["recorded_at"]
        alert: Row = {
            "id": new_uuid(rng),
            "patient_id": patient.id,
            "code": flag.code,
            "message": flag.message,
            "response_id": cause.response["id"],
            "status": "active",
            "raised_at": raised_at,
            "actions": None,
            "action_taken": None,
            "resolved_at": None,
            "resolved_by": None,
            "version": 1,
        }
        history.alerts.append(alert)
        read_at = None
        if not check_in.open_alert:
            resolved_at = self._resolve(rng, history, team, patient, alert, check_in.on)
            read_at = minutes_later(rng, raised_at, 2, 45)
            read_at = min(read_at, resolved_at)
        name = display_name(patient.given_name, patient.family_name)
        for user_id in team.told(check_in.on):
            history.notifications.append(
                {
                    "id": new_uuid(rng),
                    "patient_id": patient.id,
                    "user_id": user_id,
                    "kind": "safety_alert",
                    "message": f"Safety alert for {name}: {flag.message}"[:500],
                    "link": f"/patients/{patient.id}/safety",
                    "priority": "urgent",
                    "safety_alert_id": alert["id"],
                    "created_at": raised_at,
                    "read_at": read_at,
                }
            )

    def _resolve(
        self,
        rng: random.Random,
        history: History,
        team: Team,
        patient: PatientFacts,
        alert: Row,
        day: date,
    ) -> datetime:
        """A suicide-risk screen the same day (no or low risk), then what was done."""
        consultant = team.one_of(day, CareTeamRole.psychiatric_consultant.value)
        leads = team.leads_on(day) or team.told(day)
        by = consultant if consultant and rng.random() < 0.2 else leads[0]
        low = rng.random() < 0.6
        answers = {
            "q1": _YES if low else _NO,
            "q2": _YES if low and rng.random() < 0.5 else _NO,
            "q3": _NO,
            "q4": _NO,
            "q5": _NO,
            "q6": _NO,
        }
        screened_at = minutes_later(rng, alert["raised_at"], 20, 180)
        screen = administered(
            rng,
            patient_id=patient.id,
            scored=self.scorer(self.risk, answers, patient.gender),
            on=screened_at.date(),
            recorded_at=screened_at,
            entered_by=by,
            source="staff",
        )
        history.keep(screen)
        band = screen.scored.result.band
        risk = band.label.lower() if band else "recorded"
        resolved_at = minutes_later(rng, screened_at, 5, 90)
        actions, words = rng.choice(ACTIONS)
        alert.update(
            status="resolved",
            actions=list(actions),
            action_taken=words.format(risk=risk),
            resolved_at=resolved_at,
            resolved_by=by,
            version=2,
        )
        return resolved_at

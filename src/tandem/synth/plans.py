"""Shared care plans of synthetic patients, built from the care plan templates the way the
service applies them (``careplans.service.from_template``): most enrolled patients have one,
started soon after enrolment from the template that fits their programme, its goals agreed,
its activities booked, done, moved on or left overdue over several versions, each version
kept as the service keeps it (a snapshot of the whole plan after the change). Each patient's
plan comes from its own seeded generator, so it does not shift the rest of the population."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tandem.assessments.vocab import NeedDomain, NeedStatus
from tandem.careplans.definitions import PlanTemplate, plan_templates
from tandem.careplans.schemas import Responsible
from tandem.careplans.service.from_template import Party, assign, version_reason
from tandem.careplans.vocab import ActivityStatus, GoalStatus, ResponsibleKind
from tandem.careteams.vocab import PROGRAMMES
from tandem.synth.courses import Course
from tandem.synth.keys import new_uuid
from tandem.synth.pool import Row
from tandem.synth.responses import Team
from tandem.synth.teams import at

# Enrolled patients with a care plan; the rest have none yet.
PLAN_SHARE = 0.85
# Plans that later take in a second template (anxiety beside depression, say).
SECOND_TEMPLATE = 0.15
# Plans whose first version set a next review date (the only change that sets one).
REVIEW_DATE = 0.6
DEPRESSION, ANXIETY, SMI = (
    "depression-collaborative-care",
    "anxiety-collaborative-care",
    "smi-housing-instability",
)
# The template each programme starts from, with relative weights.
TEMPLATES: dict[str, tuple[tuple[str, int], ...]] = {
    PROGRAMMES[0]: ((DEPRESSION, 65), (ANXIETY, 35)),
    PROGRAMMES[1]: ((SMI, 1),),
    PROGRAMMES[2]: ((DEPRESSION, 1),),
    PROGRAMMES[3]: ((DEPRESSION, 60), (ANXIETY, 40)),
}
# How the team records a goal's achievement at each review, by the course of the depression.
ACHIEVEMENT: dict[str, tuple[str, ...]] = {
    Course.improving: ("in-progress", "improving", "achieved"),
    Course.relapsing: ("in-progress", "improving", "worsening"),
    Course.not_improving: ("in-progress", "no-change", "no-change"),
    Course.steady_mild: ("in-progress", "sustaining", "sustaining"),
}
AGREED = "Goals agreed with the patient at the visit."
REVIEWS = (
    "Reviewed at the monthly check-in call.",
    "Caseload review with the psychiatric consultant.",
    "Patient called; appointments booked.",
    "Updated after the visit.",
    "Plan reviewed with the patient and their family.",
    None,
)
OPEN = (ActivityStatus.not_started, ActivityStatus.scheduled, ActivityStatus.in_progress)


@dataclass
class PlanRows:
    """The rows of one patient's care plan (none for a patient without one)."""

    plans: list[Row] = field(default_factory=list)
    versions: list[Row] = field(default_factory=list)
    goals: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    activities: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class _Member:
    """A team member as choosing a responsible party sees them (from_template.TeamMember)."""

    role: str
    user_id: uuid.UUID | None
    name: str
    organization_id: uuid.UUID | None
    organization: str | None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


class _Plan:
    """One plan as it is built, version by version, each version's snapshot what
    ``careplans.service.snapshot_of`` keeps."""

    def __init__(self, rng: random.Random, patient_id: uuid.UUID) -> None:
        self.rng = rng
        self.patient_id = patient_id
        self.rows = PlanRows()
        self.plan: Row = {
            "id": new_uuid(rng),
            "patient_id": patient_id,
            "status": "active",
            "status_reason": None,
            "last_reviewed_at": None,
            "last_reviewed_by": None,
        }
        self.names: dict[uuid.UUID, str] = {}
        self.last: datetime | None = None
        self.kept: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.by_goal: dict[uuid.UUID, list[Row]] = {}

    def moment(self, day: date) -> datetime:
        """A working-hours instant on ``day``, after the plan's last change."""
        drawn = at(self.rng, day)
        if self.last is not None and drawn <= self.last:
            drawn = self.last + timedelta(minutes=self.rng.randint(5, 90))
        self.last = drawn
        return drawn

    def goals(self, status: str | None = None) -> list[Row]:
        return [g for g in self.rows.goals if status is None or g["status"] == status]

    def activities_of(self, goal: Row) -> list[Row]:
        return self.by_goal[goal["id"]]

    def add(self, template: PlanTemplate, parties: list[list[Party]], moment: datetime) -> None:
        """The template's goals and activities, as the service adds them; each row a
        millisecond after the last, so that the plan reads back in the template's order."""
        step = 0
        for item, chosen in zip(template.goals, parties, strict=True):
            created = moment + timedelta(milliseconds=step)
            step += 1
            goal: Row = {
                "id": new_uuid(self.rng),
                "plan_id": self.plan["id"],
                "patient_id": self.patient_id,
                "description": item.description,
                "target": item.target,
                "target_date": item.target_on(moment.date()),
                "status": GoalStatus.proposed.value,
                "achievement": "in-progress",
                "target_measure": None,
                "target_comparator": None,
                "target_score": None,
                "target_set_on": None,
                "status_reason": None,
                "created_at": created,
                "updated_at": created,
            }
            self.rows.goals.append(goal)
            self.by_goal[goal["id"]] = []
            for activity, party in zip(item.activities, chosen, strict=True):
                created = moment + timedelta(milliseconds=step)
                step += 1
                row: Row = {
                    "id": new_uuid(self.rng),
                    "goal_id": goal["id"],
                    "plan_id": self.plan["id"],
                    "patient_id": self.patient_id,
                    "title": activity.title,
                    "kind": activity.kind.value,
                    "responsible_kind": party.responsible.kind.value,
                    "responsible_user_id": party.responsible.user_id,
                    "responsible_organization_id": party.responsible.organization_id,
                    "responsible_related_person_id": party.responsible.related_person_id,
                    "due_on": activity.due_on(moment.date()),
                    "status": ActivityStatus.not_started.value,
                    "status_reason": None,
                    "created_at": created,
                    "updated_at": created,
                }
                self.rows.activities.append(row)
                self.by_goal[goal["id"]].append(row)
                self.names[row["id"]] = party.name

    def link(self, goal: Row, need_id: uuid.UUID) -> None:
        self.rows.links.append(
            {
                "id": new_uuid(self.rng),
                "goal_id": goal["id"],
                "need_id": need_id,
                "patient_id": self.patient_id,
                "status": "active",
            }
        )

    def keep(self, moment: datetime, by: uuid.UUID | None, reason: str | None) -> None:
        """The plan moves to its next version, and the version keeps the whole plan."""
        number = len(self.rows.versions) + 1
        if number == 1:
            self.plan.update(created_at=moment, created_by=by)
        self.plan.update(version=number, updated_at=moment, updated_by=by)
        self.rows.versions.append(
            {
                "id": new_uuid(self.rng),
                "plan_id": self.plan["id"],
                "patient_id": self.patient_id,
                "version": number,
                "snapshot": self.snapshot(),
                "changed_at": moment,
                "changed_by": by,
                "reason": reason,
            }
        )

    def snapshot(self) -> dict[str, Any]:
        """``snapshot_of(plan_read(...))``: the plan's own fields and each goal with its needs
        and activities, as JSON."""
        links: dict[uuid.UUID, list[str]] = {}
        for link in self.rows.links:
            links.setdefault(link["goal_id"], []).append(str(link["need_id"]))
        return {
            "plan": {
                "id": str(self.plan["id"]),
                "status": self.plan["status"],
                "next_review_on": _iso(self.plan["next_review_on"]),
                "last_reviewed_at": None,
            },
            "goals": [
                {
                    "id": str(g["id"]),
                    "description": g["description"],
                    "target": g["target"],
                    "target_date": _iso(g["target_date"]),
                    # The templates' targets are in words: no measure to work achievement from.
                    "target_measure": None,
                    "target_comparator": None,
                    "target_score": None,
                    "target_set_on": None,
                    "status": g["status"],
                    "achievement": g["achievement"],
                    "addresses": sorted(links.get(g["id"], [])),
                    "activities": [self._activity(a) for a in self.activities_of(g)],
                }
                for g in self.rows.goals
            ],
        }

    def _activity(self, a: Row) -> dict[str, Any]:
        # An activity unchanged since the last version is the same in this one.
        key = (a["id"], a["status"], a["due_on"])
        kept = self.kept.get(key)
        if kept is None:
            kept = self.kept[key] = self._activity_now(a)
        return kept

    def _activity_now(self, a: Row) -> dict[str, Any]:
        def text(value: uuid.UUID | None) -> str | None:
            return str(value) if value is not None else None

        return {
            "id": str(a["id"]),
            "goal_id": str(a["goal_id"]),
            "title": a["title"],
            "kind": a["kind"],
            "responsible": {
                "kind": a["responsible_kind"],
                "user_id": text(a["responsible_user_id"]),
                "organization_id": text(a["responsible_organization_id"]),
                "related_person_id": text(a["responsible_related_person_id"]),
                "name": self.names[a["id"]],
            },
            "due_on": _iso(a["due_on"]),
            "status": a["status"],
        }

    def done(self) -> PlanRows:
        self.rows.plans.append(self.plan)
        return self.rows


class PlanMaker:
    """Care plans for one population: who gets one, from which template, and how it went."""

    def __init__(self, namespace: str, seed: int, names: Mapping[uuid.UUID, str]) -> None:
        self.namespace, self.seed, self.names = namespace, seed, names
        self.templates = plan_templates()

    def patient_rng(self, index: int) -> random.Random:
        """Patient ``index``'s own generator: their plan never moves another patient's rows."""
        return random.Random(f"tandem-{self.namespace}:{self.seed}:care-plan:{index}")

    def _team_on(self, members: Sequence[Row], day: date) -> list[_Member]:
        """The members on the team on ``day``, in the order the team lists them."""
        on = [
            m
            for m in members
            if m["start_date"] <= day and (m["end_date"] is None or day < m["end_date"])
        ]
        return [
            _Member(
                role=m["role"],
                user_id=m["user_id"],
                name=self.names.get(m["user_id"], "—") if m["user_id"] else "—",
                organization_id=m["organization_id"],
                organization=self.names.get(m["organization_id"]) if m["organization_id"] else None,
            )
            for m in sorted(on, key=lambda m: (m["role"], m["start_date"]))
        ]

    def _apply(
        self,
        plan: _Plan,
        code: str,
        day: date,
        by: uuid.UUID,
        members: Sequence[Row],
        needs: Sequence[Row],
    ) -> None:
        """One version: the template added, its activities given to the team on that day and
        what no one there does to ``by``, with the note the service writes."""
        template = self.templates[code]
        team = self._team_on(members, day)
        stand_in = Party(
            Responsible(kind=ResponsibleKind.team_member, user_id=by), self.names.get(by, "—")
        )
        parties, notes = assign(template, team, stand_in)
        moment = plan.moment(day)
        before = len(plan.rows.goals)
        plan.add(template, parties, moment)
        if code == SMI:
            housing = next(
                (
                    n
                    for n in needs
                    if n["domain"] == NeedDomain.housing_instability
                    and n["identified_on"] <= day
                    and n["status"] not in (NeedStatus.dismissed, NeedStatus.entered_in_error)
                ),
                None,
            )
            if housing is not None:
                plan.link(plan.rows.goals[before], housing["id"])
        given = plan.rng.choice((None, "Started at the first visit.", None))
        plan.keep(moment, by, version_reason(template, given, notes))

    def make(
        self,
        rng: random.Random,
        *,
        patient_id: uuid.UUID,
        enrolments: Sequence[Row],
        members: list[Row],
        needs: Sequence[Row],
        course: Course | None,
        as_of: date,
    ) -> PlanRows:
        """The patient's plan, for most patients in an open enrolment; else no rows."""
        current = enrolments[-1]
        if current["status"] != "active" or rng.random() >= PLAN_SHARE:
            return PlanRows()
        team = Team(members)
        start = min(as_of, current["start_date"] + timedelta(days=rng.randint(0, 14)))
        lead = next(iter(team.leads_on(start)), None) or team.first_lead()
        if lead is None:
            return PlanRows()
        plan = _Plan(rng, patient_id)
        plan.plan["next_review_on"] = (
            start + timedelta(days=rng.randint(84, 112)) if rng.random() < REVIEW_DATE else None
        )
        choices = TEMPLATES.get(current["programme"], ((DEPRESSION, 1),))
        first = rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
        self._apply(plan, first, start, lead, members, needs)
        days = self._change_days(rng, start, as_of)
        second = ANXIETY if first != ANXIETY else DEPRESSION
        add_second = len(days) > 1 and rng.random() < SECOND_TEMPLATE
        ladder = ACHIEVEMENT.get(course or "", ("in-progress",))
        for number, day in enumerate(days):
            by = team.recorder(rng, day, in_episode=True) or lead
            if add_second and number == len(days) // 2:
                self._apply(plan, second, day, by, members, needs)
                continue
            moment = plan.moment(day)
            reason = AGREED if number == 0 else rng.choice(REVIEWS)
            self._review(plan, rng, day, moment, ladder[min(number, len(ladder) - 1)])
            plan.keep(moment, by, reason)
        return plan.done()

    @staticmethod
    def _change_days(rng: random.Random, start: date, as_of: date) -> list[date]:
        """When the plan changed after it was started: the goals agreed within ten days, then
        up to two reviews, the latest within the last four weeks."""
        if as_of <= start:
            return []
        agreed = min(as_of, start + timedelta(days=rng.randint(0, 10)))
        span = (as_of - agreed).days
        if span < 14:
            return [agreed]
        # The latest review within the last four weeks: the team is still working the plan.
        latest = span - rng.randint(0, min(28, span - 1))
        earlier = min(1, latest // 90)
        between = sorted(rng.sample(range(1, latest), earlier)) if earlier else []
        return [agreed, *(agreed + timedelta(days=d) for d in (*between, latest))]

    @staticmethod
    def _review(
        plan: _Plan, rng: random.Random, day: date, moment: datetime, achieved: str
    ) -> None:
        """What a review changes: proposed goals agreed, activities due by now done, moved on
        (a new due date) or left overdue, those due soon booked; the goals' achievement."""
        for goal in plan.goals():
            if goal["status"] == GoalStatus.proposed:
                goal.update(status=GoalStatus.active.value, updated_at=moment)
            if goal["status"] == GoalStatus.active and goal["achievement"] != achieved:
                goal.update(achievement=achieved, updated_at=moment)
            open_activities = [a for a in plan.activities_of(goal) if a["status"] in OPEN]
            for activity in open_activities:
                due: date = activity["due_on"]
                draw = rng.random()
                if due <= day and draw < 0.6:
                    activity.update(status=ActivityStatus.completed.value, updated_at=moment)
                elif due <= day and draw < 0.9:
                    moved = day + timedelta(days=rng.randint(14, 56))
                    activity.update(
                        status=ActivityStatus.scheduled.value, due_on=moved, updated_at=moment
                    )
                elif due <= day and draw < 0.95:
                    activity.update(status=ActivityStatus.in_progress.value, updated_at=moment)
                elif (
                    due <= day + timedelta(days=14)
                    and activity["status"] == ActivityStatus.not_started
                    and draw < 0.6
                ):
                    activity.update(status=ActivityStatus.scheduled.value, updated_at=moment)
            if (
                achieved == "achieved"
                and goal["status"] == GoalStatus.active
                and all(a["status"] == "completed" for a in plan.activities_of(goal))
            ):
                goal.update(status=GoalStatus.completed.value, updated_at=moment)

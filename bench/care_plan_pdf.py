"""``python -m bench.care_plan_pdf``: the patient's copy of a full care plan drawn as a PDF,
timed in this process (no HTTP, no database): 10 goals and 40 activities, names in several
alphabets, a team of six and a safety plan. This is what ``GET /patients/{id}/care-plan.pdf``
spends beyond its reads; ``python -m bench.run`` times it beside the HTTP scenarios."""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from bench.scenarios import Scenario, Stats, summarise
from tandem.careplans.pdf import render_pdf
from tandem.careplans.printout import (
    PatientFacts,
    PrintedPlan,
    SafetyPlanSection,
    SafetyPlanStep,
    printout,
)
from tandem.careplans.schemas import ActivityRead, GoalRead, PlanRead, ResponsibleRead
from tandem.careteams.schemas import MemberRead

SCENARIO = "care plan PDF drawn (render_pdf, 10 goals and 40 activities, in process)"
TODAY = date(2026, 3, 10)
TEAM = (
    ("lead_care_manager", "Łucja Wójcik-Żak", "+1 555 010 0100"),
    ("primary_care_provider", "Nguyễn Văn Đức", "+1 555 010 0200"),
    ("psychiatric_consultant", "Zoë Παπαδοπούλου", None),
    ("therapist", "Renée Chloé Müller", "+1 555 010 0400"),
    ("social_worker", "José Núñez Ortega", "+1 555 010 0500"),
    ("peer_specialist", "Ola Nordmann", None),
)
STATUSES = ("not-started", "scheduled", "in-progress", "completed")


def member(
    role: str,
    name: str,
    user_id: uuid.UUID | None = None,
    *,
    phone: str | None = None,
    organization_id: uuid.UUID | None = None,
    organization: str | None = None,
) -> MemberRead:
    """An active care-team member as the care team's service reads one (a family member when
    there is no ``user_id``)."""
    return MemberRead(
        id=uuid.uuid4(),
        patient_id=uuid.uuid4(),
        role=role,
        user_id=user_id,
        related_person_id=None if user_id else uuid.uuid4(),
        name=name,
        professional_role=role if user_id else None,
        organization_id=organization_id,
        organization=organization,
        phone=phone,
        email=None,
        start_date=TODAY - timedelta(days=60),
        end_date=None,
        status="active",
        end_reason=None,
        version=1,
    )


def full_plan(goals: int = 10, activities: int = 40) -> PrintedPlan:
    """A long plan as printed: ``activities`` spread over ``goals``, owned round the team."""
    team = [member(role, name, uuid.uuid4(), phone=phone) for role, name, phone in TEAM]
    per_goal = activities // goals
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    plan = PlanRead(
        id=uuid.uuid4(),
        patient_id=uuid.uuid4(),
        status="active",
        version=12,
        next_review_on=TODAY + timedelta(days=90),
        created_at=now - timedelta(days=120),
        updated_at=now,
        updated_by=team[0].name,
        goals=[
            GoalRead(
                id=uuid.uuid4(),
                description=f"Goal {g + 1} in my own words: I want to sleep through the night, "
                "get back to work and see my family at the weekends.",
                target="My PHQ-9 mood score at least 50 % below my first one, then under 5.",
                target_date=TODAY + timedelta(days=30 * (g + 1)),
                status="active",
                achievement="improving",
                addresses=[],
                activities=[
                    ActivityRead(
                        id=uuid.uuid4(),
                        goal_id=uuid.uuid4(),
                        title=f"Activity {g * per_goal + a + 1}: weekly check-in call and "
                        "a PHQ-9 at every contact",
                        kind="check-in-call",
                        responsible=ResponsibleRead(
                            kind="team_member",
                            user_id=team[(g + a) % len(team)].user_id,
                            organization_id=None,
                            related_person_id=None,
                            name=team[(g + a) % len(team)].name,
                        ),
                        due_on=TODAY + timedelta(days=7 * (a + 1) - 14),
                        status=STATUSES[(g + a) % len(STATUSES)],
                    )
                    for a in range(per_goal)
                ],
            )
            for g in range(goals)
        ],
    )
    safety = SafetyPlanSection(
        steps=tuple(
            SafetyPlanStep(heading, ("Something the patient wrote", "And another thing"))
            for heading in (
                "Warning signs",
                "Things I can do on my own",
                "People and places that take my mind off things",
                "People I can ask for help",
                "Professionals and services to call",
                "Making where I live safer",
            )
        ),
        updated_on=TODAY - timedelta(days=3),
    )
    return printout(
        plan,
        patient=PatientFacts("Nguyễn Thị", "Đặng", None, "T0000000001", date(1980, 5, 17), None),
        team=team,
        today=TODAY,
        safety_plan=safety,
    )


def pdf_drawing(count: int, warmup: int) -> list[Stats]:
    """``render_pdf`` on a full plan ``count`` times, after ``warmup`` untimed runs."""
    plan = full_plan()
    for _ in range(warmup):
        render_pdf(plan)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        render_pdf(plan)
        latencies.append(time.perf_counter() - started)
    return [summarise(Scenario(SCENARIO, ()), "in process", latencies, sum(latencies))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.care_plan_pdf", description=__doc__)
    parser.add_argument("--requests", type=int, default=30, help="timed drawings")
    parser.add_argument("--warmup", type=int, default=3, help="untimed drawings first")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    size = len(render_pdf(full_plan()))
    for stat in pdf_drawing(args.requests, args.warmup):
        print(stat)
    print(f"PDF size: {size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The printed care plan without a database: what the patient's copy leaves out and how it says
things, who is called first, when an activity is overdue, and the PDF read back with pypdf
(a full plan, names in several alphabets, the safety plan only when there is one)."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from bench.care_plan_pdf import full_plan, member
from pypdf import PdfReader

from tandem.careplans.pdf import render_pdf
from tandem.careplans.printout import (
    CRISIS_LINES,
    PatientFacts,
    plain_day,
    printout,
    words,
)
from tandem.careplans.schemas import ActivityRead, GoalRead, PlanRead, ResponsibleRead

TODAY = date(2026, 3, 10)
LEAD, PCP = uuid.uuid4(), uuid.uuid4()


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


TEAM = [
    member("primary_care_provider", "Priya Doctor", PCP, phone="+1 555 010 0200"),
    member("family_caregiver", "Ana Garcia", phone="+1 555 010 0300"),
    member("lead_care_manager", "Casey Lead", LEAD, phone="+1 555 010 0100"),
]


def activity(title: str, status: str, due_on: date | None, **party: Any) -> ActivityRead:
    kind = party.pop("kind", "team_member")
    return ActivityRead(
        id=uuid.uuid4(),
        goal_id=uuid.uuid4(),
        title=title,
        kind="check-in-call",
        responsible=ResponsibleRead(
            kind=kind,
            user_id=party.get("user_id"),
            organization_id=party.get("organization_id"),
            related_person_id=None,
            name=party.get("name", "The patient"),
        ),
        due_on=due_on,
        status=status,
    )


def goal(description: str, status: str, activities: list[ActivityRead]) -> GoalRead:
    return GoalRead(
        id=uuid.uuid4(),
        description=description,
        target="Six hours' sleep most nights",
        target_date=date(2026, 6, 1),
        status=status,
        achievement="improving",
        addresses=[],
        activities=activities,
    )


def plan(*goals: GoalRead) -> PlanRead:
    at = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    return PlanRead(
        id=uuid.uuid4(),
        patient_id=uuid.uuid4(),
        status="active",
        version=4,
        next_review_on=None,
        created_at=at,
        updated_at=at,
        updated_by="Casey Lead",
        goals=list(goals),
    )


PATIENT = PatientFacts("Walter", "Walker", "Walt", "T0000000007", date(1975, 2, 3), "Riverside")


def printed(*goals: GoalRead) -> Any:
    return printout(plan(*goals), patient=PATIENT, team=TEAM, today=TODAY)


def test_the_patients_copy_leaves_out_what_was_cancelled_or_stopped() -> None:
    shown = printed(
        goal(
            "Sleep better",
            "active",
            [
                activity("Call", "scheduled", TODAY, user_id=LEAD, name="Casey Lead"),
                activity("Old call", "cancelled", TODAY, user_id=LEAD, name="Casey Lead"),
                activity("Stopped call", "stopped", TODAY, user_id=LEAD, name="Casey Lead"),
            ],
        ),
        goal("Move house", "cancelled", []),
        goal("Walk daily", "proposed", []),
    )
    assert [g.description for g in shown.goals] == ["Sleep better", "Move house", "Walk daily"]
    patient_goals = shown.patient_goals
    assert [g.description for g in patient_goals] == ["Sleep better", "Walk daily"]
    assert [a.title for a in patient_goals[0].activities] == ["Call"]
    assert [g.status for g in patient_goals] == ["Working on it", "To agree together"]
    assert patient_goals[0].activities[0].status == "Booked"


def test_owners_are_named_in_the_patients_words() -> None:
    shown = printed(
        goal(
            "Sleep better",
            "active",
            [
                activity("Call", "not-started", None, user_id=LEAD, name="Casey Lead"),
                activity("Diary", "in-progress", None, kind="patient"),
                activity("Visit", "on-hold", None, user_id=uuid.uuid4(), name="Former Member"),
                activity("Housing", "completed", None, kind="organisation", name="Harbor"),
            ],
        )
    )
    acts = shown.goals[0].activities
    assert [a.who for a in acts] == [
        "Casey Lead, your care manager",
        "You",
        "Former Member",
        "Harbor",
    ]
    assert [a.status for a in acts] == ["Not started yet", "Under way", "On hold for now", "Done"]
    assert acts[1].responsible == "The patient"


def test_an_activity_still_to_do_is_overdue_from_the_day_after_it_was_due() -> None:
    day_before, next_day = date(2026, 3, 9), date(2026, 3, 11)
    shown = printed(
        goal(
            "Sleep better",
            "active",
            [
                activity("Yesterday", "not-started", day_before, kind="patient"),
                activity("Today", "in-progress", TODAY, kind="patient"),
                activity("Tomorrow", "scheduled", next_day, kind="patient"),
                activity("Done late", "completed", day_before, kind="patient"),
                activity("Paused", "on-hold", day_before, kind="patient"),
                activity("No date", "not-started", None, kind="patient"),
            ],
        )
    )
    assert {a.title: a.overdue for a in shown.goals[0].activities} == {
        "Yesterday": True,
        "Today": False,
        "Tomorrow": False,
        "Done late": False,
        "Paused": False,
        "No date": False,
    }


def test_the_lead_care_manager_is_the_first_call_and_family_are_not_listed() -> None:
    shown = printed()
    assert [(c.role, c.name, c.phone) for c in shown.contacts] == [
        ("Your care manager", "Casey Lead", "+1 555 010 0100"),
        ("Your primary care provider", "Priya Doctor", "+1 555 010 0200"),
    ]
    assert shown.patient_name == "Walt Walker"
    assert [line.number for line in shown.crisis_lines] == ["988", "911"]
    assert CRISIS_LINES[0].name == "988 Suicide & Crisis Lifeline"


def test_dates_and_codes_in_words() -> None:
    assert plain_day(date(2026, 3, 4)) == "4 March 2026"
    assert plain_day(date(2027, 12, 31)) == "31 December 2027"
    assert plain_day(None) == ""
    assert words("in-progress") == "In progress"
    assert words("check-in-call") == "Check-in call"
    assert words("team_member") == "Team member"


def test_a_full_plan_prints_every_goal_owner_and_the_crisis_line_in_every_alphabet() -> None:
    plan = full_plan()
    assert len(plan.goals) == 10 and sum(len(g.activities) for g in plan.goals) == 40
    text = pdf_text(render_pdf(plan))
    for number in range(1, 11):
        assert f"Goal {number} in my own words" in text
    for number in (1, 20, 40):
        assert f"Activity {number}: weekly check-in call" in text
    for name in ("Nguyễn Thị Đặng", "Łucja Wójcik-Żak", "Zoë Παπαδοπούλου", "Nguyễn Văn Đức"):
        assert name in text, name
    assert "call or text 988" in text and "Emergency: 911" in text
    assert "My safety plan" in text and "Making where I live safer" in text


def test_without_a_safety_plan_there_is_no_safety_plan_section() -> None:
    plan = replace(full_plan(goals=1, activities=1), safety_plan=None)
    text = pdf_text(render_pdf(plan))
    assert "safety plan" not in text.lower()
    assert "988" in text


def test_a_plan_with_no_goals_says_so_in_plain_words() -> None:
    text = pdf_text(render_pdf(printed()))
    assert "No goals yet: we will agree them together." in text
    assert "For Walt Walker" in text and "Your clinic: Riverside" in text

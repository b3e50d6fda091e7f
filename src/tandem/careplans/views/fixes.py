"""The one click that puts a check right: a link to the form with the change ready, or (for an
overdue activity) a button that marks it completed."""

from __future__ import annotations

from dataclasses import dataclass

from tandem.careplans.schemas import PlanCheck, PlanRead
from tandem.careplans.vocab import Fix


@dataclass(frozen=True)
class OneClick:
    """``href`` to follow, or (``post``) a form to send with ``status``."""

    words: str
    href: str
    post: bool = False
    status: str = ""


def _click(fix: dict[str, str]) -> OneClick | None:
    kind = fix.get("fix")
    goal, activity, need = fix.get("goal_id"), fix.get("activity_id"), fix.get("need_id")
    if kind == Fix.add_goal_for_need and need:
        return OneClick("Add a goal for it", f"/goals/new?need={need}")
    if kind == Fix.add_activity and goal:
        return OneClick("Add an activity", f"/goals/{goal}/activities/new")
    if kind == Fix.reassign_activity and activity:
        return OneClick("Choose who does it now", f"/activities/{activity}")
    if kind == Fix.mark_duplicate_entered_in_error and activity:
        return OneClick("Take the duplicate off", f"/activities/{activity}#withdraw-heading")
    if kind == Fix.complete_activity and activity:
        return OneClick("Mark it completed", f"/activities/{activity}/status", True, "completed")
    if kind == Fix.set_due_date and activity:
        return OneClick("Set a new due date", f"/activities/{activity}#due_on")
    if kind == Fix.change_goal_target and goal:
        return OneClick("Change the target", f"/goals/{goal}#target_measure")
    return None


@dataclass(frozen=True)
class Fixable:
    check: PlanCheck
    clicks: list[OneClick]


def fixes_of(plan: PlanRead | None) -> list[Fixable]:
    """Each check of the plan with its one-click fix first, then the alternatives."""
    if plan is None:
        return []
    found = []
    for check in plan.checks:
        clicks = [c for c in map(_click, [check.fix, *check.alternatives]) if c is not None]
        found.append(Fixable(check, clicks))
    return found

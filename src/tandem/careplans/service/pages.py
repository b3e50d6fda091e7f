"""What the care plan's pages read beyond the plan itself: the needs its goals address, and the
parties and needs an edit may choose from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments.models import Need
from tandem.assessments.service import needs as needs_service
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.capabilities import Capability
from tandem.careplans import repository as repo
from tandem.careplans.rules import diff
from tandem.careplans.schemas import GoalRead, PlanDiff, PlanRead, VersionSummary
from tandem.careplans.service import load, plan_read
from tandem.careplans.service.progress import View, read_facts
from tandem.careteams import service as careteams
from tandem.errors import NotFound
from tandem.people import service as people
from tandem.people.schemas import PatientContactRead, PatientRead


@dataclass
class PlanPage:
    """The plan (None before one is started) and the patient's needs by id, to name them."""

    plan: PlanRead | None
    needs: dict[uuid.UUID, Need] = field(default_factory=dict)


async def plan_page(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    part: tuple[str, uuid.UUID] | None = None,
    full: tuple[PatientRead | PatientContactRead, TrajectorySettings] | None = None,
) -> PlanPage:
    """The patient's plan as its page shows it, with the needs its goals may address. A page
    about one goal or activity names it (``part``: "Goal" or "CareActivity", and its id) and
    the audit event names it too, when the plan has it. The plan's own page asks for it in
    ``full`` (with the chart header it read, and the trajectory settings): each measurable
    goal's achievement worked out from the scores, the checks and the review."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)
    loaded = await load(session, access)
    needs = {need.id: need for need in await needs_service.addressable_needs(session, access)}
    detail: dict[str, Any] | None = None
    view = None
    if loaded:
        detail = {"plan": str(loaded.plan.id), "version": loaded.plan.version}
        if full is not None:
            header, settings = full
            chart = header if isinstance(header, PatientRead) else None
            facts = await read_facts(session, access, header=chart)
            view = View(facts, ctx, settings)
            detail["with"] = facts.read
    record_type, record_id = "CarePlan", None
    known = {g.id for g in loaded.goals} | {a.id for a in loaded.activities} if loaded else set()
    if part and part[1] in known:
        record_type, record_id = part
    audit_patient(session, ctx, access, record_type, record_id, detail=detail)
    return PlanPage(plan_read(loaded, view) if loaded else None, needs)


@dataclass
class Choices:
    """Whom an activity may name as responsible (the needs a goal may address are the plan
    page's)."""

    team: list[tuple[uuid.UUID, str, str]]  # (user id, name, team role)
    family: list[tuple[uuid.UUID, str, str]]  # (related person id, name, relationship)


async def choices(session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID) -> Choices:
    """What an edit of the plan may choose from (the organisations are the directory's)."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    # The team's and the family's names are read to be offered: the event says so.
    audit_patient(session, ctx, access, "CareTeam", detail={"for": "care plan"})
    return Choices(
        team=await careteams.active_staff(session, access),
        family=await people.active_related_persons(session, access),
    )


@dataclass
class HistoryPage:
    """Every version (newest first), the two compared and what changed between them."""

    current: int
    versions: list[VersionSummary]
    first: int
    second: int
    changes: PlanDiff | None
    need_names: dict[str, str]


def chosen(raw: str | None, default: int, newest: int) -> int:
    """A version from the query string; anything odd or out of range means ``default``."""
    try:
        number = int(raw or "")
    except ValueError:
        return default
    return number if 1 <= number <= newest else default


async def history_page(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    first: str | None,
    second: str | None,
) -> HistoryPage:
    """The plan's history, comparing ``first`` with ``second`` (by default the newest version
    and the one before it), in four reads."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)
    row = await repo.current_plan(session, access)
    if row is None:
        raise NotFound("care plan")
    plan = row[0]
    listed = [
        VersionSummary(version=version, changed_at=at, changed_by=by, reason=reason)
        for version, at, by, reason in await repo.versions(session, access, plan.id)
    ]
    newest = plan.version
    to = chosen(second, newest, newest)
    since = chosen(first, max(1, to - 1), newest)
    changes = None
    if since != to:
        found = {r[0]: r[4] for r in await repo.snapshots(session, access, plan.id, [since, to])}
        if since in found and to in found:
            changes = diff(since, found[since], to, found[to])
    needs = await needs_service.addressable_needs(session, access)
    audit_patient(
        session,
        ctx,
        access,
        "CarePlanVersion",
        detail={"plan": str(plan.id), "versions": [since, to]},
    )
    return HistoryPage(
        current=newest,
        versions=list(reversed(listed)),
        first=since,
        second=to,
        changes=changes,
        need_names={str(need.id): need.description for need in needs},
    )


async def goals_by_need(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> dict[uuid.UUID, list[GoalRead]] | None:
    """The plan's live goals (with their activities) that address each of the patient's needs,
    for the Needs tab to show beside each need; None when the patient has no plan yet."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)
    loaded = await load(session, access)
    if loaded is None:
        return None
    audit_patient(session, ctx, access, "CarePlan", detail={"plan": str(loaded.plan.id)})
    found: dict[uuid.UUID, list[GoalRead]] = {}
    for goal in plan_read(loaded).goals:
        for need_id in goal.addresses:
            found.setdefault(need_id, []).append(goal)
    return found

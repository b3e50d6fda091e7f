"""The safety plan: read it, and change it as one change of the care plan (based on the plan's
version, kept in its snapshot), starting the care plan at version 1 when the patient has none."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.capabilities import Capability
from tandem.careplans import repository as repo
from tandem.careplans.models import SafetyPlan, SafetyPlanEntry
from tandem.careplans.rules import NO_PLAN_YET, based_on_or_none, check_entry_ids, etag
from tandem.careplans.schemas import (
    ContactEntry,
    PlanCreate,
    PlanRead,
    SafetyPlanChange,
    SafetyPlanRead,
    WordsEntry,
)
from tandem.careplans.service import (
    Change,
    Done,
    Loaded,
    change_plan,
    create_plan,
    stale,
)
from tandem.careplans.service.safety_read import load_safety_plan, safety_plan_read
from tandem.careplans.vocab import EntryStatus, SafetySection
from tandem.dates import check_clinical_date
from tandem.errors import Conflict, NotFound, PreconditionFailed
from tandem.ids import new_id


@dataclass(frozen=True)
class FoundSafetyPlan:
    """The safety plan as it is now (None: none yet) and the care plan version a change of it
    names (NO_PLAN_YET when the patient has no care plan)."""

    plan_version: int
    safety_plan: SafetyPlanRead | None


async def find_safety_plan(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> FoundSafetyPlan:
    """The patient's safety plan, if they have one, and the plan version to change it from."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_care_plan)
    row = await repo.current_plan(session, access)
    if row is None:
        audit_patient(session, ctx, access, "SafetyPlan", detail={"plan": None})
        return FoundSafetyPlan(NO_PLAN_YET, None)
    loaded = Loaded(row[0], row[1], [], [], [])
    await load_safety_plan(session, access, loaded)
    read = safety_plan_read(loaded)
    # The route names the patient: the event names them, the plan and its version.
    audit_patient(
        session,
        ctx,
        access,
        "SafetyPlan",
        detail={
            "plan": str(loaded.plan.id),
            "version": loaded.plan.version,
            "safety_plan": str(read.id) if read else None,
        },
    )
    return FoundSafetyPlan(loaded.plan.version, read)


async def get_safety_plan(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> SafetyPlanRead:
    """The patient's safety plan (404 when they have none yet)."""
    found = await find_safety_plan(session, ctx, patient_id)
    if found.safety_plan is None:
        raise NotFound("safety plan")
    return found.safety_plan


async def save_safety_plan(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: SafetyPlanChange,
    *,
    if_match: str | None,
    if_none_match: str | None = None,
    whole: bool,
) -> SafetyPlanRead:
    """Change the safety plan: every section (``whole``, a PUT) or those ``data`` names (a
    PATCH). Based on the plan version ``if_match`` names; with ``If-None-Match: *`` (version 0
    from a form) the patient has no care plan yet, and it starts at version 1 with this safety
    plan in it."""
    # Who may change it first: a precondition is no business of someone who may not.
    await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    expected = based_on_or_none(if_match, if_none_match)
    sections = [s for s in SafetySection if whole or s.value in data.model_fields_set]

    async def change(loaded: Loaded, access: PatientAccess) -> Done:
        return await _apply(session, ctx, access, loaded, data, sections)

    if expected != NO_PLAN_YET:
        read = await change_plan(session, ctx, patient_id, etag(expected), data.reason, change)
    else:
        read = await _start_with(session, ctx, patient_id, data, change)
    assert read.safety_plan is not None
    return read.safety_plan


async def _start_with(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: SafetyPlanChange,
    change: Change,
) -> PlanRead:
    """The care plan started with this safety plan in its first version, when the patient has
    none (412 if they have one by now: the change was made on a page read before it existed)."""
    try:
        return await create_plan(session, ctx, patient_id, PlanCreate(reason=data.reason), change)
    except Conflict as exc:
        if exc.extra.get("constraint") == "uq_care_plan_active_patient":
            # Two started at once: the index refused this one, and the transaction is spent.
            raise PreconditionFailed(
                "Someone else started this patient's care plan at the same moment. Reload the "
                "safety plan and make your change again.",
                field="If-Match",
            ) from exc
        if exc.field != "patient_id":
            raise
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    row = await repo.current_plan(session, access)
    assert row is not None  # create_plan found it
    raise stale(row[0].version, row[0].updated_at, row[1])


async def _apply(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    loaded: Loaded,
    data: SafetyPlanChange,
    sections: list[SafetySection],
) -> Done:
    now = ctx.now()
    me = ctx.full_name or ctx.username
    safety_plan = loaded.safety_plan
    action = "U"
    if safety_plan is None:
        safety_plan = SafetyPlan(
            id=new_id(),
            plan_id=loaded.plan.id,
            patient_id=access.patient_id,
            created_at=now,
            created_by=ctx.user_id,
            updated_at=now,
            updated_by=ctx.user_id,
        )
        session.add(safety_plan)
        # Its entries name it: the row goes in first.
        await session.flush()
        loaded.safety_plan, loaded.safety_updated_by, action = safety_plan, me, "C"
    changed = [
        section.value
        for section in sections
        if _replace(session, loaded, safety_plan, section, getattr(data, section.value), now)
    ]
    if "reviewed_on" in data.model_fields_set and data.reviewed_on != safety_plan.reviewed_on:
        if data.reviewed_on is not None:
            check_clinical_date(
                data.reviewed_on,
                field="reviewed_on",
                what="The day it was gone through with the patient",
                today=ctx.clock.today(),
                born=access.patient.birth_date,
            )
        safety_plan.reviewed_on = data.reviewed_on
        safety_plan.reviewed_by = ctx.user_id if data.reviewed_on else None
        loaded.safety_reviewed_by = me if data.reviewed_on else None
        changed.append("reviewed_on")
    if changed and action == "U":
        safety_plan.updated_at, safety_plan.updated_by = now, ctx.user_id
        loaded.safety_updated_by = me
    return "SafetyPlan", safety_plan.id, action, {"changed": changed}


def _replace(
    session: AsyncSession,
    loaded: Loaded,
    safety_plan: SafetyPlan,
    section: SafetySection,
    entries: Sequence[WordsEntry | ContactEntry],
    now: datetime,
) -> bool:
    """Make the section's entries on the plan exactly ``entries``, in order: an entry named by
    id, or one without an id that says just what an entry on the section says, is that entry
    (changed where its words or place changed); the others are added, and the entries left over
    are ended. Whether anything changed."""
    on_plan = {
        e.id: e
        for e in loaded.safety_entries
        if e.section == section and e.status == EntryStatus.active
    }
    check_entry_ids(section.value, [e.id for e in entries], set(on_plan))
    named = {e.id for e in entries if e.id is not None}
    unnamed: dict[str, list[SafetyPlanEntry]] = {}
    for row in sorted(on_plan.values(), key=lambda r: r.position):
        if row.id not in named:
            unnamed.setdefault(row.text, []).append(row)
    changed = False
    for position, entry in enumerate(entries):
        text, phone = _words(entry)
        if entry.id is not None:
            row = on_plan.pop(entry.id)
        elif unnamed.get(text):
            row = unnamed[text].pop(0)
            on_plan.pop(row.id)
        else:
            row = SafetyPlanEntry(
                id=new_id(),
                safety_plan_id=safety_plan.id,
                patient_id=safety_plan.patient_id,
                section=section.value,
                position=position,
                text=text,
                phone=phone,
                status=EntryStatus.active,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            loaded.safety_entries.append(row)
            changed = True
            continue
        if (row.text, row.phone, row.position) != (text, phone, position):
            row.text, row.phone, row.position, row.updated_at = text, phone, position, now
            changed = True
    for row in on_plan.values():
        row.status, row.updated_at = EntryStatus.ended, now
        changed = True
    return changed


def _words(entry: WordsEntry | ContactEntry) -> tuple[str, str | None]:
    if isinstance(entry, ContactEntry):
        return entry.name, entry.phone
    return entry.text, None

"""The safety plan as the care plan reads it: loaded with the plan (one statement), shown in
its answers and kept in its versions with the crisis lines it listed then."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.proof import PatientAccess
from tandem.careplans import repository as repo
from tandem.careplans.crisis_lines import crisis_lines
from tandem.careplans.schemas import ContactEntryRead, SafetyPlanRead, WordsEntryRead
from tandem.careplans.vocab import CONTACT_SECTIONS, EntryStatus, SafetySection

if TYPE_CHECKING:
    from tandem.careplans.service import Loaded


async def load_safety_plan(session: AsyncSession, access: PatientAccess, loaded: Loaded) -> None:
    """The plan's safety plan and its entries, in one statement."""
    for safety_plan, reviewer, changer, entry in await repo.safety_plan(
        session, access, loaded.plan.id
    ):
        loaded.safety_plan, loaded.safety_reviewed_by, loaded.safety_updated_by = (
            safety_plan,
            reviewer,
            changer,
        )
        if entry is not None:
            loaded.safety_entries.append(entry)


def safety_plan_read(loaded: Loaded) -> SafetyPlanRead | None:
    """The safety plan as the API shows it: each section's entries in order, with the crisis
    lines every plan lists."""
    safety_plan = loaded.safety_plan
    if safety_plan is None:
        return None
    sections: dict[str, list[Any]] = {section.value: [] for section in SafetySection}
    for entry in sorted(loaded.safety_entries, key=lambda e: (e.position, str(e.id))):
        if entry.status != EntryStatus.active:
            continue
        if entry.section in CONTACT_SECTIONS:
            sections[entry.section].append(
                ContactEntryRead(id=entry.id, name=entry.text, phone=entry.phone)
            )
        elif entry.section in sections:
            sections[entry.section].append(WordsEntryRead(id=entry.id, text=entry.text))
    return SafetyPlanRead(
        id=safety_plan.id,
        plan_id=safety_plan.plan_id,
        plan_version=loaded.plan.version,
        reviewed_on=safety_plan.reviewed_on,
        reviewed_by=loaded.safety_reviewed_by,
        updated_at=safety_plan.updated_at,
        updated_by=loaded.safety_updated_by,
        crisis_lines=list(crisis_lines()),
        **sections,
    )


def safety_snapshot(safety: dict[str, Any]) -> dict[str, Any]:
    """What a version keeps of the safety plan (as JSON): the review, the crisis lines it
    listed, and each section's lines."""
    return {
        "id": safety["id"],
        "reviewed_on": safety["reviewed_on"],
        "reviewed_by": safety["reviewed_by"],
        "crisis_lines": safety["crisis_lines"],
        "sections": {section.value: safety[section.value] for section in SafetySection},
    }

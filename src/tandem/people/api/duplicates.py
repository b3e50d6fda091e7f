"""JSON routes for the potential-duplicates queue (privacy officer; administrators: ids only)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from tandem.deps import Ctx, SessionDep
from tandem.people.schemas import DuplicateResolve, PotentialDuplicateRead
from tandem.people.service import duplicates
from tandem.people.vocab import DuplicateStatus

router = APIRouter(prefix="/potential-duplicates", tags=["potential duplicates"])

StatusFilter = Literal["open", "linked", "dismissed", "merge_later", "all"]


def status_filter(status: str) -> DuplicateStatus | None:
    """The queue's filter: one status, or None for every question ever raised."""
    return None if status == "all" else DuplicateStatus(status)


@router.get("", response_model=list[PotentialDuplicateRead])
async def list_questions(
    session: SessionDep, ctx: Ctx, status: StatusFilter = "open"
) -> list[PotentialDuplicateRead]:
    """The queue, newest first; the two patients' names, MRNs and birth dates for the privacy
    officer only."""
    return await duplicates.list_questions(session, ctx, status=status_filter(status))


@router.get("/{question_id}", response_model=PotentialDuplicateRead)
async def get_question(
    session: SessionDep, ctx: Ctx, question_id: uuid.UUID
) -> PotentialDuplicateRead:
    return await duplicates.get_question(session, ctx, question_id)


@router.post("/{question_id}/resolve", response_model=PotentialDuplicateRead)
async def resolve_question(
    session: SessionDep, ctx: Ctx, question_id: uuid.UUID, data: DuplicateResolve
) -> PotentialDuplicateRead:
    """Linked, dismissed or merge later, with a note; 409 if already decided or stale."""
    return await duplicates.resolve_question(session, ctx, question_id, data)

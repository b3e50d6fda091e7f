"""The potential-duplicates queue: registrations that may be the same person.

A clinician who registers a patient, or adds an identifier, that matches a record they may not
see is told nothing (that would confirm the hidden patient exists); the pair goes to this queue
instead, where the privacy officer links, dismisses or marks it for a later merge, as master
patient indexes do. Administrators may work the queue with ids and matched fields only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.service import may, require_staff
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.errors import Conflict, found
from tandem.ids import new_id
from tandem.people import repository as repo
from tandem.people.models import Patient, PotentialDuplicate
from tandem.people.rules import display_name
from tandem.people.schemas import DuplicateParty, DuplicateResolve, PotentialDuplicateRead
from tandem.people.vocab import DuplicateStatus
from tandem.records import check_version


async def open_questions(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    others: Sequence[uuid.UUID],
    *,
    matched: list[str],
) -> None:
    """Queue each (patient, other) pair; a pair already open is left as it is."""
    # What the caller has written so far is flushed outside the savepoints below, so that only
    # the question itself is undone when the same pair is already open.
    await session.flush()
    for other in others:
        if other == access.patient_id:
            continue
        question = PotentialDuplicate(
            id=new_id(),
            patient_id=access.patient_id,
            other_patient_id=other,
            matched=matched,
            status=DuplicateStatus.open,
            raised_by=ctx.user_id,
            raised_at=ctx.now(),
        )
        try:
            # begin_nested() flushes what is pending before the SAVEPOINT: add inside it, or a
            # refused question would stay pending and fail again at commit.
            async with session.begin_nested():
                session.add(question)
                await session.flush()
        except IntegrityError:
            continue  # the same pair is already waiting for the privacy officer
        audit.record(
            session,
            ctx,
            action="C",
            record_type="PotentialDuplicate",
            record_id=question.id,
            patient_id=access.patient_id,
            purpose=access.purpose,
            detail={"matched": matched},
        )


async def list_questions(
    session: AsyncSession, ctx: AccessContext, *, status: DuplicateStatus | None
) -> list[PotentialDuplicateRead]:
    """The queue, newest first; identifying details for the privacy officer only."""
    staff = require_staff(session, ctx, Capability.review_duplicates)
    rows = await repo.potential_duplicates(session, staff, status=status)
    audit.record(
        session,
        ctx,
        action="E",
        record_type="PotentialDuplicate",
        purpose="HOPERAT",
        detail={"status": status or "all", "listed": len(rows)},
    )
    return await _reads(session, ctx, rows)


async def get_question(
    session: AsyncSession, ctx: AccessContext, question_id: uuid.UUID
) -> PotentialDuplicateRead:
    staff = require_staff(session, ctx, Capability.review_duplicates)
    question = found(
        await repo.potential_duplicate(session, staff, question_id), "possible duplicate"
    )
    _audit(session, ctx, question, action="R")
    return (await _reads(session, ctx, [question]))[0]


async def resolve_question(
    session: AsyncSession, ctx: AccessContext, question_id: uuid.UUID, data: DuplicateResolve
) -> PotentialDuplicateRead:
    """Record the decision with a note; the question leaves the open queue, never the history."""
    staff = require_staff(session, ctx, Capability.review_duplicates)
    question = found(
        await repo.potential_duplicate(session, staff, question_id), "possible duplicate"
    )
    check_version(question, data.version)
    if question.status != DuplicateStatus.open:
        # Decisions are not overwritten: a second one is a conflict, like a stale version.
        raise Conflict("This question has already been decided.", field="outcome")
    question.status = DuplicateStatus(data.outcome.value)
    question.note = data.note
    question.resolved_by = ctx.user_id
    question.resolved_at = ctx.now()
    await session.flush()
    _audit(session, ctx, question, action="U", detail={"outcome": data.outcome, "note": data.note})
    return (await _reads(session, ctx, [question]))[0]


def _audit(
    session: AsyncSession,
    ctx: AccessContext,
    question: PotentialDuplicate,
    *,
    action: str,
    detail: dict[str, object] | None = None,
) -> None:
    # Both records are the question's subject: each patient's log shows the reading (the care
    # team's view of the log leaves these events out, see audit.service).
    for patient_id in (question.patient_id, question.other_patient_id):
        audit.record(
            session,
            ctx,
            action=action,
            record_type="PotentialDuplicate",
            record_id=question.id,
            patient_id=patient_id,
            purpose="HOPERAT",
            detail=detail,
        )


async def _reads(
    session: AsyncSession, ctx: AccessContext, rows: Sequence[PotentialDuplicate]
) -> list[PotentialDuplicateRead]:
    parties: dict[uuid.UUID, Patient] = {}
    if rows and may(ctx, Capability.review_duplicate_details):
        details = require_staff(session, ctx, Capability.review_duplicate_details)
        ids = {r.patient_id for r in rows} | {r.other_patient_id for r in rows}
        parties = await repo.duplicate_parties(session, details, sorted(ids))
    names = await repo.usernames(
        session, [u for r in rows for u in (r.raised_by, r.resolved_by) if u is not None]
    )
    return [
        PotentialDuplicateRead(
            id=r.id,
            patient_id=r.patient_id,
            other_patient_id=r.other_patient_id,
            matched=list(r.matched),
            status=r.status,
            raised_at=r.raised_at,
            raised_by=names.get(r.raised_by) if r.raised_by else None,
            resolved_at=r.resolved_at,
            resolved_by=names.get(r.resolved_by) if r.resolved_by else None,
            note=r.note,
            version=r.version,
            patient=_party(parties.get(r.patient_id)),
            other=_party(parties.get(r.other_patient_id)),
        )
        for r in rows
    ]


def _party(patient: Patient | None) -> DuplicateParty | None:
    if patient is None:
        return None
    return DuplicateParty(
        id=patient.id,
        mrn=patient.mrn,
        display_name=display_name(patient.given_name, patient.family_name, patient.preferred_name),
        birth_date=patient.birth_date,
        status=patient.status,
    )


__all__ = ["get_question", "list_questions", "open_questions", "resolve_question"]

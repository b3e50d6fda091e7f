"""Needs: candidates from positive social-needs answers, confirmed with the patient or
dismissed with a reason, then addressed and resolved (FHIR Condition, health-concern)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments import repository as repo
from tandem.assessments.definitions import instrument
from tandem.assessments.models import Need, NeedEvent, Response
from tandem.assessments.rules import OPEN_NEED_STATUSES, Result, check_need_transition
from tandem.assessments.schemas import (
    LinkedNeed,
    NeedCreate,
    NeedEventRead,
    NeedRead,
    NeedStatusChange,
)
from tandem.assessments.vocab import DOMAIN_LABELS, NeedDomain, NeedStatus
from tandem.capabilities import Capability
from tandem.errors import ValidationProblem
from tandem.ids import new_id
from tandem.records import current


def domain_label(domain: str) -> str:
    try:
        return DOMAIN_LABELS[NeedDomain(domain)]
    except ValueError:
        return domain.replace("-", " ").capitalize()


async def identify_from_screen(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    response: Response,
    result: Result,
) -> list[Need]:
    """A candidate need per positive domain; an open need in the domain gains the evidence."""
    if not result.needs:
        return []
    title = d.title if (d := instrument(response.instrument)) else response.instrument
    response_key = str(response.id)
    known = await repo.needs(session, access)
    open_needs = {n.domain: n for n in known if n.status in OPEN_NEED_STATUSES}
    # A need already holding this response's evidence covers its domain whatever its status:
    # an amended screen updates that evidence, and never raises a dismissed need again.
    holding = {
        n.domain: n for n in known if any(e.get("response_id") == response_key for e in n.evidence)
    }
    created = []
    for positive in result.needs:
        evidence = {
            "response_id": response_key,
            "instrument": response.instrument,
            "answered_on": response.answered_on.isoformat(),
            "items": list(positive.evidence),
        }
        existing = holding.get(positive.domain) or open_needs.get(positive.domain)
        if existing is not None:
            if evidence not in existing.evidence:
                held = positive.domain in holding
                existing.evidence = (
                    [
                        evidence if e.get("response_id") == response_key else e
                        for e in existing.evidence
                    ]
                    if held
                    else [*existing.evidence, evidence]
                )
                existing.updated_at = ctx.now()
                await session.flush()
                audit_patient(
                    session,
                    ctx,
                    access,
                    "Need",
                    existing.id,
                    action="U",
                    detail={("evidence_updated" if held else "evidence_added"): response_key},
                )
            continue
        need = Need(
            id=new_id(),
            patient_id=access.patient_id,
            domain=positive.domain,
            description=f"{domain_label(positive.domain)}: screened positive on {title}",
            status="identified",
            origin="screen",
            evidence=[evidence],
            identified_on=response.answered_on,
            created_by=ctx.user_id,
            created_at=ctx.now(),
            updated_at=ctx.now(),
        )
        session.add(need)
        _event(session, ctx, need, None, "identified", f"Positive answers on {title}")
        await session.flush()
        audit_patient(
            session,
            ctx,
            access,
            "Need",
            need.id,
            action="C",
            detail={"domain": need.domain, "status": "identified"},
        )
        created.append(need)
    return created


async def withdraw_candidates(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    response: Response,
    result: Result | None,
    reason: str,
) -> None:
    """After a correction: drop this response's evidence where the domain is no longer positive.
    An unconfirmed need left with no evidence is marked entered in error; needs the team has
    confirmed with the patient stay."""
    still_positive = {n.domain for n in result.needs} if result else set()
    for need in await repo.needs(session, access):
        mine = [e for e in need.evidence if e.get("response_id") == str(response.id)]
        if not mine or need.domain in still_positive:
            continue
        need.evidence = [e for e in need.evidence if e.get("response_id") != str(response.id)]
        need.updated_at = ctx.now()
        if need.status == "identified" and not need.evidence:
            _event(session, ctx, need, need.status, NeedStatus.entered_in_error, reason)
            need.status = NeedStatus.entered_in_error
            need.status_reason = reason[:500]
        await session.flush()
        audit_patient(
            session,
            ctx,
            access,
            "Need",
            need.id,
            action="U",
            detail={"evidence_removed": str(response.id), "status": need.status},
        )


async def needs_from_response(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> list[LinkedNeed]:
    """Needs a response is evidence for; read as part of the response (its audit covers it)."""
    wanted = str(response_id)
    return [
        LinkedNeed(id=n.id, domain=n.domain, description=n.description, status=n.status)
        for n in await repo.needs(session, access)
        if any(e.get("response_id") == wanted for e in n.evidence)
    ]


async def _move(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    need: Need,
    to: str,
    *,
    note: str | None,
    detail: dict[str, object],
) -> None:
    """Move a need to status ``to``: the step in its history (with ``note``), the change, and
    its audit event (the two statuses and ``detail``)."""
    before = need.status
    _event(session, ctx, need, before, to, note)
    need.status = to
    need.updated_at = ctx.now()
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "Need",
        need.id,
        action="U",
        detail={"status": [before, to], **detail},
    )


def _event(
    session: AsyncSession,
    ctx: AccessContext,
    need: Need,
    before: str | None,
    after: str,
    reason: str | None,
) -> None:
    session.add(
        NeedEvent(
            id=new_id(),
            patient_id=need.patient_id,
            need_id=need.id,
            from_status=before,
            to_status=after,
            reason=reason[:500] if reason else None,
            by_user=ctx.user_id,
            at=ctx.now(),
        )
    )


async def list_needs(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID
) -> list[NeedRead]:
    """Every need with its history, newest first."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_needs)
    needs = await repo.needs(session, access)
    audit_patient(session, ctx, access, "Need", detail={"count": len(needs)})
    return await _read_all(session, access, needs)


async def _read_all(session: AsyncSession, access: PatientAccess, needs: Any) -> list[NeedRead]:
    history: dict[uuid.UUID, list[NeedEventRead]] = {}
    for event, name in await repo.need_events(session, access, [n.id for n in needs]):
        history.setdefault(event.need_id, []).append(
            NeedEventRead(
                from_status=event.from_status,
                to_status=event.to_status,
                reason=event.reason,
                by=name,
                at=event.at,
            )
        )
    reads = []
    for need in needs:
        read = NeedRead.model_validate(need)
        read.history = history.get(need.id, [])
        reads.append(read)
    return reads


async def add_need(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: NeedCreate
) -> NeedRead:
    """A need a team member recorded (clinical or social), usually already confirmed."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.manage_needs)
    if data.status not in ("identified", "confirmed", "being_addressed"):
        raise ValidationProblem("A new need starts as identified or confirmed.", field="status")
    need = Need(
        id=new_id(),
        patient_id=patient_id,
        domain=data.domain,
        description=data.description.strip(),
        status=data.status,
        origin="staff",
        evidence=[],
        identified_on=ctx.clock.today(),
        created_by=ctx.user_id,
        created_at=ctx.now(),
        updated_at=ctx.now(),
    )
    session.add(need)
    _event(session, ctx, need, None, data.status, None)
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "Need",
        need.id,
        action="C",
        detail={"domain": need.domain, "status": need.status},
    )
    return (await _read_all(session, access, [need]))[0]


async def change_need_status(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    need_id: uuid.UUID,
    data: NeedStatusChange,
) -> NeedRead:
    """Confirm with the patient, dismiss with a reason, start addressing, resolve, re-open."""
    access = await require_patient(session, ctx, patient_id, capability=Capability.manage_needs)
    need = current(await repo.need(session, access, need_id), data.version, "need")
    # A note of only spaces is no note.
    reason = (data.reason or "").strip() or None
    check_need_transition(need.status, data.status, reason)
    need.status_reason = reason
    await _move(session, ctx, access, need, data.status, note=reason, detail={"reason": reason})
    return (await _read_all(session, access, [need]))[0]


async def confirm_for_assessment(
    session: AsyncSession, ctx: AccessContext, access: PatientAccess, need: Need
) -> None:
    """A candidate need chosen in a comprehensive assessment is confirmed by it."""
    if need.status != NeedStatus.identified:
        return
    note = "Confirmed in the comprehensive assessment"
    await _move(session, ctx, access, need, NeedStatus.confirmed, note=note, detail={})


# -- what other domains ask of needs (their named surface) ----------------------------------


async def addressable_needs(session: AsyncSession, access: PatientAccess) -> list[Need]:
    """The patient's needs a care-plan goal may address: every one not dismissed or entered in
    error."""
    closed = {NeedStatus.dismissed, NeedStatus.entered_in_error}
    return [need for need in await repo.needs(session, access) if need.status not in closed]


async def addressable_need_ids(session: AsyncSession, access: PatientAccess) -> set[uuid.UUID]:
    """The patient's needs a care-plan goal may address: every one not dismissed or entered in
    error."""
    closed = {NeedStatus.dismissed, NeedStatus.entered_in_error}
    return {need.id for need in await repo.needs(session, access) if need.status not in closed}

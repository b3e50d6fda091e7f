"""Administering instruments: score, store the response and its coded observations, raise
safety alerts and candidate needs; amend or withdraw a response and recompute everything."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient
from tandem.access.service import require_patient
from tandem.assessments import repository as repo
from tandem.assessments.definitions import Instrument, instrument
from tandem.assessments.models import Response, SafetyAlert
from tandem.assessments.rules import (
    AnswerProblems,
    Answers,
    Result,
    changed_items,
    check_answers,
    codes_of,
    score,
)
from tandem.assessments.schemas import (
    EnteredInError,
    InstrumentLink,
    ItemAnswer,
    ResponseAmend,
    ResponseCreate,
    ResponseRead,
)
from tandem.assessments.service import needs as needs_service
from tandem.assessments.service import safety
from tandem.assessments.service.observations import derive_observations, withdraw_observations
from tandem.assessments.service.revisions import keep_revision, revision_history
from tandem.capabilities import Capability
from tandem.dates import check_clinical_date
from tandem.errors import ValidationProblem, found
from tandem.ids import new_id
from tandem.records import current
from tandem.vocab import RecordStatus


def known_instrument(code: str) -> Instrument:
    found = instrument(code)
    if found is None:
        raise ValidationProblem(f"There is no instrument called '{code[:40]}'.", field="instrument")
    return found


def check_answered_on(access: PatientAccess, answered_on: date | None, today: date) -> date:
    """Today by default; not before 1900 or the patient's birth, not in the future."""
    return check_clinical_date(
        answered_on or today,
        field="answered_on",
        what="The date answered",
        today=today,
        born=access.patient.birth_date,
    )


def check_submission(
    access: PatientAccess,
    definition: Instrument,
    answered_on: date | None,
    raw_answers: dict[str, Any],
    ctx: AccessContext,
) -> tuple[date, Answers]:
    """The date and the answers, checked together so that every problem is named at once."""
    problems: dict[str, str] = {}
    checked_on = ctx.clock.today()
    try:
        checked_on = check_answered_on(access, answered_on, ctx.clock.today())
    except ValidationProblem as exc:
        problems[exc.field or "answered_on"] = exc.message
    answers: Answers = {}
    try:
        answers = check_answers(definition, raw_answers)
    except AnswerProblems as exc:
        problems.update(exc.problems)
    if problems:
        raise AnswerProblems(problems)
    return checked_on, answers


async def administer(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, data: ResponseCreate
) -> ResponseRead:
    """Record a completed instrument; its score, band, flags and needs follow at once."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.record_measurements
    )
    definition = known_instrument(data.instrument)
    answered_on, answers = check_submission(access, definition, data.answered_on, data.answers, ctx)
    result = score(definition, answers, sex=access.patient.gender)
    now = ctx.now()
    response = Response(
        id=new_id(),
        patient_id=patient_id,
        instrument=definition.code,
        instrument_version=definition.version,
        status="completed",
        answered_on=answered_on,
        source=data.source,
        answers=answers,
        entered_by=ctx.user_id,
        recorded_at=now,
        updated_at=now,
    )
    _apply(response, result)
    session.add(response)
    await session.flush()
    await derive_observations(session, access, definition, response, result, now=now)
    audit_patient(
        session,
        ctx,
        access,
        "QuestionnaireResponse",
        response.id,
        action="C",
        detail={"instrument": definition.code, "score": result.total, "band": response.band},
    )
    alerts = await safety.raise_alerts(session, ctx, access, response, result.flags)
    needs = await needs_service.identify_from_screen(session, ctx, access, response, result)
    fresh = Fresh(alerts=alerts, needs_may_be_linked=bool(result.needs))
    read = await read_response(session, ctx, access, response, fresh=fresh)
    read.alerts_raised = [a.id for a in alerts]
    read.needs_identified = [n.id for n in needs]
    return read


@dataclass(frozen=True)
class Fresh:
    """What a response just recorded already knows of itself, so that its read does not ask
    the database again: it has no earlier versions, its alerts are the ones it raised, and it
    is evidence for needs only if its screen found any."""

    alerts: list[SafetyAlert]
    needs_may_be_linked: bool


def _apply(response: Response, result: Result) -> None:
    response.total_score = result.total
    response.band = result.band.code if result.band else None
    response.band_level = result.band.level if result.band else None
    response.flags = [f.code for f in result.flags]


async def list_responses(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    instrument_code: str | None = None,
) -> list[ResponseRead]:
    """A patient's responses, newest first (withdrawn ones included, marked as such)."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.read_measurements
    )
    rows = await repo.responses(session, access, instrument=instrument_code)
    audit_patient(session, ctx, access, "QuestionnaireResponse", detail={"count": len(rows)})
    return [summarise_response(r.record, r.name) for r in rows]


async def get_response(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, response_id: uuid.UUID
) -> ResponseRead:
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.read_measurements
    )
    response = found(await repo.response(session, access, response_id), "response")
    audit_patient(session, ctx, access, "QuestionnaireResponse", response.id)
    return await read_response(session, ctx, access, response)


async def amend_response(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    data: ResponseAmend,
) -> ResponseRead:
    """Correct the answers (with a reason); score, observations, alerts and needs follow."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.record_measurements
    )
    response = current(await repo.response(session, access, response_id), data.version, "response")
    if response.status == RecordStatus.entered_in_error:
        raise ValidationProblem("This response was marked entered in error.", field="status")
    definition = known_instrument(response.instrument)
    # A correction that names no date keeps the date answered; today would move the response.
    answered_on, answers = check_submission(
        access, definition, data.answered_on or response.answered_on, data.answers, ctx
    )
    result = score(definition, answers, sex=access.patient.gender)
    _keep_revision(session, ctx, response, "amended", data.reason)
    before = {"score": response.total_score, "band": response.band}
    response.answers = answers
    response.answered_on = answered_on
    response.status = "amended"
    response.status_reason = data.reason
    response.instrument_version = definition.version
    response.updated_at = ctx.now()
    _apply(response, result)
    await session.flush()
    await derive_observations(
        session, access, definition, response, result, now=ctx.now(), amend=True
    )
    audit_patient(
        session,
        ctx,
        access,
        "QuestionnaireResponse",
        response.id,
        action="U",
        detail={
            "status": "amended",
            "score": [before["score"], result.total],
            "band": [before["band"], response.band],
            "reason": data.reason,
        },
    )
    reason = f"The response was amended: {data.reason}"
    alerts = await safety.follow_amendment(session, ctx, access, response, result.flags, reason)
    await needs_service.withdraw_candidates(session, ctx, access, response, result, reason)
    needs = await needs_service.identify_from_screen(session, ctx, access, response, result)
    read = await read_response(session, ctx, access, response)
    read.alerts_raised = [a.id for a in alerts]
    read.needs_identified = [n.id for n in needs]
    return read


async def mark_response_entered_in_error(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    data: EnteredInError,
) -> ResponseRead:
    """Withdraw a response recorded by mistake: it stays in the history but counts nowhere."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.record_measurements
    )
    response = current(await repo.response(session, access, response_id), data.version, "response")
    if response.status == RecordStatus.entered_in_error:
        raise ValidationProblem(
            "This response was already marked entered in error.", field="status"
        )
    _keep_revision(session, ctx, response, RecordStatus.entered_in_error, data.reason)
    response.status = RecordStatus.entered_in_error
    response.status_reason = data.reason
    response.updated_at = ctx.now()
    await session.flush()
    await withdraw_observations(session, access, response)
    audit_patient(
        session,
        ctx,
        access,
        "QuestionnaireResponse",
        response.id,
        action="U",
        detail={"status": RecordStatus.entered_in_error, "reason": data.reason},
    )
    reason = f"The response was marked entered in error: {data.reason}"
    await safety.follow_amendment(session, ctx, access, response, (), reason)
    await needs_service.withdraw_candidates(session, ctx, access, response, None, reason)
    return await read_response(session, ctx, access, response)


def _keep_revision(
    session: AsyncSession, ctx: AccessContext, response: Response, change: str, reason: str
) -> None:
    keep_revision(
        session,
        ctx,
        response,
        record_type="QuestionnaireResponse",
        snapshot={
            "status": response.status,
            "answered_on": response.answered_on.isoformat(),
            "answers": response.answers,
            "total_score": response.total_score,
            "band": response.band,
            "flags": response.flags,
        },
        change=change,
        reason=reason,
    )


def summarise_response(response: Response, entered_by: str | None) -> ResponseRead:
    definition = instrument(response.instrument)
    band = definition.band(response.band) if definition else None
    raised = [f for f in (definition.flags if definition else ()) if f.code in response.flags]
    prompts = [found for f in raised if f.prompt and (found := instrument(f.prompt))]
    return ResponseRead(
        id=response.id,
        patient_id=response.patient_id,
        instrument=response.instrument,
        instrument_title=definition.title if definition else response.instrument,
        instrument_version=response.instrument_version,
        status=response.status,
        answered_on=response.answered_on,
        source=response.source,
        total_score=response.total_score,
        score_max=definition.scoring.max if definition and definition.has_score else None,
        band=response.band,
        band_label=band.label if band else None,
        band_level=response.band_level,
        flags=list(response.flags),
        flag_messages=[f.message for f in raised],
        next_instruments=[InstrumentLink(code=i.code, title=i.title) for i in prompts],
        entered_by=entered_by,
        recorded_at=response.recorded_at,
        status_reason=response.status_reason,
        version=response.version,
    )


async def read_response(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    response: Response,
    *,
    fresh: Fresh | None = None,
) -> ResponseRead:
    """The whole response: item answers, what changed since the last one, and its history."""
    if fresh is not None and response.entered_by == ctx.user_id and ctx.full_name is not None:
        entered_by: str | None = ctx.full_name
    else:
        entered_by = (await repo.user_names(session, [response.entered_by])).get(
            response.entered_by
        )
    read = summarise_response(response, entered_by)
    definition = known_instrument(response.instrument)
    previous = await repo.previous_response(session, access, response)
    previous_answers: Answers | None = previous.answers if previous else None
    changes = changed_items(definition, response.answers, previous_answers)
    read.items = [
        _item_answer(definition, link_id, response.answers, changes)
        for link_id in (item.link_id for item in definition.items)
    ]
    if previous is not None:
        read.previous_on = previous.answered_on
        read.previous_score = previous.total_score
        if previous.total_score is not None and response.total_score is not None:
            read.score_change = response.total_score - previous.total_score
    if fresh is None:
        read.revisions = await revision_history(session, access, response.id)
        read.safety_alerts = await safety.alerts_of_response(session, access, response.id)
    else:
        read.revisions = []
        read.safety_alerts = safety.raised_read(fresh.alerts)
    if fresh is None or fresh.needs_may_be_linked:
        read.linked_needs = await needs_service.needs_from_response(session, access, response.id)
    else:
        read.linked_needs = []
    return read


def _item_answer(
    definition: Instrument,
    link_id: str,
    answers: dict[str, Any],
    changes: dict[str, tuple[int | None, int | None]],
) -> ItemAnswer:
    item = definition.item(link_id)
    codes = codes_of(answers.get(link_id))
    options = [definition.option(item, c) for c in codes]
    values = [o.value for o in options if o is not None and o.value is not None]
    change = changes.get(link_id)
    return ItemAnswer(
        link_id=link_id,
        text=item.text,
        short=item.short,
        codes=codes,
        displays=[o.display if o else c for o, c in zip(options, codes, strict=True)],
        value=sum(values) if values else None,
        changed=change is not None,
        changed_from=change[0] if change else None,
    )


async def safety_banner(
    session: AsyncSession, access: PatientAccess
) -> tuple[list[SafetyAlert], datetime | None]:
    """What the chart's safety banner shows: the open alerts and when the suicide-risk screen
    was last recorded, which only matters while an alert is open (it asks for a screen after
    it): without one, it is not asked. The caller has proven read_safety and audited the chart
    read."""
    open_alerts = [row.record for row in await repo.alerts(session, access, active_only=True)]
    if not open_alerts:
        return [], None
    return open_alerts, await repo.last_recorded(session, access, "suicide-risk")

"""Safety alerts: raised at once by a response, shown on every page of the chart, and kept
until a team member records what was done (FHIR Flag, category safety)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.capabilities import permissions
from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.recording import audit_patient, end_record
from tandem.access.service import require_patient
from tandem.assessments import repository as repo
from tandem.assessments.definitions import FlagRule
from tandem.assessments.models import Response, SafetyAlert
from tandem.assessments.rules import check_alert_response
from tandem.assessments.schemas import SafetyAlertRead, SafetyAlertResolve
from tandem.assessments.vocab import AlertStatus
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.careteams import service as care_team
from tandem.errors import ValidationProblem
from tandem.ids import new_id
from tandem.notify import service as notify_service
from tandem.notify.models import Notification
from tandem.notify.service import notify
from tandem.people.rules import display_name
from tandem.records import current
from tandem.vocab import RecordStatus


async def raise_alerts(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    response: Response,
    flags: Iterable[FlagRule],
) -> list[SafetyAlert]:
    """Open an alert for each safety flag and tell the lead care manager in the app."""
    raised = []
    for flag in flags:
        if flag.kind != "safety":
            continue
        alert = SafetyAlert(
            id=new_id(),
            patient_id=access.patient_id,
            code=flag.code,
            message=flag.message,
            response_id=response.id,
            status=AlertStatus.active,
            raised_at=ctx.now(),
        )
        session.add(alert)
        await session.flush()
        audit_patient(
            session, ctx, access, "SafetyAlert", alert.id, action="C", detail={"code": flag.code}
        )
        await _tell_the_team(session, ctx, access, alert)
        raised.append(alert)
    return raised


async def _tell_the_team(
    session: AsyncSession, ctx: AccessContext, access: PatientAccess, alert: SafetyAlert
) -> None:
    """The lead care manager; with no lead, every active staff member of the team."""
    recipients = await care_team.safety_contacts(session, access)
    patient = access.patient
    notify(
        session,
        ctx,
        patient_id=access.patient_id,
        user_ids=recipients,
        kind="safety_alert",
        priority="urgent",
        message=f"Safety alert for {display_name(patient.given_name, patient.family_name)}: "
        f"{alert.message}",
        link=f"/patients/{access.patient_id}/safety",
        safety_alert_id=alert.id,
    )


async def follow_amendment(
    session: AsyncSession,
    ctx: AccessContext,
    access: PatientAccess,
    response: Response,
    flags: Iterable[FlagRule],
    reason: str,
) -> list[SafetyAlert]:
    """After a correction: withdraw alerts the corrected answers no longer raise, and raise
    those they now do. Alerts already resolved stay as they are."""
    wanted = {f.code: f for f in flags if f.kind == "safety"}
    mine = [row.record for row in await repo.alerts_of_response(session, access, response.id)]
    # The team has already recorded what it did about this response's flag: a correction that
    # keeps the flag must not raise it (and notify) a second time.
    for alert in mine:
        if alert.status == AlertStatus.resolved:
            wanted.pop(alert.code, None)
    for alert in (a for a in mine if a.status == AlertStatus.active):
        if alert.code in wanted:
            wanted.pop(alert.code)
            continue
        await end_record(
            session,
            ctx,
            access,
            alert,
            "SafetyAlert",
            status=RecordStatus.entered_in_error,
            reason=reason,
            action_taken=reason,
            resolved_at=ctx.now(),
            resolved_by=ctx.user_id,
        )
    return await raise_alerts(session, ctx, access, response, wanted.values())


async def list_alerts(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, *, active_only: bool = False
) -> list[SafetyAlertRead]:
    access = await require_patient(session, ctx, patient_id, capability=Capability.read_safety)
    rows = await repo.alerts(session, access, active_only=active_only)
    audit_patient(session, ctx, access, "SafetyAlert", detail={"count": len(rows)})
    return [_read(alert, name) for alert, name in rows]


async def alerts_of_response(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> list[SafetyAlertRead]:
    """Alerts a response raised; read as part of the response, whose audit event covers it."""
    rows = await repo.alerts_of_response(session, access, response_id)
    return [_read(alert, name) for alert, name in rows]


async def resolve_alert(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    alert_id: uuid.UUID,
    data: SafetyAlertResolve,
) -> SafetyAlertRead:
    """Record what was done; the alert then leaves the banner but stays in the history."""
    access = await require_patient(
        session, ctx, patient_id, capability=Capability.close_safety_alert
    )
    alert = current(await repo.alert(session, access, alert_id), data.version, "safety alert")
    if alert.status != AlertStatus.active:
        raise ValidationProblem("This alert was already closed.", field="status")
    actions, words = check_alert_response(data.actions, data.action_taken)
    alert.status = AlertStatus.resolved
    alert.actions = [action.value for action in actions]
    alert.action_taken = words
    alert.resolved_at = ctx.now()
    alert.resolved_by = ctx.user_id
    await session.flush()
    audit_patient(
        session,
        ctx,
        access,
        "SafetyAlert",
        alert.id,
        action="U",
        detail={
            "status": AlertStatus.resolved,
            "actions": alert.actions,
            "action_taken": words[:200] if words else None,
        },
    )
    names = await repo.user_names(session, [ctx.user_id])
    return _read(alert, names.get(ctx.user_id))


async def alert_statuses(
    session: AsyncSession, ctx: AccessContext, alert_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    """The status now of each safety alert the caller's notifications tell of (open, resolved,
    withdrawn), for patients they still care for: a notification shows the alert as it is,
    not as it was when it was sent. A role that sees no safety alerts on a team learns none."""
    wanted = sorted({a for a in alert_ids if a is not None}, key=str)
    if not wanted or Capability.read_safety not in permissions().team_grants(ctx.role):
        return {}
    rows = await repo.alert_statuses(session, ctx, wanted)
    # The statuses name patients: one query event, as the notification list has.
    audit.record(
        session,
        ctx,
        action="E",
        record_type="SafetyAlert",
        detail={"patients": sorted({str(row.patient_id) for row in rows}), "count": len(rows)},
    )
    return {row.id: row.status for row in rows}


async def my_notifications(
    session: AsyncSession, ctx: AccessContext
) -> list[tuple[Notification, str | None]]:
    """My notifications (unread first, urgent on top), each with the status now of the safety
    alert it tells of (None for one that tells of none)."""
    notes = await notify_service.my_notifications(session, ctx)
    statuses = await alert_statuses(session, ctx, (n.safety_alert_id for n in notes))
    return [(n, statuses.get(n.safety_alert_id) if n.safety_alert_id else None) for n in notes]


def raised_read(alerts: Iterable[SafetyAlert]) -> list[SafetyAlertRead]:
    """Alerts just raised, as the response that raised them shows them (none resolved yet)."""
    return [_read(alert, None) for alert in alerts]


def _read(alert: SafetyAlert, resolved_by: str | None) -> SafetyAlertRead:
    return SafetyAlertRead(
        id=alert.id,
        patient_id=alert.patient_id,
        code=alert.code,
        message=alert.message,
        response_id=alert.response_id,
        status=alert.status,
        raised_at=alert.raised_at,
        actions=list(alert.actions or []),
        action_taken=alert.action_taken,
        resolved_at=alert.resolved_at,
        resolved_by=resolved_by,
        version=alert.version,
    )

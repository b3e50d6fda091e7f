"""The Safety tab: open safety alerts and recording what was done, suicide-risk screens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments import service
from tandem.assessments.schemas import SafetyAlertResolve
from tandem.assessments.service import safety
from tandem.assessments.vocab import ALERT_ACTION_LABELS, AlertStatus
from tandem.deps import SessionDep
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, form_status, page, submit

router = APIRouter()

SAFETY = "/patients/{patient_id}/safety"
RISK_SCREEN = "suicide-risk"


async def _safety_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    alert_id: uuid.UUID | None = None,
    submitted: FormState | None = None,
) -> Response:
    """Every alert; the one whose form was refused shows its error (a stale one afresh)."""
    chart = await chart_context(session, ctx, patient_id, "safety")
    alerts = await safety.list_alerts(session, ctx, patient_id)
    screens = await service.list_responses(session, ctx, patient_id, instrument_code=RISK_SCREEN)
    forms = {
        a.id: form_from(None, version=a.version) for a in alerts if a.status == AlertStatus.active
    }
    if alert_id in forms and submitted is not None and not submitted.conflict:
        forms[alert_id] = submitted
    return page(
        request,
        "assessments/safety.html",
        {
            **chart,
            "active": [a for a in alerts if a.status == AlertStatus.active],
            "closed": [a for a in alerts if a.status != AlertStatus.active],
            "forms": forms,
            "conflict": submitted is not None and submitted.conflict,
            "screens": screens,
            "risk_screen": RISK_SCREEN,
            "alert_actions": ALERT_ACTION_LABELS,
        },
        status_code=form_status(submitted),
    )


@router.get(SAFETY)
async def safety_tab(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _safety_page(request, session, ctx, patient_id)


@router.post(SAFETY + "/{alert_id}/resolve")
async def resolve(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    alert_id: uuid.UUID,
) -> Response:
    """Record what was done about an alert; it then leaves the banner."""
    return await submit(
        request,
        session,
        user,
        SafetyAlertResolve,
        lambda data: safety.resolve_alert(session, ctx, patient_id, alert_id, data),
        done=(f"/patients/{patient_id}/safety", "alert-resolved"),
        again=lambda form: _safety_page(
            request, session, ctx, patient_id, alert_id=alert_id, submitted=form
        ),
        groups=("actions",),
    )

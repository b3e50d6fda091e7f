"""JSON routes: who am I, emergency access, a patient's access log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, StringConstraints

from tandem.access import service
from tandem.deps import Ctx, CurrentUser, RuntimeDep, SessionDep
from tandem.privacy.search import AuditEventRead
from tandem.privacy.service import patient_access_log
from tandem.schemas import ClinicalDate, InputModel, Page

router = APIRouter(tags=["access"])


class Me(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str
    role: str
    organization_id: uuid.UUID | None


class BreakGlassRequest(InputModel):
    mrn: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40)]
    birth_date: ClinicalDate
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class BreakGlassGranted(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    expires_at: datetime


@router.get("/me", response_model=Me)
async def me(user: CurrentUser) -> Me:
    return Me(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        organization_id=user.organization_id,
    )


@router.post("/break-glass", response_model=BreakGlassGranted, status_code=201)
async def break_the_glass(
    session: SessionDep, ctx: Ctx, rt: RuntimeDep, data: BreakGlassRequest
) -> BreakGlassGranted:
    """Emergency access outside your care teams: a stated reason, time-limited, reviewed."""
    grant = await service.break_the_glass(
        session,
        ctx,
        mrn=data.mrn,
        birth_date=data.birth_date,
        reason=data.reason,
        minutes=rt.settings.break_glass_minutes,
    )
    return BreakGlassGranted(id=grant.id, patient_id=grant.patient_id, expires_at=grant.expires_at)


@router.get("/patients/{patient_id}/access-log", response_model=Page[AuditEventRead])
async def access_log(
    session: SessionDep,
    ctx: Ctx,
    rt: RuntimeDep,
    patient_id: uuid.UUID,
    page: int = Query(default=1, ge=1, le=100_000),
) -> Page[AuditEventRead]:
    """Who read or changed this patient's record (lead care manager and privacy officer)."""
    return await patient_access_log(
        session, ctx, patient_id, page=page, page_size=rt.settings.page_size
    )

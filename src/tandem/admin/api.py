"""JSON routes for administration: organisations, users, emergency-access review."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from tandem.admin import service
from tandem.admin.schemas import (
    BreakGlassRead,
    BreakGlassReview,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
    PasswordReset,
    StaffRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from tandem.deps import Ctx, SessionDep
from tandem.vocab import ProfessionalRole

router = APIRouter(tags=["administration"])


@router.get("/organizations", response_model=list[OrganizationRead])
async def organizations(session: SessionDep, ctx: Ctx) -> list[OrganizationRead]:
    return await service.list_organizations(session)


@router.post("/organizations", response_model=OrganizationRead, status_code=201)
async def create_organization(
    session: SessionDep, ctx: Ctx, data: OrganizationCreate
) -> OrganizationRead:
    return await service.create_organization(session, ctx, data)


@router.patch("/organizations/{organization_id}", response_model=OrganizationRead)
async def update_organization(
    session: SessionDep, ctx: Ctx, organization_id: uuid.UUID, data: OrganizationUpdate
) -> OrganizationRead:
    return await service.update_organization(session, ctx, organization_id, data)


@router.get("/users", response_model=list[UserRead])
async def users(
    session: SessionDep,
    ctx: Ctx,
    q: str | None = Query(default=None, max_length=80),
    role: ProfessionalRole | None = None,
) -> list[UserRead]:
    """User accounts with their sign-in state (administrators)."""
    return await service.list_users(session, ctx, q=q, role=role)


@router.get("/staff", response_model=list[StaffRead])
async def staff(
    session: SessionDep,
    ctx: Ctx,
    q: str | None = Query(default=None, max_length=80),
    role: ProfessionalRole | None = None,
) -> list[StaffRead]:
    """Staff directory: active colleagues, to add to a care team."""
    return await service.staff_directory(session, q=q, role=role)


@router.post("/users", response_model=UserRead, status_code=201)
async def create_user(session: SessionDep, ctx: Ctx, data: UserCreate) -> UserRead:
    return await service.create_user(session, ctx, data)


@router.patch("/users/{user_id}", response_model=UserRead)
async def update_user(
    session: SessionDep, ctx: Ctx, user_id: uuid.UUID, data: UserUpdate
) -> UserRead:
    return await service.update_user(session, ctx, user_id, data)


@router.post("/users/{user_id}/deactivate", response_model=UserRead)
async def deactivate_user(session: SessionDep, ctx: Ctx, user_id: uuid.UUID) -> UserRead:
    return await service.set_active(session, ctx, user_id, active=False)


@router.post("/users/{user_id}/reactivate", response_model=UserRead)
async def reactivate_user(session: SessionDep, ctx: Ctx, user_id: uuid.UUID) -> UserRead:
    return await service.set_active(session, ctx, user_id, active=True)


@router.post("/users/{user_id}/reset-password", response_model=UserRead)
async def reset_password(
    session: SessionDep, ctx: Ctx, user_id: uuid.UUID, data: PasswordReset
) -> UserRead:
    return await service.reset_password(session, ctx, user_id, data)


@router.get("/break-glass", response_model=list[BreakGlassRead])
async def break_glass_review_list(
    session: SessionDep, ctx: Ctx, pending: bool = True
) -> list[BreakGlassRead]:
    return await service.break_glass_list(session, ctx, pending_only=pending)


@router.post("/break-glass/{grant_id}/review", status_code=204)
async def review_break_glass(
    session: SessionDep, ctx: Ctx, grant_id: uuid.UUID, data: BreakGlassReview
) -> None:
    await service.review_break_glass(session, ctx, grant_id, data)

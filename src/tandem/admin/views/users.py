"""Administration pages for user accounts: find, create, edit, deactivate, reset password."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.admin import service as admin
from tandem.admin.schemas import PasswordReset, UserCreate, UserUpdate
from tandem.deps import SessionDep
from tandem.errors import DomainError
from tandem.vocab import ProfessionalRole
from tandem.web.deps import PageCtx, PageUser, form_values
from tandem.web.pages import (
    FormState,
    attempt,
    form_from,
    form_status,
    options,
    organization_options,
    page,
    parse,
    refused,
    see_other,
    submit,
)

router = APIRouter()

USER_FIELDS = ("version", "full_name", "role", "organization_id", "email", "phone")


async def _organization_names(session: AsyncSession) -> dict[str, str]:
    return {str(org.id): org.name for org in await admin.list_organizations(session)}


@router.get("/admin/users")
async def users(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    q: str = "",
    role: str = "",
) -> Response:
    """Every account, searchable by name or username and filterable by role."""
    q, role = q.strip()[:100], role.strip()
    found = await admin.list_users(session, ctx, q=q or None, role=role or None)
    return page(
        request,
        "admin/users.html",
        {
            "users": found,
            "q": q,
            "form": FormState(values={"role": role}),
            "roles": options(ProfessionalRole),
            "org_names": await _organization_names(session),
        },
    )


async def _new_user_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    form: FormState,
    *,
    status_code: int = 200,
) -> Response:
    admin.open_new_user_form(session, ctx)
    return page(
        request,
        "admin/user_new.html",
        {
            "form": form,
            "roles": options(ProfessionalRole),
            "organizations": await organization_options(session),
        },
        status_code=status_code,
    )


@router.get("/admin/users/new")
async def new_user_form(request: Request, session: SessionDep, ctx: PageCtx) -> Response:
    return await _new_user_page(request, session, ctx, FormState())


@router.post("/admin/users/new")
async def create_user(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser
) -> Response:
    """Create an account with a temporary password the user must change at first sign-in."""
    values = await form_values(request)
    data, errors = parse(UserCreate, values)
    form = FormState(values={k: v for k, v in values.items() if k != "password"}, errors=errors)
    if data is not None:
        try:
            created = await admin.create_user(session, ctx, data)
        except DomainError as exc:
            form.errors = await refused(session, user, exc)
        else:
            return see_other(f"/admin/users/{created.id}", "user-created")
    return await _new_user_page(request, session, ctx, form, status_code=422)


async def _user_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    user_id: uuid.UUID,
    *,
    edit: FormState | None = None,
    status_form: FormState | None = None,
    password: FormState | None = None,
    status_code: int | None = None,
) -> Response:
    account = await admin.get_user(session, ctx, user_id)
    submitted = edit or status_form or password
    conflict = submitted is not None and submitted.conflict
    if conflict:
        edit = None
    keep = str(account.organization_id) if account.organization_id else None
    return page(
        request,
        "admin/user.html",
        {
            "account": account,
            "is_me": account.id == ctx.user_id,
            "edit": edit or form_from(account, USER_FIELDS),
            "status_form": status_form or FormState(),
            "password": password or FormState(),
            "conflict": conflict,
            "roles": options(ProfessionalRole),
            "organizations": await organization_options(session, keep=keep),
            "org_names": await _organization_names(session),
        },
        status_code=status_code or form_status(submitted),
    )


@router.get("/admin/users/{user_id}")
async def user_page(
    request: Request, session: SessionDep, ctx: PageCtx, user_id: uuid.UUID
) -> Response:
    return await _user_page(request, session, ctx, user_id)


@router.post("/admin/users/{user_id}")
async def update_user(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, user_id: uuid.UUID
) -> Response:
    return await submit(
        request,
        session,
        user,
        UserUpdate,
        lambda data: admin.update_user(session, ctx, user_id, data),
        done=(f"/admin/users/{user_id}", "user-saved"),
        again=lambda form: _user_page(request, session, ctx, user_id, edit=form),
    )


@router.post("/admin/users/{user_id}/active")
async def set_active(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, user_id: uuid.UUID
) -> Response:
    """Deactivate (signs the user out everywhere) or reactivate an account."""
    values = await form_values(request)
    active = values.get("active") == "true"
    form = FormState()
    if not await attempt(
        session, user, form, admin.set_active(session, ctx, user_id, active=active)
    ):
        return await _user_page(request, session, ctx, user_id, status_form=form)
    return see_other(
        f"/admin/users/{user_id}", "user-reactivated" if active else "user-deactivated"
    )


@router.post("/admin/users/{user_id}/password")
async def reset_password(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, user_id: uuid.UUID
) -> Response:
    """Set a temporary password; the user chooses their own at next sign-in."""
    values = await form_values(request)
    data, errors = parse(PasswordReset, values)
    form = FormState(errors=errors)
    if data is not None and await attempt(
        session, user, form, admin.reset_password(session, ctx, user_id, data)
    ):
        return see_other(f"/admin/users/{user_id}", "password-reset")
    return await _user_page(request, session, ctx, user_id, password=form)

"""Administration pages for organisations: clinics, agencies and community partners."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.admin import service as admin
from tandem.admin.schemas import OrganizationCreate, OrganizationUpdate
from tandem.deps import SessionDep, runtime
from tandem.vocab import OrganizationKind
from tandem.web.deps import PageCtx, PageUser, form_values
from tandem.web.pages import (
    FormState,
    attempt,
    form_from,
    options,
    page,
    parse,
    see_other,
    submit,
)

router = APIRouter()


async def _list_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    form: FormState | None = None,
    *,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "admin/organizations.html",
        {
            "organizations": await admin.organizations_for_administration(session, ctx),
            "form": form or FormState(),
            "kinds": options(OrganizationKind),
            "deployment_zone": runtime(request).settings.timezone,
        },
        status_code=status_code,
    )


@router.get("/admin/organizations")
async def organizations(request: Request, session: SessionDep, ctx: PageCtx) -> Response:
    return await _list_page(request, session, ctx)


@router.post("/admin/organizations")
async def create_organization(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser
) -> Response:
    return await submit(
        request,
        session,
        user,
        OrganizationCreate,
        lambda data: admin.create_organization(session, ctx, data),
        done=("/admin/organizations", "organization-created"),
        again=lambda form: _list_page(request, session, ctx, form, status_code=422),
    )


async def _organization_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    org_id: uuid.UUID,
    *,
    edit: FormState | None = None,
    status_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    org = await admin.organization_for_administration(session, ctx, org_id)
    return page(
        request,
        "admin/organization.html",
        {
            "org": org,
            "edit": edit or form_from(org, ("name", "kind", "phone", "address", "timezone")),
            "status_form": status_form or FormState(),
            "kinds": options(OrganizationKind),
            "deployment_zone": runtime(request).settings.timezone,
        },
        status_code=status_code,
    )


@router.get("/admin/organizations/{org_id}")
async def organization(
    request: Request, session: SessionDep, ctx: PageCtx, org_id: uuid.UUID
) -> Response:
    return await _organization_page(request, session, ctx, org_id)


@router.post("/admin/organizations/{org_id}")
async def update_organization(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, org_id: uuid.UUID
) -> Response:
    values = await form_values(request)
    editable = {
        k: v for k, v in values.items() if k in ("name", "kind", "phone", "address", "timezone")
    }
    data, errors = parse(OrganizationUpdate, editable)
    form = FormState(values=values, errors=errors)
    if data is not None and await attempt(
        session, user, form, admin.update_organization(session, ctx, org_id, data)
    ):
        return see_other(f"/admin/organizations/{org_id}", "organization-saved")
    return await _organization_page(request, session, ctx, org_id, edit=form, status_code=422)


@router.post("/admin/organizations/{org_id}/active")
async def set_active(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, org_id: uuid.UUID
) -> Response:
    """Deactivate an organisation (it stays on existing records) or reactivate it."""
    active = (await form_values(request)).get("active") == "true"
    form = FormState()
    change = admin.update_organization(session, ctx, org_id, OrganizationUpdate(active=active))
    if not await attempt(session, user, form, change):
        return await _organization_page(
            request, session, ctx, org_id, status_form=form, status_code=422
        )
    flash = "organization-reactivated" if active else "organization-deactivated"
    return see_other(f"/admin/organizations/{org_id}", flash)

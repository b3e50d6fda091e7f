"""Pages for a patient's care team: members, roles, ending a membership, handing over the lead."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.admin.service import staff_directory
from tandem.capabilities import Capability
from tandem.careteams import service
from tandem.careteams.schemas import MakeLead, MemberCreate, MemberEnd, MemberRead, MemberUpdate
from tandem.careteams.vocab import CareTeamRole
from tandem.deps import SessionDep
from tandem.people.service.related import list_related_persons
from tandem.people.views.chart import chart_context
from tandem.vocab import RecordStatus
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import (
    FormState,
    SentBack,
    form_from,
    options,
    organization_options,
    page,
    submit,
)
from tandem.web.templating import label

router = APIRouter()


async def _team_choices(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, members: list[MemberRead]
) -> dict[str, Any]:
    """Who can be added, who can take over the lead, and the organisations."""
    organizations = {org_id: name for org_id, name in await organization_options(session)}
    staff = [u for u in await staff_directory(session) if service.may_join_a_team(u.role)]

    def describe(user_name: str, role: str, org_id: uuid.UUID | None) -> str:
        org = organizations.get(str(org_id)) if org_id else None
        return f"{user_name} — {label(role)}" + (f", {org}" if org else "")

    lead_ids = {
        m.user_id
        for m in members
        if m.status == RecordStatus.active and m.role == CareTeamRole.lead_care_manager
    }
    family = [
        p
        for p in await list_related_persons(session, ctx, patient_id)
        if p.status == RecordStatus.active
    ]
    return {
        "roles": options(CareTeamRole),
        "staff": [(str(u.id), describe(u.full_name, u.role, u.organization_id)) for u in staff],
        "care_managers": [
            (str(u.id), describe(u.full_name, u.role, u.organization_id))
            for u in staff
            if service.may_take_the_lead(u.role) and u.id not in lead_ids
        ],
        "family": [(str(p.id), f"{p.name} — {label(p.relationship)}") for p in family],
        "organizations": list(organizations.items()),
    }


async def _team_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    add: FormState | None = None,
    lead: FormState | None = None,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "care-team")
    members = await service.list_members(session, ctx, patient_id)
    choices = (
        await _team_choices(session, ctx, patient_id, members) if chart["can_manage_team"] else {}
    )
    return page(
        request,
        "careteams/care_team.html",
        {
            **chart,
            **choices,
            "current": [m for m in members if m.status == RecordStatus.active],
            "past": [m for m in members if m.status != RecordStatus.active],
            "add": add or form_from(None, start_date=ctx.clock.today()),
            "lead": lead or FormState(),
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/care-team")
async def care_team(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _team_page(request, session, ctx, patient_id)


@router.post("/patients/{patient_id}/care-team")
async def add_member(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Add a staff member, or a related person as family caregiver."""
    return await submit(
        request,
        session,
        user,
        MemberCreate,
        lambda data: service.add_member(session, ctx, patient_id, data),
        done=(f"/patients/{patient_id}/care-team", "member-added"),
        again=lambda form: _team_page(request, session, ctx, patient_id, add=form, status_code=422),
    )


@router.post("/patients/{patient_id}/care-team/lead")
async def hand_over_lead(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """Hand the lead to another care manager; the current lead's membership ends."""
    return await submit(
        request,
        session,
        user,
        MakeLead,
        lambda data: service.make_lead(session, ctx, patient_id, data),
        done=(f"/patients/{patient_id}/care-team", "lead-handed-over"),
        again=lambda form: _team_page(
            request, session, ctx, patient_id, lead=form, status_code=422
        ),
    )


async def _member_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    change: FormState | None = None,
    end: FormState | None = None,
) -> Response:
    """The member page; a refused form is shown with its errors, a stale one afresh (409)."""
    sent = SentBack(change=change, end=end)
    chart = await chart_context(
        session, ctx, patient_id, "care-team", capability=Capability.manage_care_team
    )
    member = await service.get_member(session, ctx, patient_id, member_id)
    keep = str(member.organization_id) if member.organization_id else None
    return page(
        request,
        "careteams/member.html",
        {
            **chart,
            "member": member,
            "roles": options(CareTeamRole),
            "organizations": await organization_options(session, keep=keep),
            "change": sent.form(
                "change", lambda: form_from(member, ("version", "role", "organization_id"))
            ),
            "end": sent.form("end", lambda: form_from(None, version=member.version)),
            "conflict": sent.conflict,
        },
        status_code=sent.status,
    )


@router.get("/patients/{patient_id}/care-team/{member_id}")
async def member(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    member_id: uuid.UUID,
) -> Response:
    return await _member_page(request, session, ctx, patient_id, member_id)


@router.post("/patients/{patient_id}/care-team/{member_id}")
async def change_member(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    member_id: uuid.UUID,
) -> Response:
    """Change a member's role or organisation."""
    return await submit(
        request,
        session,
        user,
        MemberUpdate,
        lambda data: service.update_member(session, ctx, patient_id, member_id, data),
        done=(f"/patients/{patient_id}/care-team", "member-changed"),
        again=lambda form: _member_page(request, session, ctx, patient_id, member_id, change=form),
    )


@router.post("/patients/{patient_id}/care-team/{member_id}/end")
async def end_member(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    member_id: uuid.UUID,
) -> Response:
    """End a membership, or mark it as entered in error."""
    return await submit(
        request,
        session,
        user,
        MemberEnd,
        lambda data: service.end_member(session, ctx, patient_id, member_id, data),
        done=(f"/patients/{patient_id}/care-team", "member-ended"),
        again=lambda form: _member_page(request, session, ctx, patient_id, member_id, end=form),
        checkboxes=("entered_in_error",),
    )

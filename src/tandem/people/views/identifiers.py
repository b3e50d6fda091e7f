"""Pages for a patient's identifiers: clinic MRNs, Medicaid and insurance numbers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.capabilities import Capability
from tandem.deps import SessionDep
from tandem.people.schemas import EnteredInError, IdentifierCreate, IdentifierRead
from tandem.people.service import identifiers as identifier_service
from tandem.people.views.chart import chart_context
from tandem.people.vocab import IdentifierSystem
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, options, page, submit

router = APIRouter()

# The Tandem MRN is assigned at registration; staff add the identifiers other systems give.
ADDABLE_SYSTEMS = [s for s in IdentifierSystem if s != IdentifierSystem.mrn]


async def _list_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    form: FormState,
    *,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "identifiers")
    identifiers = await identifier_service.list_identifiers(session, ctx, patient_id)
    return page(
        request,
        "patients/identifiers.html",
        {
            **chart,
            "identifiers": identifiers,
            "form": form,
            "systems": options(ADDABLE_SYSTEMS),
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/identifiers")
async def identifiers(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _list_page(request, session, ctx, patient_id, FormState())


@router.post("/patients/{patient_id}/identifiers")
async def add_identifier(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    return await submit(
        request,
        session,
        user,
        IdentifierCreate,
        lambda data: identifier_service.add_identifier(session, ctx, patient_id, data),
        done=(f"/patients/{patient_id}/identifiers", "identifier-added"),
        again=lambda form: _list_page(request, session, ctx, patient_id, form, status_code=422),
    )


async def _find(
    session: AsyncSession, ctx: AccessContext, patient_id: uuid.UUID, identifier_id: uuid.UUID
) -> IdentifierRead:
    return await identifier_service.get_identifier(session, ctx, patient_id, identifier_id)


async def _error_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    identifier_id: uuid.UUID,
    form: FormState | None,
    *,
    status_code: int = 200,
) -> Response:
    chart = await chart_context(
        session, ctx, patient_id, "identifiers", capability=Capability.edit_identifiers
    )
    identifier = await _find(session, ctx, patient_id, identifier_id)
    return page(
        request,
        "patients/identifier_error.html",
        {
            **chart,
            "identifier": identifier,
            "form": form or form_from(None, version=identifier.version),
        },
        status_code=status_code,
    )


@router.get("/patients/{patient_id}/identifiers/{identifier_id}/entered-in-error")
async def identifier_error_form(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    patient_id: uuid.UUID,
    identifier_id: uuid.UUID,
) -> Response:
    return await _error_page(request, session, ctx, patient_id, identifier_id, None)


@router.post("/patients/{patient_id}/identifiers/{identifier_id}/entered-in-error")
async def identifier_error(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    identifier_id: uuid.UUID,
) -> Response:
    """An identifier recorded by mistake stays in the history, marked entered in error."""
    return await submit(
        request,
        session,
        user,
        EnteredInError,
        lambda data: identifier_service.mark_identifier_entered_in_error(
            session, ctx, patient_id, identifier_id, data
        ),
        done=(f"/patients/{patient_id}/identifiers", "identifier-entered-in-error"),
        again=lambda form: _error_page(
            request, session, ctx, patient_id, identifier_id, form, status_code=422
        ),
    )

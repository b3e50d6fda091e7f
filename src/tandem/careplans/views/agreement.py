"""Recording the patient's agreement to the plan as it now is (or a consenting family
member's), and the agreements recorded so far."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.capabilities import Capability
from tandem.careplans.schemas import AgreementCreate, MarkInError
from tandem.careplans.service import agreements
from tandem.careplans.service.pages import choices
from tandem.careplans.views.flow import plan_url, post_change
from tandem.careplans.views.forms import InErrorForm
from tandem.careplans.vocab import AgreedBy, AgreementMethod
from tandem.deps import SessionDep
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, form_status, options, page

router = APIRouter()

PLAN = "/patients/{patient_id}/care-plan"


class AgreementForm(AgreementCreate):
    """The form's version of the API's body: the party is one select ("patient" or
    "related_person:<id>"), the consent a checkbox."""

    model_config = {"extra": "ignore"}
    agreed_by: AgreedBy = AgreedBy.patient
    party: str = "patient"


def agreement_of(form: AgreementForm) -> AgreementCreate:
    kind, _, person = form.party.partition(":")
    data = form.model_dump(exclude={"party"})
    if kind == AgreedBy.related_person:
        data.update(agreed_by=AgreedBy.related_person, related_person_id=person or None)
    else:
        data.update(agreed_by=AgreedBy.patient, related_person_id=None)
    return AgreementCreate.model_validate(data)


async def _agreement_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    submitted: FormState | None = None,
    withdraw: FormState | None = None,
) -> Response:
    chart = await chart_context(
        session, ctx, patient_id, "care-plan", capability=Capability.edit_care_plan
    )
    listed = await agreements.list_agreements(session, ctx, patient_id)
    family = (await choices(session, ctx, patient_id)).family
    current = listed.version
    form = submitted or form_from(
        None, version=current, party="patient", agreed_on=ctx.clock.today()
    )
    if submitted is not None and submitted.conflict:
        form.values["version"] = str(current)
    sent = submitted or withdraw
    return page(
        request,
        "careplans/agreement.html",
        {
            **chart,
            "agreements": listed.items,
            "current": current,
            "form": form,
            "withdraw": withdraw or form_from(None, version=current),
            "conflict": sent is not None and sent.conflict,
            "parties": [("patient", "The patient")]
            + [
                (f"related_person:{pid}", f"{name} ({rel.replace('_', ' ')})")
                for pid, name, rel in family
            ],
            "methods": options(AgreementMethod),
        },
        status_code=form_status(sent),
    )


@router.get(PLAN + "/agreement")
async def agreement_page(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _agreement_page(request, session, ctx, patient_id)


@router.post(PLAN + "/agreements")
async def record_agreement(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    async def change(data: AgreementForm, values: dict[str, str]) -> object:
        return await agreements.record_agreement(session, ctx, patient_id, agreement_of(data))

    return await post_change(
        request,
        session,
        user,
        AgreementForm,
        change,
        done=(plan_url(patient_id), "agreement-recorded"),
        again=lambda form: _agreement_page(request, session, ctx, patient_id, submitted=form),
        checkboxes=("consent_confirmed",),
    )


@router.post(PLAN + "/agreements/{agreement_id}/entered-in-error")
async def agreement_entered_in_error(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    agreement_id: uuid.UUID,
) -> Response:
    async def change(data: InErrorForm, values: dict[str, str]) -> object:
        mark = MarkInError(reason=data.reason)
        return await agreements.mark_agreement_entered_in_error(
            session, ctx, patient_id, agreement_id, mark
        )

    return await post_change(
        request,
        session,
        user,
        InErrorForm,
        change,
        done=(plan_url(patient_id) + "/agreement", "agreement-entered-in-error"),
        again=lambda form: _agreement_page(request, session, ctx, patient_id, withdraw=form),
    )

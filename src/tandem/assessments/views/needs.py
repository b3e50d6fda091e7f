"""Pages for a patient's needs: confirm, dismiss, address, resolve."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.assessments.definitions import instrument
from tandem.assessments.rules import NEED_TRANSITIONS, OPEN_NEED_STATUSES
from tandem.assessments.schemas import NeedCreate, NeedRead, NeedStatusChange
from tandem.assessments.service import needs
from tandem.assessments.vocab import (
    DOMAIN_LABELS,
    NEED_STATUS_LABELS,
    NeedStatus,
    need_status_label,
)
from tandem.capabilities import Capability
from tandem.careplans.schemas import GoalRead
from tandem.careplans.service.pages import goals_by_need
from tandem.deps import SessionDep
from tandem.errors import NotFound
from tandem.people.views.chart import chart_context
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, form_from, form_status, page, submit

router = APIRouter()

# The order needs are listed in: what waits for the team first, what is closed last.
STATUS_ORDER = list(NEED_STATUS_LABELS)

WITHDRAW = NeedStatus.entered_in_error.value


@dataclass(frozen=True)
class Action:
    """A button that moves a need to ``status``; the step forward is the primary one."""

    status: str
    words: str
    primary: bool = False


# (words, rank) for a move to each status; forward steps rank first.
MOVES: dict[str, tuple[str, int]] = {
    NeedStatus.being_addressed: ("Start addressing", 1),
    NeedStatus.resolved: ("Mark resolved", 2),
    NeedStatus.identified: ("Re-open as unconfirmed", 4),
    NeedStatus.dismissed: ("Dismiss", 5),
}


def action(current: str, new: str) -> tuple[int, Action]:
    """The button that moves a need from ``current`` to ``new``, and where it goes in the row."""
    if new == NeedStatus.confirmed:
        if current == NeedStatus.identified:
            words, rank = "Confirm with the patient", 0
        elif current == NeedStatus.being_addressed:
            words, rank = "Back to confirmed", 3
        else:
            words, rank = "Re-open", 3
    else:
        words, rank = MOVES.get(new, (need_status_label(new), 6))
    return rank, Action(new, words)


def actions_for(current: str) -> list[Action]:
    """The moves NEED_TRANSITIONS allows from ``current``, bar entered in error (its own form)."""
    ranked = sorted(
        (action(current, new) for new in NEED_TRANSITIONS.get(current, ()) if new != WITHDRAW),
        key=lambda pair: (pair[0], pair[1].status),
    )
    return [
        Action(a.status, a.words, primary=(i == 0 and rank <= 2))
        for i, (rank, a) in enumerate(ranked)
    ]


@dataclass(frozen=True)
class Evidence:
    """One screen behind a need: which instrument, when, and the answers that were positive."""

    response_id: str
    title: str
    answered_on: date | None
    items: list[str]


@dataclass
class NeedCard:
    """A need as its card shows it, with its two forms (change status; entered in error)."""

    need: NeedRead
    actions: list[Action]
    can_withdraw: bool
    evidence: list[Evidence]
    change: FormState
    withdraw: FormState
    conflict: bool = False
    # The care plan's goals that address this need (each with its activities).
    goals: list[GoalRead] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.need.status in OPEN_NEED_STATUSES

    @property
    def has_side(self) -> bool:
        """Whether the card has a column for its actions, a conflict or a refusal."""
        return bool(self.actions or self.conflict or self.change.errors)


def evidence_of(need: NeedRead) -> list[Evidence]:
    found = []
    for entry in need.evidence:
        code = str(entry.get("instrument", ""))
        definition = instrument(code)
        items = []
        for link_id in entry.get("items", []):
            try:
                items.append(definition.item(link_id).short if definition else str(link_id))
            except KeyError:
                items.append(str(link_id))
        try:
            answered_on: date | None = date.fromisoformat(str(entry.get("answered_on")))
        except ValueError:
            answered_on = None
        found.append(
            Evidence(
                response_id=str(entry.get("response_id", "")),
                title=definition.title if definition else code,
                answered_on=answered_on,
                items=items,
            )
        )
    return found


def need_card(
    need: NeedRead, submitted: FormState | None, submitted_for: uuid.UUID | None
) -> NeedCard:
    """The card of one need; the form that was refused keeps what was typed and its errors."""
    card = NeedCard(
        need=need,
        actions=actions_for(need.status),
        can_withdraw=WITHDRAW in NEED_TRANSITIONS.get(need.status, ()),
        evidence=evidence_of(need),
        change=form_from(None, version=need.version),
        withdraw=form_from(None, version=need.version),
    )
    if submitted is not None and submitted_for == need.id:
        if submitted.conflict:
            card.conflict = True
        elif submitted.value("status") == WITHDRAW and card.can_withdraw:
            card.withdraw = submitted
        else:
            card.change = submitted
    return card


def sort_key(need: NeedRead) -> int:
    return STATUS_ORDER.index(need.status) if need.status in STATUS_ORDER else len(STATUS_ORDER)


async def _needs_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    *,
    add: FormState | None = None,
    change: FormState | None = None,
    need_id: uuid.UUID | None = None,
) -> Response:
    chart = await chart_context(session, ctx, patient_id, "needs")
    # Sorting is stable: within a status the service's newest-first order stays.
    listed = sorted(await needs.list_needs(session, ctx, patient_id), key=sort_key)
    if need_id is not None and all(n.id != need_id for n in listed):
        raise NotFound("need")
    cards = [need_card(n, change, need_id) for n in listed]
    planned = None
    if chart["access"].can(Capability.read_care_plan):
        planned = await goals_by_need(session, ctx, patient_id)
        for card in cards:
            card.goals = (planned or {}).get(card.need.id, [])
    return page(
        request,
        "assessments/needs.html",
        {
            **chart,
            "has_plan": planned is not None,
            "open_needs": [c for c in cards if c.is_open],
            "closed_needs": [c for c in cards if not c.is_open],
            "add": add or form_from(None, status=NeedStatus.confirmed.value),
            "domains": [(d.value, label) for d, label in DOMAIN_LABELS.items()],
            "new_statuses": [
                (NeedStatus.confirmed.value, "Confirmed"),
                (NeedStatus.identified.value, "Unconfirmed"),
            ],
        },
        status_code=form_status(add or change),
    )


@router.get("/patients/{patient_id}/needs")
async def list_needs(
    request: Request, session: SessionDep, ctx: PageCtx, patient_id: uuid.UUID
) -> Response:
    return await _needs_page(request, session, ctx, patient_id)


@router.post("/patients/{patient_id}/needs")
async def add_need(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, patient_id: uuid.UUID
) -> Response:
    """A need the team recorded itself (clinical or social)."""
    return await submit(
        request,
        session,
        user,
        NeedCreate,
        lambda data: needs.add_need(session, ctx, patient_id, data),
        done=(f"/patients/{patient_id}/needs", "need-added"),
        again=lambda form: _needs_page(request, session, ctx, patient_id, add=form),
    )


@router.post("/patients/{patient_id}/needs/{need_id}/status")
async def change_need_status(
    request: Request,
    session: SessionDep,
    ctx: PageCtx,
    user: PageUser,
    patient_id: uuid.UUID,
    need_id: uuid.UUID,
) -> Response:
    """Confirm, dismiss (with a reason), address, resolve, re-open or withdraw a need."""
    return await submit(
        request,
        session,
        user,
        NeedStatusChange,
        lambda data: needs.change_need_status(session, ctx, patient_id, need_id, data),
        done=(f"/patients/{patient_id}/needs", "need-changed"),
        again=lambda form: _needs_page(
            request, session, ctx, patient_id, change=form, need_id=need_id
        ),
    )

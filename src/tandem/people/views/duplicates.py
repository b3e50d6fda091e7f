"""Pages of the potential-duplicates queue: the privacy officer decides each question;
administrators see the same queue with record ids and matched fields only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.deps import SessionDep
from tandem.people.api.duplicates import status_filter
from tandem.people.schemas import DuplicateResolve
from tandem.people.service import duplicates
from tandem.people.vocab import DuplicateOutcome, DuplicateStatus
from tandem.web.deps import PageCtx, PageUser
from tandem.web.pages import FormState, attempt, form_from, options, page, read_form, see_other

router = APIRouter()

QUEUE = "/admin/duplicates"
# The queue's tabs: each status, then everything ever raised.
TABS = (
    ("open", "Open"),
    ("linked", "Linked"),
    ("dismissed", "Dismissed"),
    ("merge_later", "Merge later"),
    ("all", "All"),
)


# What the decision form says when a part of it is left out, in place of "This field is required".
MISSING = {
    "outcome": "Choose whether the two records are the same person.",
    "note": "Write what you checked and why you decided so.",
}


@router.get(QUEUE)
async def queue(
    request: Request, session: SessionDep, ctx: PageCtx, status: str = "open"
) -> Response:
    """Possible duplicates, newest first: when and by whom raised, which fields matched."""
    shown = status if status in dict(TABS) else "open"
    questions = await duplicates.list_questions(session, ctx, status=status_filter(shown))
    return page(
        request,
        "admin/duplicates.html",
        {"questions": questions, "status": shown, "tabs": TABS},
    )


async def _question_page(
    request: Request,
    session: AsyncSession,
    ctx: AccessContext,
    question_id: uuid.UUID,
    submitted: FormState | None,
) -> Response:
    """The question and, while it is open, the decision form; after a refused decision the
    question is read again, so a stale form shows what it is now."""
    question = await duplicates.get_question(session, ctx, question_id)
    form = submitted or form_from(None)
    # The hidden version always follows the record as it is now: a stale form resubmitted
    # after reading the fresh details is then a deliberate decision, not an accident.
    form.values["version"] = str(question.version)
    decided = question.status != DuplicateStatus.open
    status_code = 200
    if submitted is not None:
        status_code = 409 if submitted.conflict or decided else 422
    return page(
        request,
        "admin/duplicate.html",
        {
            "question": question,
            "form": form,
            "conflict": submitted is not None and (submitted.conflict or decided),
            "outcomes": options(DuplicateOutcome),
        },
        status_code=status_code,
    )


@router.get(QUEUE + "/{question_id}")
async def question(
    request: Request, session: SessionDep, ctx: PageCtx, question_id: uuid.UUID
) -> Response:
    return await _question_page(request, session, ctx, question_id, None)


@router.post(QUEUE + "/{question_id}")
async def decide(
    request: Request, session: SessionDep, ctx: PageCtx, user: PageUser, question_id: uuid.UUID
) -> Response:
    """Record the decision (linked, dismissed, merge later) with a note."""
    data, form = await read_form(request, DuplicateResolve)
    for name, missing in MISSING.items():
        if name in form.errors and not form.value(name).strip():
            form.errors[name] = missing
    if data is not None and await attempt(
        session, user, form, duplicates.resolve_question(session, ctx, question_id, data)
    ):
        return see_other(QUEUE, "duplicate-decided")
    return await _question_page(request, session, ctx, question_id, form)

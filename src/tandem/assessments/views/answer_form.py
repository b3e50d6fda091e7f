"""The instrument form: one fieldset per item, what was ticked kept when the form comes back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from tandem.assessments.definitions import Instrument, instrument
from tandem.assessments.rules import AnswerProblems, answer_field, check_answers, codes_of
from tandem.errors import NotFound
from tandem.web.deps import form_values, parse_form
from tandem.web.pages import FormState

M = TypeVar("M", bound=BaseModel)


@dataclass
class AnswerForm(FormState):
    """A FormState whose items may hold several answers (multiple-choice items), chosen by
    the item's link id."""


def named_instrument(code: object) -> Instrument:
    """The instrument an address or a form names; an unknown one is simply not found."""
    found = instrument(code) if isinstance(code, str) else None
    if found is None:
        raise NotFound("instrument")
    return found


async def submitted_instrument(request: Request) -> Instrument:
    """The instrument a posted questionnaire form says it answers (its hidden field). The
    service checks the answers against the record's own instrument all the same."""
    return named_instrument((await request.form()).get("instrument"))


def answers_from(chosen: dict[str, list[str]], definition: Instrument) -> dict[str, Any]:
    """Answers as the API takes them: one code for a single-choice item, a list otherwise."""
    answers: dict[str, Any] = {}
    for item in definition.items:
        codes = chosen.get(item.link_id, [])
        if not codes:
            continue
        answers[item.link_id] = codes if item.multiple or len(codes) > 1 else codes[0]
    return answers


def prefilled(definition: Instrument, answers: dict[str, Any], **values: str) -> AnswerForm:
    """A form showing a response's answers (for amending it)."""
    chosen = {item.link_id: codes_of(answers.get(item.link_id)) for item in definition.items}
    return AnswerForm(values={k: v for k, v in values.items() if v}, chosen=chosen)


async def read_answer_form(
    request: Request, definition: Instrument, model: type[M], **extra: Any
) -> tuple[M | None, AnswerForm]:
    """The submitted instrument validated into ``model``. When other fields are wrong, the
    answers are checked too, so that every problem is shown at once."""
    submitted = await request.form()
    chosen = {
        item.link_id: [
            v.replace("\x00", "").strip()
            for v in submitted.getlist(answer_field(item.link_id))
            if isinstance(v, str) and v.strip()
        ]
        for item in definition.items
    }
    values = await form_values(request)
    answers = answers_from(chosen, definition)
    data, errors = parse_form(model, values, extra={"answers": answers, **extra})
    if data is None:
        try:
            check_answers(definition, answers)
        except AnswerProblems as problems:
            errors = {**problems.problems, **errors}
    kept = {k: v for k, v in values.items() if not k.startswith("answers.")}
    return data, AnswerForm(values=kept, errors=errors, chosen=chosen)

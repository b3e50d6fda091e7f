"""Input and output of the assessment API: responses, trajectories, alerts, needs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import Field

from tandem.assessments.vocab import AlertAction, NeedDomain, NeedStatus, ResponseSource
from tandem.schemas import ClinicalDate, InputModel, OutputModel, Reason, Version

# One answer code, or a list of codes for a multiple-choice item.
AnswerValue = str | list[str]


class ResponseCreate(InputModel):
    instrument: str = Field(max_length=40, examples=["phq-9"])
    answered_on: ClinicalDate | None = Field(
        default=None, description="When the instrument was answered; today if left out"
    )
    source: ResponseSource = ResponseSource.staff
    answers: dict[str, AnswerValue] = Field(
        description="Answer codes by item link id, e.g. {'1': 'LA6568-5'}",
        examples=[{"1": "LA6568-5"}],
    )


class ResponseAmend(InputModel):
    version: Version
    answered_on: ClinicalDate | None = None
    answers: dict[str, AnswerValue]
    reason: Reason


class EnteredInError(InputModel):
    version: Version
    reason: Reason


class ItemAnswer(OutputModel):
    link_id: str
    text: str
    short: str
    codes: list[str]
    displays: list[str]
    value: int | None
    changed_from: int | None = None
    changed: bool = False


class ObservationRead(OutputModel):
    id: uuid.UUID
    response_id: uuid.UUID
    instrument: str
    system: str
    code: str
    display: str
    category: str
    value_integer: int | None
    value_code: str | None
    value_display: str | None
    effective_on: date
    status: str


class RevisionRead(OutputModel):
    version: int
    change: str
    reason: str
    changed_by: str | None
    changed_at: datetime
    snapshot: dict[str, Any]


class SafetyAlertRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    code: str
    message: str
    response_id: uuid.UUID | None
    status: str
    raised_at: datetime
    # What was done, as AlertAction codes (empty for an alert closed before they were asked).
    actions: list[str] = Field(default_factory=list)
    action_taken: str | None
    resolved_at: datetime | None
    resolved_by: str | None = None
    version: int


class InstrumentLink(OutputModel):
    """An instrument to administer next, as a flag asks (a positive PHQ-2 asks for a PHQ-9)."""

    code: str
    title: str


class LinkedNeed(OutputModel):
    """A need this response is evidence for, as it stands now."""

    id: uuid.UUID
    domain: str
    description: str
    status: str


class ResponseRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    instrument: str
    instrument_title: str
    instrument_version: str
    status: str
    answered_on: date
    source: str
    total_score: int | None
    score_max: int | None
    band: str | None
    band_label: str | None
    band_level: int | None
    flags: list[str]
    flag_messages: list[str]
    next_instruments: list[InstrumentLink] = Field(default_factory=list)
    entered_by: str | None
    recorded_at: datetime
    status_reason: str | None
    version: int
    items: list[ItemAnswer] = Field(default_factory=list)
    previous_score: int | None = None
    previous_on: date | None = None
    score_change: int | None = None
    alerts_raised: list[uuid.UUID] = Field(default_factory=list)
    needs_identified: list[uuid.UUID] = Field(default_factory=list)
    revisions: list[RevisionRead] = Field(default_factory=list)
    # Every safety alert this response raised (active, resolved or withdrawn) and every need it
    # is evidence for: what the result page shows beside the score.
    safety_alerts: list[SafetyAlertRead] = Field(default_factory=list)
    linked_needs: list[LinkedNeed] = Field(default_factory=list)


class TrajectoryPoint(OutputModel):
    response_id: uuid.UUID
    on: date
    score: int
    band: str | None
    band_label: str | None
    band_level: int | None = None
    status: str


class TrajectoryRead(OutputModel):
    instrument: str
    title: str
    score_max: int
    remission_below: int
    bands: list[dict[str, Any]]
    points: list[TrajectoryPoint]
    enrolled_on: date | None
    baseline: TrajectoryPoint | None
    latest: TrajectoryPoint | None
    change: int | None
    percent_change: float | None
    response: bool
    remission: bool
    not_improving: bool
    not_improving_weeks: int
    weeks_in_treatment: int | None
    weeks_since_baseline: int | None
    days_since_last: int | None


class SafetyAlertResolve(InputModel):
    version: Version
    actions: list[AlertAction] = Field(
        default_factory=list,
        max_length=20,
        description="What was done (at least one): " + ", ".join(a.value for a in AlertAction),
    )
    action_taken: str | None = Field(
        default=None,
        max_length=4000,
        description="What was done, in words: who spoke with the patient, the risk found, the "
        'plan. Required with "other"',
    )


class NeedCreate(InputModel):
    domain: NeedDomain
    description: str = Field(min_length=3, max_length=500)
    status: NeedStatus = NeedStatus.confirmed


class NeedStatusChange(InputModel):
    version: Version
    status: NeedStatus
    reason: str | None = Field(default=None, max_length=500)


class NeedEventRead(OutputModel):
    from_status: str | None
    to_status: str
    reason: str | None
    by: str | None
    at: datetime


class NeedRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    domain: str
    description: str
    status: str
    origin: str
    evidence: list[dict[str, Any]]
    identified_on: date
    status_reason: str | None
    version: int
    history: list[NeedEventRead] = Field(default_factory=list)


class AssessmentCreate(InputModel):
    assessed_on: ClinicalDate | None = None
    narrative: str = Field(min_length=3, max_length=20000)
    priorities: str = Field(
        min_length=2, max_length=4000, description="What matters to the patient, in their words"
    )
    strengths: str | None = Field(default=None, max_length=4000)
    response_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    need_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class AssessmentAmend(AssessmentCreate):
    version: Version
    reason: Reason


class AssessmentRead(OutputModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    assessed_on: date
    narrative: str
    priorities: str
    strengths: str | None
    response_ids: list[uuid.UUID]
    need_ids: list[uuid.UUID]
    status: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    revisions: list[RevisionRead] = Field(default_factory=list)

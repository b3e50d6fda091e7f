"""What the care plan's JSON API takes and answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem.careplans.vocab import (
    Achievement,
    ActivityKind,
    ActivityStatus,
    AgreedBy,
    AgreementMethod,
    Comparator,
    GoalStatus,
    ResponsibleKind,
    TargetMeasure,
)
from tandem.schemas import ClinicalDate, InputModel, Name, Phone

Reason = Field(default=None, max_length=500, description="Why, recorded on the plan's version")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanCreate(_Strict):
    next_review_on: date | None = None
    reason: str | None = Reason


class Responsible(_Strict):
    """Exactly one party: a team member (``user_id``), an organisation (``organization_id``),
    the patient, or one of the patient's related persons (``related_person_id``)."""

    kind: ResponsibleKind
    user_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    related_person_id: uuid.UUID | None = None


Score = Field(default=None, strict=True, ge=0, le=100, description="The target score")


class GoalCreate(_Strict):
    description: str = Field(min_length=1, max_length=2000)
    target: str | None = Field(default=None, max_length=2000)
    target_date: date | None = None
    target_measure: TargetMeasure | None = None
    target_comparator: Comparator | None = None
    target_score: int | None = Score
    status: GoalStatus = GoalStatus.proposed
    achievement: Achievement = Achievement.in_progress
    addresses: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    reason: str | None = Reason


class GoalUpdate(_Strict):
    """A change of a goal. ``target_measure: null`` removes the measurable target (its
    comparator and score with it); its parts given alone change the current target."""

    description: str | None = Field(default=None, min_length=1, max_length=2000)
    target: str | None = Field(default=None, max_length=2000)
    target_date: date | None = None
    target_measure: TargetMeasure | None = None
    target_comparator: Comparator | None = None
    target_score: int | None = Score
    status: GoalStatus | None = None
    achievement: Achievement | None = None
    addresses: list[uuid.UUID] | None = Field(default=None, max_length=50)
    reason: str | None = Reason


class ActivityCreate(_Strict):
    title: str = Field(min_length=1, max_length=200)
    kind: ActivityKind
    responsible: Responsible
    due_on: date | None = None
    status: ActivityStatus = ActivityStatus.not_started
    reason: str | None = Reason


class ActivityUpdate(_Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    kind: ActivityKind | None = None
    responsible: Responsible | None = None
    due_on: date | None = None
    status: ActivityStatus | None = None
    reason: str | None = Reason


class MarkInError(_Strict):
    reason: str = Field(min_length=1, max_length=500)


class ResponsibleRead(BaseModel):
    kind: str
    user_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    related_person_id: uuid.UUID | None
    name: str
    on_team: bool | None = Field(
        default=None,
        description="For a team member: whether they are still on the patient's care team",
    )


class ActivityRead(BaseModel):
    id: uuid.UUID
    goal_id: uuid.UUID
    title: str
    kind: str
    responsible: ResponsibleRead
    due_on: date | None
    status: str


class AchievementBasis(BaseModel):
    """What a computed achievement rests on: the latest score and the baseline, and why."""

    measure: str
    target: str = Field(description='The target in words, e.g. "PHQ-9 below 5"')
    why: str = Field(description="met, met-again, better, worse, possible-relapse, ...")
    explanation: str
    score: int | None = Field(description="The latest score since the target was set")
    on: date | None
    baseline_score: int | None
    baseline_on: date | None


class GoalRead(BaseModel):
    id: uuid.UUID
    description: str
    target: str | None
    target_date: date | None
    target_measure: str | None = None
    target_comparator: str | None = None
    target_score: int | None = None
    target_set_on: date | None = None
    status: str
    achievement: str
    achievement_computed: bool = Field(
        default=False, description="Worked out from the scores (a measurable target)"
    )
    achievement_basis: AchievementBasis | None = None
    addresses: list[uuid.UUID]
    activities: list[ActivityRead]


class PlanCheck(BaseModel):
    """Something in the plan that looks wrong, in words, with what it concerns and the change
    that would put it right."""

    code: str
    message: str
    goal_ids: list[uuid.UUID] = Field(default_factory=list)
    activity_ids: list[uuid.UUID] = Field(default_factory=list)
    need_ids: list[uuid.UUID] = Field(default_factory=list)
    fix: dict[str, str] = Field(description='The suggested change, e.g. {"fix": "add-activity"}')
    alternatives: list[dict[str, str]] = Field(default_factory=list)


class ReviewReasonRead(BaseModel):
    code: str
    message: str
    need_ids: list[uuid.UUID] = Field(default_factory=list)
    measure: str | None = None


class ReviewRead(BaseModel):
    due: bool
    reasons: list[ReviewReasonRead]
    next_review_on: date | None
    last_reviewed_at: datetime | None
    last_reviewed_by: str | None = None


# -- the safety plan ---------------------------------------------------------------------

EntryText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# A safety plan is a page the patient keeps to hand: a few lines in each section, not a diary.
MAX_ENTRIES = 20
Entries: Any = Field(default_factory=list, max_length=MAX_ENTRIES)


class WordsEntry(InputModel):
    """A line in the patient's own words. ``id`` names one already on the plan (kept, or
    changed); without it the line is added."""

    id: uuid.UUID | None = None
    text: EntryText


class ContactEntry(InputModel):
    """Someone (or somewhere) to reach: a name and, where there is one, a phone number."""

    id: uuid.UUID | None = None
    name: Name
    phone: Phone = None


class SafetyPlanChange(InputModel):
    """The safety plan's sections, each a list of entries in order. A PUT names the whole plan
    (a section left out is emptied); a PATCH changes only the sections it names. In a section,
    an entry named by id (or saying just what one on the plan says) is that entry; an entry on
    the plan that the section leaves out is taken off it. ``reviewed_on`` (the day the plan was
    gone through with the patient) changes only when named, in either."""

    warning_signs: list[WordsEntry] = Entries
    coping_strategies: list[WordsEntry] = Entries
    people_and_places: list[ContactEntry] = Entries
    people_to_ask: list[ContactEntry] = Entries
    professionals: list[ContactEntry] = Entries
    making_safe: list[WordsEntry] = Entries
    reasons_for_living: list[WordsEntry] = Entries
    reviewed_on: ClinicalDate | None = None
    reason: str | None = Reason


class CrisisLineRead(BaseModel):
    """A crisis line every safety plan lists (``crisis_lines.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    phone: str = Field(min_length=1)
    how: str = Field(min_length=1)


class WordsEntryRead(BaseModel):
    id: uuid.UUID
    text: str


class ContactEntryRead(BaseModel):
    id: uuid.UUID
    name: str
    phone: str | None


class SafetyPlanRead(BaseModel):
    """The safety plan as it is now; its ETag is the care plan's version (``plan_version``)."""

    id: uuid.UUID
    plan_id: uuid.UUID
    plan_version: int
    reviewed_on: date | None
    reviewed_by: str | None
    updated_at: datetime
    updated_by: str | None
    crisis_lines: list[CrisisLineRead]
    warning_signs: list[WordsEntryRead]
    coping_strategies: list[WordsEntryRead]
    people_and_places: list[ContactEntryRead]
    people_to_ask: list[ContactEntryRead]
    professionals: list[ContactEntryRead]
    making_safe: list[WordsEntryRead]
    reasons_for_living: list[WordsEntryRead]


class AgreementCreate(_Strict):
    """The patient (or, with the patient's consent, one of their family members) reviewed the
    plan at ``version`` and agreed to it."""

    version: int = Field(ge=1, le=2_147_483_647, description="The version they agreed to")
    agreed_by: AgreedBy = AgreedBy.patient
    related_person_id: uuid.UUID | None = None
    method: AgreementMethod
    agreed_on: date | None = Field(default=None, description="The clinic's today if not given")
    consent_confirmed: bool = Field(
        default=False,
        description="For a family member: the patient consented to them agreeing on their behalf",
    )
    note: str | None = Field(default=None, max_length=1000)


class AgreementRead(BaseModel):
    id: uuid.UUID
    version: int
    agreed_by: str
    related_person_id: uuid.UUID | None
    name: str = Field(description="Who agreed: the patient, or the family member's name")
    method: str
    agreed_on: date
    note: str | None
    recorded_at: datetime
    recorded_by: str | None
    status: str


class PlanAgreement(BaseModel):
    """The latest live agreement to the plan, and how far the plan has moved since."""

    version: int
    name: str
    method: str
    agreed_on: date
    changes_since: int = Field(description="Versions saved since the agreed one")


class PlanRead(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    status: str
    version: int
    next_review_on: date | None
    last_reviewed_at: datetime | None = None
    last_reviewed_by: str | None = None
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    agreement: PlanAgreement | None = None
    goals: list[GoalRead]
    checks: list[PlanCheck] = Field(default_factory=list)
    review: ReviewRead | None = None
    safety_plan: SafetyPlanRead | None = None


class PlanUpdate(_Strict):
    next_review_on: date | None = None
    reason: str | None = Reason


class ReviewRecord(_Strict):
    next_review_on: date = Field(description="When the plan is to be reviewed next")
    reason: str | None = Reason


class DueForReview(BaseModel):
    """A patient on my caseload whose care plan is due for review, and why."""

    patient_id: uuid.UUID
    display_name: str
    plan_id: uuid.UUID
    version: int
    next_review_on: date | None
    last_reviewed_at: datetime | None
    reasons: list[ReviewReasonRead]


class VersionSummary(BaseModel):
    version: int
    changed_at: datetime
    changed_by: str | None
    reason: str | None


class VersionRead(VersionSummary):
    plan: dict[str, Any] = Field(description="The plan as it was after this change")


class FieldChange(BaseModel):
    before: Any
    after: Any


class Changed(BaseModel):
    id: str
    name: str = Field(description="The goal's description or the activity's title, as it is now")
    fields: dict[str, FieldChange]


class PartDiff(BaseModel):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[Changed]


class PlanDiff(BaseModel):
    from_version: int
    to_version: int
    plan: dict[str, FieldChange]
    goals: PartDiff
    activities: PartDiff
    # The safety plan's own fields (when it was reviewed, the crisis lines it listed) and its
    # entries, each with its ``section``.
    safety_plan: dict[str, FieldChange]
    safety_plan_entries: PartDiff


class Responsibility(BaseModel):
    """One open activity the caller (or their organisation) is responsible for."""

    activity_id: uuid.UUID
    patient_id: uuid.UUID
    patient: str = Field(description="The patient's name, as lists show it")
    title: str
    kind: str
    due_on: date | None
    status: str
    overdue: bool = Field(description="Due before the clinic's today")
    owner: str = Field(description="me, or my organisation")
    goal: str | None = Field(
        description="The goal it serves, for roles that may read the plan (never a partner)"
    )


class Responsibilities(BaseModel):
    items: list[Responsibility]
    overdue: int
    limited: bool = Field(description="More are owed than the list shows")


class PlanFromTemplate(_Strict):
    """Start the plan from a template, or add the template's goals to the current plan (with
    ``If-Match``)."""

    template: str = Field(min_length=1, max_length=60, description="A template's code")
    reason: str | None = Reason


class PlanFromTemplateRead(PlanRead):
    # Activities whose usual party is not on the care team, assigned to the caller meanwhile.
    notes: list[str]


class PlanFromTemplateForm(PlanFromTemplate):
    """The page's form: the plan version it was opened on (none when there was no plan)."""

    version: int | None = Field(default=None, ge=1, le=2_147_483_647)

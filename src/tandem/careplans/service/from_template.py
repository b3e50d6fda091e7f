"""Starting a plan from a template, or adding a template to the current plan: its goals (as
proposals, to be put in the patient's own words) and activities, each activity's usual party
made a real one of this patient's plan, all in one version of the plan."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.proof import PatientAccess
from tandem.access.service import require_patient
from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.capabilities import Capability
from tandem.careplans.definitions import PlanTemplate, TemplateParty, plan_template
from tandem.careplans.models import CareActivity, Goal
from tandem.careplans.schemas import (
    PlanCreate,
    PlanFromTemplate,
    PlanFromTemplateRead,
    Responsible,
)
from tandem.careplans.service import Done, Loaded, change_plan, create_plan
from tandem.careplans.service.goals import responsible_on_team, set_responsible
from tandem.careplans.vocab import Achievement, ActivityStatus, GoalStatus, ResponsibleKind
from tandem.careteams import service as careteams
from tandem.careteams.schemas import MemberRead
from tandem.careteams.vocab import CareTeamRole
from tandem.errors import ValidationProblem
from tandem.ids import new_id

# The care-team role that stands in each usual party's place.
ROLE_OF: dict[TemplateParty, CareTeamRole] = {
    TemplateParty.care_manager: CareTeamRole.lead_care_manager,
    TemplateParty.organisation: CareTeamRole.community_partner,
    TemplateParty.primary_care_provider: CareTeamRole.primary_care_provider,
    TemplateParty.psychiatric_consultant: CareTeamRole.psychiatric_consultant,
    TemplateParty.therapist: CareTeamRole.therapist,
    TemplateParty.social_worker: CareTeamRole.social_worker,
    TemplateParty.peer_specialist: CareTeamRole.peer_specialist,
}
MISSING = {
    TemplateParty.care_manager: "lead care manager",
    TemplateParty.organisation: "community partner organisation",
    TemplateParty.primary_care_provider: "primary care provider",
    TemplateParty.psychiatric_consultant: "psychiatric consultant",
    TemplateParty.therapist: "therapist",
    TemplateParty.social_worker: "social worker",
    TemplateParty.peer_specialist: "peer specialist",
}


class TeamMember(Protocol):
    """What choosing a party needs to know of a care-team member (a ``MemberRead``, or a
    synthetic population's member row)."""

    @property
    def role(self) -> str: ...
    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def name(self) -> str: ...
    @property
    def organization_id(self) -> uuid.UUID | None: ...
    @property
    def organization(self) -> str | None: ...


@dataclass(frozen=True)
class Party:
    """A real responsible party of the plan and the name the plan shows for it."""

    responsible: Responsible
    name: str


def resolve_party(party: TemplateParty, team: Sequence[TeamMember]) -> Party | None:
    """Who on this patient's care team stands in a template's usual party's place (the first
    of them in the team's order), or None when no one does."""
    if party == TemplateParty.patient:
        return Party(Responsible(kind=ResponsibleKind.patient), "The patient")
    role = ROLE_OF[party]
    for member in team:
        if member.role != role:
            continue
        if party == TemplateParty.organisation and member.organization_id is not None:
            return Party(
                Responsible(
                    kind=ResponsibleKind.organisation, organization_id=member.organization_id
                ),
                member.organization or "—",
            )
        if party != TemplateParty.organisation and member.user_id is not None:
            return Party(
                Responsible(kind=ResponsibleKind.team_member, user_id=member.user_id), member.name
            )
    return None


def caller_party(ctx: AccessContext, team: Sequence[MemberRead]) -> Party:
    """The caller, who stands in for a party the team lacks (they are on the team: only team
    members may change the plan)."""
    assert ctx.user_id is not None
    name = next((m.name for m in team if m.user_id == ctx.user_id), None)
    return Party(
        Responsible(kind=ResponsibleKind.team_member, user_id=ctx.user_id),
        name or ctx.full_name or ctx.username,
    )


def assign(
    template: PlanTemplate, team: Sequence[TeamMember], stand_in: Party
) -> tuple[list[list[Party]], list[str]]:
    """Each activity's party (by goal, in the template's order), and a note for every activity
    given to ``stand_in`` because the team has no one in its usual party's place."""
    parties: list[list[Party]] = []
    notes: list[str] = []
    for goal in template.goals:
        parties.append([])
        for step in goal.activities:
            found = resolve_party(step.responsible, team)
            if found is None:
                found = stand_in
                notes.append(
                    f"No {MISSING[step.responsible]} on the care team for “{step.title}”: "
                    f"assigned to {stand_in.name} until the team chooses who does it."
                )
            parties[-1].append(found)
    return parties, notes


def version_reason(template: PlanTemplate, given: str | None, notes: list[str]) -> str:
    """What the plan's history says of the change: why, and what was assigned to whom."""
    said = given or f"From the template “{template.title}” (version {template.version})."
    return " ".join([said, *notes])


async def apply_template(
    session: AsyncSession,
    ctx: AccessContext,
    patient_id: uuid.UUID,
    data: PlanFromTemplate,
    *,
    if_match: str | None,
    settings: TrajectorySettings | None = None,
) -> PlanFromTemplateRead:
    """Start the patient's plan from a template (no ``if_match``), or add the template to the
    plan at the version ``if_match`` names; one version of the plan either way."""
    template = plan_template(data.template)
    if template is None:
        raise ValidationProblem("There is no care plan template with this code.", field="template")
    access = await require_patient(session, ctx, patient_id, capability=Capability.edit_care_plan)
    team = await careteams.current_team(session, access)
    parties, notes = assign(template, team, caller_party(ctx, team))

    async def fill(loaded: Loaded, access: PatientAccess) -> Done:
        today, now = ctx.clock.today(), ctx.now()
        goals = [
            Goal(
                id=new_id(),
                plan_id=loaded.plan.id,
                patient_id=patient_id,
                description=item.description,
                target=item.target,
                target_date=item.target_on(today),
                status=GoalStatus.proposed,
                achievement=Achievement.in_progress,
                created_at=now,
                updated_at=now,
            )
            for item in template.goals
        ]
        session.add_all(goals)
        loaded.goals.extend(goals)
        await session.flush()  # the activities name their goals
        for item, goal, chosen in zip(template.goals, goals, parties, strict=True):
            for step, party in zip(item.activities, chosen, strict=True):
                activity = CareActivity(
                    id=new_id(),
                    goal_id=goal.id,
                    plan_id=loaded.plan.id,
                    patient_id=patient_id,
                    title=step.title,
                    kind=step.kind,
                    due_on=step.due_on(today),
                    status=ActivityStatus.not_started,
                    created_at=now,
                    updated_at=now,
                )
                set_responsible(activity, party.responsible)
                session.add(activity)
                loaded.activities.append(activity)
                loaded.names[activity.id] = party.name
                loaded.on_team[activity.id] = responsible_on_team(access, party.responsible)
        detail = {
            "template": template.code,
            "template_version": template.version,
            "goals": len(goals),
            "activities": template.activity_count,
            "assigned_to_caller": len(notes),
        }
        return "CarePlan", loaded.plan.id, "U", detail

    reason = version_reason(template, data.reason, notes)
    if if_match is None:
        # The version's reason is built here and may outgrow what a client may send.
        start = PlanCreate.model_construct(next_review_on=None, reason=reason)
        read = await create_plan(session, ctx, patient_id, start, fill, settings=settings)
    else:
        read = await change_plan(
            session, ctx, patient_id, if_match, reason, fill, settings=settings
        )
    return PlanFromTemplateRead(**read.model_dump(), notes=notes)

"""Every query on assessment tables, for patients whose access the caller has proven."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from tandem.access.proof import PatientAccess
from tandem.access.repository import row_of_patient
from tandem.access.scope import scoped_to_patient
from tandem.assessments.models import (
    ComprehensiveAssessment,
    Need,
    NeedEvent,
    Observation,
    Response,
    Revision,
    SafetyAlert,
)
from tandem.assessments.vocab import AlertStatus
from tandem.people.models import User
from tandem.vocab import RecordStatus

R = TypeVar("R")


class ByWhom(NamedTuple, Generic[R]):
    """A record with the name of the person who wrote, changed or closed it (None: nobody yet,
    or the account is gone)."""

    record: R
    name: str | None


class ScorePoint(NamedTuple):
    """A total score as a trajectory shows it: the columns of its observation and of the
    response it was derived from that the chart and its table use."""

    code: str
    on: date
    score: int
    band: str | None
    band_label: str | None
    status: str
    response_id: uuid.UUID
    response_status: str


async def responses(
    session: AsyncSession, access: PatientAccess, *, instrument: str | None = None
) -> Sequence[ByWhom[Response]]:
    """A patient's responses, newest first, with who entered each; without the item answers
    (a list shows scores, not answers: reading them raises)."""
    stmt = (
        select(Response, User.full_name)
        .outerjoin(User, User.id == Response.entered_by)
        .options(defer(Response.answers, raiseload=True))
    )
    if instrument is not None:
        stmt = stmt.where(Response.instrument == instrument)
    stmt = scoped_to_patient(stmt, access, Response.patient_id).order_by(
        Response.answered_on.desc(), Response.recorded_at.desc()
    )
    return [ByWhom(r, name) for r, name in (await session.execute(stmt)).all()]


async def response(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> Response | None:
    return await row_of_patient(session, access, Response, response_id)


async def previous_response(
    session: AsyncSession, access: PatientAccess, current: Response
) -> Response | None:
    """The last valid response to the same instrument before this one: answered earlier, or
    on the same day but recorded earlier."""
    stmt = scoped_to_patient(
        select(Response).where(
            Response.instrument == current.instrument,
            Response.status != RecordStatus.entered_in_error,
            Response.id != current.id,
            or_(
                Response.answered_on < current.answered_on,
                and_(
                    Response.answered_on == current.answered_on,
                    Response.recorded_at < current.recorded_at,
                ),
            ),
        ),
        access,
        Response.patient_id,
    ).order_by(Response.answered_on.desc(), Response.recorded_at.desc())
    found: Response | None = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    return found


async def last_recorded(
    session: AsyncSession, access: PatientAccess, instrument: str
) -> datetime | None:
    """When a valid response to ``instrument`` was last recorded."""
    stmt = scoped_to_patient(
        select(func.max(Response.recorded_at)).where(
            Response.instrument == instrument, Response.status != RecordStatus.entered_in_error
        ),
        access,
        Response.patient_id,
    )
    value: datetime | None = await session.scalar(stmt)
    return value


async def observations_of(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> Sequence[Observation]:
    stmt = scoped_to_patient(
        select(Observation).where(Observation.response_id == response_id),
        access,
        Observation.patient_id,
    )
    return (await session.execute(stmt)).scalars().all()


async def observations(
    session: AsyncSession, access: PatientAccess, *, code: str | None = None
) -> Sequence[Observation]:
    """A patient's observations (optionally one code), oldest first."""
    stmt = select(Observation)
    if code is not None:
        stmt = stmt.where(Observation.code == code)
    stmt = scoped_to_patient(stmt, access, Observation.patient_id).order_by(
        Observation.effective_on, Observation.recorded_at
    )
    return (await session.execute(stmt)).scalars().all()


async def score_points(
    session: AsyncSession, access: PatientAccess, codes: Sequence[str]
) -> Sequence[ScorePoint]:
    """Valid total-score observations for the given codes (one statement for every followed
    instrument), with their responses' ids and status, oldest first."""
    stmt = scoped_to_patient(
        select(
            Observation.code,
            Observation.effective_on,
            Observation.value_integer,
            Observation.value_code,
            Observation.value_display,
            Observation.status,
            Response.id,
            Response.status,
        )
        .join(Response, Response.id == Observation.response_id)
        .where(
            Observation.code.in_(codes),
            Observation.status != RecordStatus.entered_in_error,
            Observation.value_integer.is_not(None),
        ),
        access,
        Observation.patient_id,
        Response.patient_id,
    ).order_by(Observation.effective_on, Observation.recorded_at)
    return [ScorePoint._make(row) for row in (await session.execute(stmt)).all()]


async def revisions(
    session: AsyncSession, access: PatientAccess, record_id: uuid.UUID
) -> Sequence[ByWhom[Revision]]:
    """A record's earlier versions, newest first, with who changed it."""
    stmt = scoped_to_patient(
        select(Revision, User.full_name)
        .outerjoin(User, User.id == Revision.changed_by)
        .where(Revision.record_id == record_id),
        access,
        Revision.patient_id,
    ).order_by(Revision.version.desc())
    return [ByWhom(r, name) for r, name in (await session.execute(stmt)).all()]


async def alerts(
    session: AsyncSession, access: PatientAccess, *, active_only: bool = False
) -> Sequence[ByWhom[SafetyAlert]]:
    """Safety alerts, active first then newest, with who resolved each."""
    stmt = select(SafetyAlert, User.full_name).outerjoin(User, User.id == SafetyAlert.resolved_by)
    if active_only:
        stmt = stmt.where(SafetyAlert.status == AlertStatus.active)
    stmt = scoped_to_patient(stmt, access, SafetyAlert.patient_id).order_by(
        SafetyAlert.status != AlertStatus.active, SafetyAlert.raised_at.desc()
    )
    return [ByWhom(a, name) for a, name in (await session.execute(stmt)).all()]


async def alert(
    session: AsyncSession, access: PatientAccess, alert_id: uuid.UUID
) -> SafetyAlert | None:
    return await row_of_patient(session, access, SafetyAlert, alert_id)


async def alerts_of_response(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> Sequence[ByWhom[SafetyAlert]]:
    """Every alert a response raised, whatever its status, with who closed it."""
    stmt = scoped_to_patient(
        select(SafetyAlert, User.full_name)
        .outerjoin(User, User.id == SafetyAlert.resolved_by)
        .where(SafetyAlert.response_id == response_id),
        access,
        SafetyAlert.patient_id,
    ).order_by(SafetyAlert.raised_at)
    return [ByWhom(a, name) for a, name in (await session.execute(stmt)).all()]


async def needs(session: AsyncSession, access: PatientAccess) -> Sequence[Need]:
    stmt = scoped_to_patient(select(Need), access, Need.patient_id).order_by(
        Need.identified_on.desc(), Need.created_at.desc()
    )
    return (await session.execute(stmt)).scalars().all()


async def need(session: AsyncSession, access: PatientAccess, need_id: uuid.UUID) -> Need | None:
    return await row_of_patient(session, access, Need, need_id)


async def need_events(
    session: AsyncSession, access: PatientAccess, need_ids: Sequence[uuid.UUID]
) -> Sequence[ByWhom[NeedEvent]]:
    if not need_ids:
        return []
    stmt = scoped_to_patient(
        select(NeedEvent, User.full_name)
        .outerjoin(User, User.id == NeedEvent.by_user)
        .where(NeedEvent.need_id.in_(need_ids)),
        access,
        NeedEvent.patient_id,
    ).order_by(NeedEvent.at)
    return [ByWhom(e, name) for e, name in (await session.execute(stmt)).all()]


async def assessments(
    session: AsyncSession, access: PatientAccess
) -> Sequence[ByWhom[ComprehensiveAssessment]]:
    stmt = scoped_to_patient(
        select(ComprehensiveAssessment, User.full_name).outerjoin(
            User, User.id == ComprehensiveAssessment.author_id
        ),
        access,
        ComprehensiveAssessment.patient_id,
    ).order_by(
        ComprehensiveAssessment.assessed_on.desc(), ComprehensiveAssessment.created_at.desc()
    )
    return [ByWhom(a, name) for a, name in (await session.execute(stmt)).all()]


async def assessment(
    session: AsyncSession, access: PatientAccess, assessment_id: uuid.UUID
) -> ComprehensiveAssessment | None:
    return await row_of_patient(session, access, ComprehensiveAssessment, assessment_id)


async def user_names(session: AsyncSession, ids: Sequence[uuid.UUID | None]) -> dict[Any, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows.all()}

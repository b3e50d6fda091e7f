"""Every query on assessment tables, for patients whose access the caller has proven."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from tandem.access.proof import PatientAccess
from tandem.access.repository import row_of_patient
from tandem.access.scope import as_proven, patient_filter
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


# Each statement is built once, at import, its patient a parameter (CONTRIBUTING 9c).
_RESPONSES = patient_filter(
    select(Response, User.full_name)
    .outerjoin(User, User.id == Response.entered_by)
    .options(defer(Response.answers, raiseload=True)),
    Response.patient_id,
).order_by(Response.answered_on.desc(), Response.recorded_at.desc())
_RESPONSES_TO = _RESPONSES.where(Response.instrument == bindparam("instrument"))


async def responses(
    session: AsyncSession, access: PatientAccess, *, instrument: str | None = None
) -> Sequence[ByWhom[Response]]:
    """A patient's responses, newest first, with who entered each; without the item answers
    (a list shows scores, not answers: reading them raises)."""
    proven = as_proven(access)
    if instrument is None:
        rows = await session.execute(_RESPONSES, execution_options=proven)
    else:
        rows = await session.execute(
            _RESPONSES_TO, {"instrument": instrument}, execution_options=proven
        )
    return [ByWhom(r, name) for r, name in rows.all()]


async def response(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> Response | None:
    return await row_of_patient(session, access, Response, response_id)


async def previous_response(
    session: AsyncSession, access: PatientAccess, current: Response
) -> Response | None:
    """The last valid response to the same instrument before this one: answered earlier, or
    on the same day but recorded earlier."""
    values = {
        "instrument": current.instrument,
        "current": current.id,
        "answered_on": current.answered_on,
        "recorded_at": current.recorded_at,
    }
    found: Response | None = (
        await session.execute(_PREVIOUS, values, execution_options=as_proven(access))
    ).scalar_one_or_none()
    return found


_PREVIOUS = (
    patient_filter(
        select(Response).where(
            Response.instrument == bindparam("instrument"),
            Response.status != RecordStatus.entered_in_error,
            Response.id != bindparam("current", type_=Response.id.type),
            or_(
                Response.answered_on < bindparam("answered_on", type_=Response.answered_on.type),
                and_(
                    Response.answered_on == bindparam("answered_on"),
                    Response.recorded_at
                    < bindparam("recorded_at", type_=Response.recorded_at.type),
                ),
            ),
        ),
        Response.patient_id,
    )
    .order_by(Response.answered_on.desc(), Response.recorded_at.desc())
    .limit(1)
)


async def last_recorded(
    session: AsyncSession, access: PatientAccess, instrument: str
) -> datetime | None:
    """When a valid response to ``instrument`` was last recorded."""
    value: datetime | None = await session.scalar(
        _LAST_RECORDED, {"instrument": instrument}, execution_options=as_proven(access)
    )
    return value


_LAST_RECORDED = patient_filter(
    select(func.max(Response.recorded_at)).where(
        Response.instrument == bindparam("instrument"),
        Response.status != RecordStatus.entered_in_error,
    ),
    Response.patient_id,
)


async def observations_of(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> Sequence[Observation]:
    rows = await session.execute(
        _OBSERVATIONS_OF, {"response": response_id}, execution_options=as_proven(access)
    )
    return rows.scalars().all()


_OBSERVATIONS_OF = patient_filter(
    select(Observation).where(
        Observation.response_id == bindparam("response", type_=Observation.response_id.type)
    ),
    Observation.patient_id,
)
_OBSERVATIONS = patient_filter(select(Observation), Observation.patient_id).order_by(
    Observation.effective_on, Observation.recorded_at
)
_OBSERVATIONS_CODED = _OBSERVATIONS.where(Observation.code == bindparam("code"))


async def observations(
    session: AsyncSession, access: PatientAccess, *, code: str | None = None
) -> Sequence[Observation]:
    """A patient's observations (optionally one code), oldest first."""
    proven = as_proven(access)
    if code is None:
        rows = await session.execute(_OBSERVATIONS, execution_options=proven)
    else:
        rows = await session.execute(_OBSERVATIONS_CODED, {"code": code}, execution_options=proven)
    return rows.scalars().all()


async def score_points(
    session: AsyncSession, access: PatientAccess, codes: Sequence[str]
) -> Sequence[ScorePoint]:
    """Valid total-score observations for the given codes (one statement for every followed
    instrument), with their responses' ids and status, oldest first."""
    rows = await session.execute(
        _SCORE_POINTS, {"codes": list(codes)}, execution_options=as_proven(access)
    )
    return [ScorePoint._make(row) for row in rows.all()]


# The columns of a ScorePoint, in its order.
SCORE_POINT_COLUMNS = (
    Observation.code,
    Observation.effective_on,
    Observation.value_integer,
    Observation.value_code,
    Observation.value_display,
    Observation.status,
    Response.id,
    Response.status,
)
_SCORE_POINTS = patient_filter(
    select(*SCORE_POINT_COLUMNS)
    .join(Response, Response.id == Observation.response_id)
    .where(
        Observation.code.in_(bindparam("codes", expanding=True)),
        Observation.status != RecordStatus.entered_in_error,
        Observation.value_integer.is_not(None),
    ),
    Observation.patient_id,
    Response.patient_id,
).order_by(Observation.effective_on, Observation.recorded_at)


async def revisions(
    session: AsyncSession, access: PatientAccess, record_id: uuid.UUID
) -> Sequence[ByWhom[Revision]]:
    """A record's earlier versions, newest first, with who changed it."""
    rows = await session.execute(
        _REVISIONS, {"record": record_id}, execution_options=as_proven(access)
    )
    return [ByWhom(r, name) for r, name in rows.all()]


_REVISIONS = patient_filter(
    select(Revision, User.full_name)
    .outerjoin(User, User.id == Revision.changed_by)
    .where(Revision.record_id == bindparam("record", type_=Revision.record_id.type)),
    Revision.patient_id,
).order_by(Revision.version.desc())
_ALERTS = patient_filter(
    select(SafetyAlert, User.full_name).outerjoin(User, User.id == SafetyAlert.resolved_by),
    SafetyAlert.patient_id,
).order_by(SafetyAlert.status != AlertStatus.active, SafetyAlert.raised_at.desc())
_ACTIVE_ALERTS = _ALERTS.where(SafetyAlert.status == AlertStatus.active)


async def alerts(
    session: AsyncSession, access: PatientAccess, *, active_only: bool = False
) -> Sequence[ByWhom[SafetyAlert]]:
    """Safety alerts, active first then newest, with who resolved each."""
    stmt = _ACTIVE_ALERTS if active_only else _ALERTS
    rows = await session.execute(stmt, execution_options=as_proven(access))
    return [ByWhom(a, name) for a, name in rows.all()]


async def alert(
    session: AsyncSession, access: PatientAccess, alert_id: uuid.UUID
) -> SafetyAlert | None:
    return await row_of_patient(session, access, SafetyAlert, alert_id)


async def alerts_of_response(
    session: AsyncSession, access: PatientAccess, response_id: uuid.UUID
) -> Sequence[ByWhom[SafetyAlert]]:
    """Every alert a response raised, whatever its status, with who closed it."""
    rows = await session.execute(
        _ALERTS_OF_RESPONSE, {"response": response_id}, execution_options=as_proven(access)
    )
    return [ByWhom(a, name) for a, name in rows.all()]


_ALERTS_OF_RESPONSE = patient_filter(
    select(SafetyAlert, User.full_name)
    .outerjoin(User, User.id == SafetyAlert.resolved_by)
    .where(SafetyAlert.response_id == bindparam("response", type_=SafetyAlert.response_id.type)),
    SafetyAlert.patient_id,
).order_by(SafetyAlert.raised_at)
_NEEDS = patient_filter(select(Need), Need.patient_id).order_by(
    Need.identified_on.desc(), Need.created_at.desc()
)


async def needs(session: AsyncSession, access: PatientAccess) -> Sequence[Need]:
    return (await session.execute(_NEEDS, execution_options=as_proven(access))).scalars().all()


async def need(session: AsyncSession, access: PatientAccess, need_id: uuid.UUID) -> Need | None:
    return await row_of_patient(session, access, Need, need_id)


async def need_events(
    session: AsyncSession, access: PatientAccess, need_ids: Sequence[uuid.UUID]
) -> Sequence[ByWhom[NeedEvent]]:
    if not need_ids:
        return []
    rows = await session.execute(
        _NEED_EVENTS, {"needs": list(need_ids)}, execution_options=as_proven(access)
    )
    return [ByWhom(e, name) for e, name in rows.all()]


_NEED_EVENTS = patient_filter(
    select(NeedEvent, User.full_name)
    .outerjoin(User, User.id == NeedEvent.by_user)
    .where(NeedEvent.need_id.in_(bindparam("needs", expanding=True))),
    NeedEvent.patient_id,
).order_by(NeedEvent.at)
_ASSESSMENTS = patient_filter(
    select(ComprehensiveAssessment, User.full_name).outerjoin(
        User, User.id == ComprehensiveAssessment.author_id
    ),
    ComprehensiveAssessment.patient_id,
).order_by(ComprehensiveAssessment.assessed_on.desc(), ComprehensiveAssessment.created_at.desc())


async def assessments(
    session: AsyncSession, access: PatientAccess
) -> Sequence[ByWhom[ComprehensiveAssessment]]:
    rows = await session.execute(_ASSESSMENTS, execution_options=as_proven(access))
    return [ByWhom(a, name) for a, name in rows.all()]


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

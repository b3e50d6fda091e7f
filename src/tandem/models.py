"""Imports every domain's tables so that Base.metadata is complete (Alembic, tests)."""

from tandem.access.models import BreakGlassGrant
from tandem.assessments.models import (
    ComprehensiveAssessment,
    Need,
    NeedEvent,
    Observation,
    Response,
    Revision,
    SafetyAlert,
)
from tandem.audit.models import AuditChainPosition, AuditEvent
from tandem.auth.models import ApiToken, SignInThrottle, UserSession
from tandem.careplans.models import (
    CareActivity,
    CarePlan,
    CarePlanAgreement,
    CarePlanVersion,
    Goal,
    GoalNeed,
)
from tandem.careteams.models import CareTeamMember, Enrolment
from tandem.db import Base
from tandem.notify.models import Notification
from tandem.people.models import Organization, Patient, PatientIdentifier, RelatedPerson, User

__all__ = [
    "ApiToken",
    "AuditChainPosition",
    "AuditEvent",
    "Base",
    "BreakGlassGrant",
    "CareActivity",
    "CarePlan",
    "CarePlanAgreement",
    "CarePlanVersion",
    "CareTeamMember",
    "ComprehensiveAssessment",
    "Enrolment",
    "Goal",
    "GoalNeed",
    "Need",
    "NeedEvent",
    "Notification",
    "Observation",
    "Organization",
    "Patient",
    "PatientIdentifier",
    "RelatedPerson",
    "Response",
    "Revision",
    "SafetyAlert",
    "SignInThrottle",
    "User",
    "UserSession",
]

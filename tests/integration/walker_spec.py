"""What the route walker expects of every route: the capability it needs, and a valid body.

Every route of the application is declared here, so a route added later fails the walker until
someone decides what it needs:

* ``OnPatient(capability)`` reaches one patient's data: 404 without a care relationship, 403
  with one whose role (or emergency access) lacks the capability, success when it has it;
* ``Staff(capability)`` is staff-wide work (registering, reviews, administration): 403 unless
  the role has the capability;
* ``Own(reason)`` is the caller's own or reference data (caseload, notifications, account,
  instruments); it never reaches a patient through a proof.

Bodies are written out by hand, valid for the lead care manager, so that a write that should
succeed reaches the service and changes something — a body the service refuses fails the walk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tests.factories import phq9_answers

from tandem.capabilities import Capability

C = Capability


@dataclass(frozen=True)
class OnPatient:
    capability: Capability
    # A staff capability that reaches the same data without a relationship (privacy officer).
    staff: Capability | None = None


@dataclass(frozen=True)
class Staff:
    capability: Capability
    # It shows or changes patients' data (a review), so it must be audited.
    patient_data: bool = False


@dataclass(frozen=True)
class Own:
    reason: str
    # Calling it would end the walker's own session (sign-out, password change, sign-in).
    walk: bool = True


Rule = OnPatient | Staff | Own
API = "/api/v1"
P = "/patients/{patient_id}"
CP = f"{P}/care-plan"

ROUTES: dict[str, Rule] = {
    # -- the JSON API ------------------------------------------------------------------------
    f"GET {API}/openapi.json": Own("the published description of the API"),
    f"GET {API}/docs": Own("the interactive documentation page"),
    f"GET {API}/me": Own("who am I"),
    f"GET {API}/instruments": Own("reference data: the instruments"),
    f"GET {API}/instruments/{{code}}": Own("reference data: one instrument"),
    f"GET {API}/notifications": Own("my notifications, about my own patients"),
    f"POST {API}/notifications/{{notification_id}}/read": OnPatient(C.read_contact),
    f"GET {API}/patients": Own("my caseload"),
    f"GET {API}/my/responsibilities": Own("my own activities, on my caseload"),
    f"POST {API}/patients": Staff(C.register_patient),
    f"POST {API}/break-glass": Staff(C.break_the_glass, patient_data=True),
    f"GET {API}/break-glass": Staff(C.review_emergency_access, patient_data=True),
    f"POST {API}/break-glass/{{grant_id}}/review": Staff(
        C.review_emergency_access, patient_data=True
    ),
    f"GET {API}/potential-duplicates": Staff(C.review_duplicates, patient_data=True),
    f"GET {API}/potential-duplicates/{{question_id}}": Staff(
        C.review_duplicates, patient_data=True
    ),
    f"POST {API}/potential-duplicates/{{question_id}}/resolve": Staff(
        C.review_duplicates, patient_data=True
    ),
    f"GET {API}/audit-events": Staff(C.read_any_access_log, patient_data=True),
    f"GET {API}/audit-events/refused-summary": Staff(C.read_any_access_log, patient_data=True),
    f"GET {API}/audit-events.csv": Staff(C.read_any_access_log, patient_data=True),
    f"GET {API}/organizations": Own("reference data: organisations"),
    f"POST {API}/organizations": Staff(C.administer_organizations),
    f"PATCH {API}/organizations/{{organization_id}}": Staff(C.administer_organizations),
    f"GET {API}/users": Staff(C.administer_users),
    f"GET {API}/staff": Own("the staff directory, to choose team members"),
    f"POST {API}/users": Staff(C.administer_users),
    f"PATCH {API}/users/{{user_id}}": Staff(C.administer_users),
    f"POST {API}/users/{{user_id}}/deactivate": Staff(C.administer_users),
    f"POST {API}/users/{{user_id}}/reactivate": Staff(C.administer_users),
    f"POST {API}/users/{{user_id}}/reset-password": Staff(C.administer_users),
    f"GET {API}{P}": OnPatient(C.read_chart),
    f"GET {API}{P}/contact": OnPatient(C.read_contact),
    f"PATCH {API}{P}": OnPatient(C.edit_demographics),
    f"POST {API}{P}/entered-in-error": OnPatient(C.mark_registration_in_error),
    f"GET {API}{P}/access-log": OnPatient(C.read_access_log, staff=C.read_any_access_log),
    f"GET {API}{P}/identifiers": OnPatient(C.read_identifiers),
    f"POST {API}{P}/identifiers": OnPatient(C.edit_identifiers),
    f"POST {API}{P}/identifiers/{{identifier_id}}/entered-in-error": OnPatient(C.edit_identifiers),
    f"GET {API}{P}/related-persons": OnPatient(C.read_family),
    f"POST {API}{P}/related-persons": OnPatient(C.edit_family),
    f"PATCH {API}{P}/related-persons/{{person_id}}": OnPatient(C.edit_family),
    f"POST {API}{P}/related-persons/{{person_id}}/end": OnPatient(C.edit_family),
    f"GET {API}{P}/care-team": OnPatient(C.read_care_team),
    f"POST {API}{P}/care-team": OnPatient(C.manage_care_team),
    f"PATCH {API}{P}/care-team/{{member_id}}": OnPatient(C.manage_care_team),
    f"POST {API}{P}/care-team/{{member_id}}/end": OnPatient(C.manage_care_team),
    f"POST {API}{P}/care-team/lead": OnPatient(C.manage_care_team),
    f"GET {API}{P}/enrolments": OnPatient(C.read_enrolments),
    f"POST {API}{P}/enrolments": OnPatient(C.manage_enrolments),
    f"PATCH {API}{P}/enrolments/{{enrolment_id}}": OnPatient(C.manage_enrolments),
    f"POST {API}{P}/enrolments/{{enrolment_id}}/entered-in-error": OnPatient(C.manage_enrolments),
    f"GET {API}{P}/responses": OnPatient(C.read_measurements),
    f"POST {API}{P}/responses": OnPatient(C.record_measurements),
    f"GET {API}{P}/responses/{{response_id}}": OnPatient(C.read_measurements),
    f"POST {API}{P}/responses/{{response_id}}/amend": OnPatient(C.record_measurements),
    f"POST {API}{P}/responses/{{response_id}}/entered-in-error": OnPatient(C.record_measurements),
    f"GET {API}{P}/trajectories/{{instrument_code}}": OnPatient(C.read_measurements),
    f"GET {API}{P}/safety-alerts": OnPatient(C.read_safety),
    f"POST {API}{P}/safety-alerts/{{alert_id}}/resolve": OnPatient(C.close_safety_alert),
    f"GET {API}{CP}": OnPatient(C.read_care_plan),
    f"POST {API}{CP}": OnPatient(C.edit_care_plan),
    f"PATCH {API}{CP}": OnPatient(C.edit_care_plan),
    f"POST {API}{CP}/review": OnPatient(C.edit_care_plan),
    f"GET {API}/care-plans/due-for-review": Own(
        "my caseload: the care plans due for review (team relationships only)"
    ),
    f"POST {API}{CP}/goals": OnPatient(C.edit_care_plan),
    f"PATCH {API}{CP}/goals/{{goal_id}}": OnPatient(C.edit_care_plan),
    f"POST {API}{CP}/goals/{{goal_id}}/entered-in-error": OnPatient(C.edit_care_plan),
    f"POST {API}{CP}/goals/{{goal_id}}/activities": OnPatient(C.edit_care_plan),
    f"PATCH {API}{CP}/activities/{{activity_id}}": OnPatient(C.edit_care_plan),
    f"POST {API}{CP}/activities/{{activity_id}}/entered-in-error": OnPatient(C.edit_care_plan),
    f"GET {API}{CP}/agreements": OnPatient(C.read_care_plan),
    f"POST {API}{CP}/agreements": OnPatient(C.edit_care_plan),
    f"POST {API}{CP}/agreements/{{agreement_id}}/entered-in-error": OnPatient(C.edit_care_plan),
    f"GET {API}{CP}/versions": OnPatient(C.read_care_plan),
    f"GET {API}{CP}/versions/{{version}}": OnPatient(C.read_care_plan),
    f"GET {API}{CP}/versions/{{first}}/diff/{{second}}": OnPatient(C.read_care_plan),
    f"POST {API}{CP}/from-template": OnPatient(C.edit_care_plan),
    f"GET {API}/care-plan-templates": Own("reference data: the care plan templates"),
    f"GET {API}{CP}/safety-plan": OnPatient(C.read_care_plan),
    f"PUT {API}{CP}/safety-plan": OnPatient(C.edit_care_plan),
    f"PATCH {API}{CP}/safety-plan": OnPatient(C.edit_care_plan),
    f"GET {API}{P}/needs": OnPatient(C.read_needs),
    f"POST {API}{P}/needs": OnPatient(C.manage_needs),
    f"POST {API}{P}/needs/{{need_id}}/status": OnPatient(C.manage_needs),
    f"GET {API}{P}/comprehensive-assessments": OnPatient(C.read_assessments),
    f"POST {API}{P}/comprehensive-assessments": OnPatient(C.write_assessments),
    f"GET {API}{P}/comprehensive-assessments/{{assessment_id}}": OnPatient(C.read_assessments),
    f"POST {API}{P}/comprehensive-assessments/{{assessment_id}}/amend": OnPatient(
        C.write_assessments
    ),
    f"POST {API}{P}/comprehensive-assessments/{{assessment_id}}/entered-in-error": OnPatient(
        C.write_assessments
    ),
    # -- the pages ---------------------------------------------------------------------------
    "GET /": Own("sends each user to where their day starts"),
    "GET /favicon.ico": Own("the Tandem mark"),
    "GET /login": Own("the sign-in page"),
    "GET /healthz": Own("operations: the process is up (no sign-in, nothing of a patient)"),
    "GET /readyz": Own("operations: database and audit keys ready (no sign-in, no patient)"),
    "GET /metrics": Own("operations: request counts by route template, to this machine only"),
    "POST /login": Own("signing in", walk=False),
    "POST /logout": Own("signing out", walk=False),
    "GET /account/password": Own("my password"),
    "POST /account/password": Own("changing my password", walk=False),
    "GET /caseload": Own("my caseload"),
    "GET /my/responsibilities": Own("my own activities, on my caseload"),
    "GET /notifications": Own("my notifications, about my own patients"),
    "POST /notifications/{notification_id}/open": OnPatient(C.read_contact),
    "GET /patients/new": Staff(C.register_patient),
    "POST /patients/new": Staff(C.register_patient),
    "GET /emergency-access": Staff(C.break_the_glass),
    "POST /emergency-access": Staff(C.break_the_glass, patient_data=True),
    "GET /privacy/access-log": Staff(C.read_any_access_log, patient_data=True),
    "GET /privacy/audit": Staff(C.read_any_access_log, patient_data=True),
    "GET /privacy/audit/refused": Staff(C.read_any_access_log, patient_data=True),
    "GET /admin/users": Staff(C.administer_users),
    "GET /admin/users/new": Staff(C.administer_users),
    "POST /admin/users/new": Staff(C.administer_users),
    "GET /admin/users/{user_id}": Staff(C.administer_users),
    "POST /admin/users/{user_id}": Staff(C.administer_users),
    "POST /admin/users/{user_id}/active": Staff(C.administer_users),
    "POST /admin/users/{user_id}/password": Staff(C.administer_users),
    "GET /admin/organizations": Staff(C.administer_organizations),
    "POST /admin/organizations": Staff(C.administer_organizations),
    "GET /admin/organizations/{org_id}": Staff(C.administer_organizations),
    "POST /admin/organizations/{org_id}": Staff(C.administer_organizations),
    "POST /admin/organizations/{org_id}/active": Staff(C.administer_organizations),
    "GET /admin/duplicates": Staff(C.review_duplicates, patient_data=True),
    "GET /admin/duplicates/{question_id}": Staff(C.review_duplicates, patient_data=True),
    "POST /admin/duplicates/{question_id}": Staff(C.review_duplicates, patient_data=True),
    "GET /admin/break-glass": Staff(C.review_emergency_access, patient_data=True),
    "GET /admin/break-glass/{grant_id}": Staff(C.review_emergency_access, patient_data=True),
    "POST /admin/break-glass/{grant_id}": Staff(C.review_emergency_access, patient_data=True),
    f"GET {P}": OnPatient(C.read_contact),
    f"GET {P}/edit": OnPatient(C.edit_demographics),
    f"POST {P}/edit": OnPatient(C.edit_demographics),
    f"GET {P}/entered-in-error": OnPatient(C.mark_registration_in_error),
    f"POST {P}/entered-in-error": OnPatient(C.mark_registration_in_error),
    f"GET {P}/access-log": OnPatient(C.read_access_log),
    f"GET {P}/identifiers": OnPatient(C.read_identifiers),
    f"POST {P}/identifiers": OnPatient(C.edit_identifiers),
    f"GET {P}/identifiers/{{identifier_id}}/entered-in-error": OnPatient(C.edit_identifiers),
    f"POST {P}/identifiers/{{identifier_id}}/entered-in-error": OnPatient(C.edit_identifiers),
    f"GET {P}/related-persons": OnPatient(C.read_family),
    f"POST {P}/related-persons": OnPatient(C.edit_family),
    f"GET {P}/related-persons/{{person_id}}": OnPatient(C.edit_family),
    f"POST {P}/related-persons/{{person_id}}": OnPatient(C.edit_family),
    f"POST {P}/related-persons/{{person_id}}/end": OnPatient(C.edit_family),
    f"GET {P}/care-team": OnPatient(C.read_care_team),
    f"POST {P}/care-team": OnPatient(C.manage_care_team),
    f"POST {P}/care-team/lead": OnPatient(C.manage_care_team),
    f"GET {P}/care-team/{{member_id}}": OnPatient(C.manage_care_team),
    f"POST {P}/care-team/{{member_id}}": OnPatient(C.manage_care_team),
    f"POST {P}/care-team/{{member_id}}/end": OnPatient(C.manage_care_team),
    f"GET {P}/enrolments": OnPatient(C.read_enrolments),
    f"POST {P}/enrolments": OnPatient(C.manage_enrolments),
    f"GET {P}/enrolments/{{enrolment_id}}": OnPatient(C.read_enrolments),
    f"POST {P}/enrolments/{{enrolment_id}}": OnPatient(C.manage_enrolments),
    f"POST {P}/enrolments/{{enrolment_id}}/entered-in-error": OnPatient(C.manage_enrolments),
    f"GET {P}/measurements": OnPatient(C.read_measurements),
    f"GET {P}/responses/new": OnPatient(C.record_measurements),
    f"POST {P}/responses": OnPatient(C.record_measurements),
    f"GET {P}/responses/{{response_id}}": OnPatient(C.read_measurements),
    f"GET {P}/responses/{{response_id}}/amend": OnPatient(C.record_measurements),
    f"POST {P}/responses/{{response_id}}/amend": OnPatient(C.record_measurements),
    f"POST {P}/responses/{{response_id}}/entered-in-error": OnPatient(C.record_measurements),
    f"GET {P}/safety": OnPatient(C.read_safety),
    f"POST {P}/safety/{{alert_id}}/resolve": OnPatient(C.close_safety_alert),
    f"GET {CP}": OnPatient(C.read_care_plan),
    f"POST {CP}": OnPatient(C.edit_care_plan),
    f"GET {CP}/goals/new": OnPatient(C.edit_care_plan),
    f"POST {CP}/goals": OnPatient(C.edit_care_plan),
    f"GET {CP}/goals/{{goal_id}}": OnPatient(C.edit_care_plan),
    f"POST {CP}/goals/{{goal_id}}": OnPatient(C.edit_care_plan),
    f"POST {CP}/goals/{{goal_id}}/entered-in-error": OnPatient(C.edit_care_plan),
    f"GET {CP}/goals/{{goal_id}}/activities/new": OnPatient(C.edit_care_plan),
    f"POST {CP}/goals/{{goal_id}}/activities": OnPatient(C.edit_care_plan),
    f"GET {CP}/activities/{{activity_id}}": OnPatient(C.edit_care_plan),
    f"POST {CP}/activities/{{activity_id}}": OnPatient(C.edit_care_plan),
    f"POST {CP}/activities/{{activity_id}}/entered-in-error": OnPatient(C.edit_care_plan),
    f"POST {CP}/review": OnPatient(C.edit_care_plan),
    f"POST {CP}/activities/{{activity_id}}/status": OnPatient(C.edit_care_plan),
    f"GET {CP}/agreement": OnPatient(C.edit_care_plan),
    f"POST {CP}/agreements": OnPatient(C.edit_care_plan),
    f"POST {CP}/agreements/{{agreement_id}}/entered-in-error": OnPatient(C.edit_care_plan),
    f"GET {CP}/history": OnPatient(C.read_care_plan),
    f"GET {CP}/versions/{{version}}": OnPatient(C.read_care_plan),
    f"GET {CP}/safety-plan": OnPatient(C.read_care_plan),
    f"GET {CP}/safety-plan/edit": OnPatient(C.edit_care_plan),
    f"POST {CP}/safety-plan": OnPatient(C.edit_care_plan),
    f"GET {P}/needs": OnPatient(C.read_needs),
    f"POST {P}/needs": OnPatient(C.manage_needs),
    f"POST {P}/needs/{{need_id}}/status": OnPatient(C.manage_needs),
    f"GET {P}/care-plan/print": OnPatient(C.read_care_plan),
    f"GET {P}/care-plan/print/clinical": OnPatient(C.read_care_plan),
    f"GET {P}/care-plan.pdf": OnPatient(C.read_care_plan),
    f"POST {P}/care-plan/from-template": OnPatient(C.edit_care_plan),
    f"GET {P}/assessments": OnPatient(C.read_assessments),
    f"GET {P}/assessments/new": OnPatient(C.write_assessments),
    f"POST {P}/assessments": OnPatient(C.write_assessments),
    f"GET {P}/assessments/{{assessment_id}}": OnPatient(C.read_assessments),
    f"POST {P}/assessments/{{assessment_id}}/amend": OnPatient(C.write_assessments),
    f"POST {P}/assessments/{{assessment_id}}/entered-in-error": OnPatient(C.write_assessments),
}

# Headers a route needs: every change of the care plan names the version it is based on.
HEADERS: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    key: (lambda ids: {"If-Match": f'"{ids["plan_version"]}"'})
    for key in (
        f"PATCH {API}{CP}",
        f"POST {API}{CP}/review",
        f"POST {API}{CP}/goals",
        f"PATCH {API}{CP}/goals/{{goal_id}}",
        f"POST {API}{CP}/goals/{{goal_id}}/entered-in-error",
        f"POST {API}{CP}/goals/{{goal_id}}/activities",
        f"PATCH {API}{CP}/activities/{{activity_id}}",
        f"POST {API}{CP}/activities/{{activity_id}}/entered-in-error",
        f"POST {API}{CP}/from-template",
        f"PUT {API}{CP}/safety-plan",
        f"PATCH {API}{CP}/safety-plan",
    )
}

# SQL run (inside the call's savepoint, before its snapshot) so that a route can do its work:
# creating a care plan needs the patient's current one out of the way.
PREPARE: dict[str, str] = {
    f"POST {API}{CP}": "UPDATE care_plan SET status = 'entered-in-error'",
    f"POST {CP}": "UPDATE care_plan SET status = 'entered-in-error'",
}

# Query strings a route needs to do its work.
QUERIES: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "GET /privacy/access-log": lambda ids: {"mrn": ids["mrn"]},
    f"GET {P}/responses/new": lambda ids: {"instrument": "phq-9"},
}


def _day(ids: dict[str, Any], days_ago: int) -> str:
    day = ids["today"] - timedelta(days=days_ago)
    return str(day.isoformat())


def _answers(total: int, item9: int = 0) -> dict[str, str]:
    return phq9_answers(total, item9=item9)


def _form_answers(total: int, item9: int = 0) -> dict[str, str]:
    return {f"answers.{k}": v for k, v in _answers(total, item9).items()}


NARRATIVE = {
    "narrative": "Low mood since losing work; sleeping poorly; route walker.",
    "priorities": "Getting back to work, in the patient's words.",
}

# JSON bodies by route, then form bodies for the pages (a function of the scene's ids).
BODIES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    f"POST {API}/patients": lambda ids: {
        "given_name": "Wanda",
        "family_name": "Walkabout",
        "birth_date": "1975-02-03",
        "gender": "female",
    },
    f"POST {API}/break-glass": lambda ids: {
        "mrn": ids["mrn"],
        "birth_date": ids["birth_date"],
        "reason": "Brought to the ED unresponsive; the team cannot be reached.",
    },
    f"POST {API}/break-glass/{{grant_id}}/review": lambda ids: {
        "note": "Reviewed: an appropriate emergency use."
    },
    f"POST {API}/organizations": lambda ids: {
        "name": "Walkway Housing",
        "kind": "community_partner",
    },
    f"PATCH {API}/organizations/{{organization_id}}": lambda ids: {"phone": "+1 555 010 7000"},
    f"POST {API}/potential-duplicates/{{question_id}}/resolve": lambda ids: {
        "outcome": "dismissed",
        "note": "Different people: another date of first contact",
        "version": 1,
    },
    "POST /admin/duplicates/{question_id}": lambda ids: {
        "outcome": "dismissed",
        "note": "Different people: another date of first contact",
        "version": "1",
    },
    f"POST {API}/users": lambda ids: {
        "username": "walker.new",
        "full_name": "Wendy Walkerson",
        "role": "therapist",
        "password": "a-long-temporary-password",
    },
    f"PATCH {API}/users/{{user_id}}": lambda ids: {"version": 1, "full_name": "Tess Renamed"},
    f"POST {API}/users/{{user_id}}/reset-password": lambda ids: {
        "password": "another-temporary-password"
    },
    f"PATCH {API}{P}": lambda ids: {"version": 1, "preferred_name": "Walt"},
    f"POST {API}{P}/entered-in-error": lambda ids: {
        "version": 1,
        "reason": "Registered twice by mistake",
    },
    f"POST {API}{P}/identifiers": lambda ids: {"system": "medicaid", "value": "MCD-WALK-2"},
    f"POST {API}{P}/identifiers/{{identifier_id}}/entered-in-error": lambda ids: {
        "version": 1,
        "reason": "Typed wrongly",
    },
    f"POST {API}{P}/related-persons": lambda ids: {
        "name": "Rosa Walker",
        "relationship": "sibling",
    },
    f"PATCH {API}{P}/related-persons/{{person_id}}": lambda ids: {
        "version": 1,
        "phone": "+1 555 010 9999",
    },
    f"POST {API}{P}/related-persons/{{person_id}}/end": lambda ids: {
        "version": 1,
        "reason": "Moved away",
    },
    f"POST {API}{P}/care-team": lambda ids: {"role": "therapist", "user_id": ids["joiner_id"]},
    f"PATCH {API}{P}/care-team/{{member_id}}": lambda ids: {
        "version": 1,
        "role": "psychiatric_consultant",
    },
    f"POST {API}{P}/care-team/{{member_id}}/end": lambda ids: {
        "version": 1,
        "reason": "Moved to another clinic",
    },
    f"POST {API}{P}/care-team/lead": lambda ids: {
        "user_id": ids["next_lead_id"],
        "reason": "Caseloads rebalanced",
    },
    f"POST {API}{P}/enrolments": lambda ids: {
        "programme": "Perinatal mental health",
        "phase": "active",
        "start_date": _day(ids, 1),
    },
    f"PATCH {API}{P}/enrolments/{{enrolment_id}}": lambda ids: {
        "version": 1,
        "phase": "relapse_prevention",
    },
    f"POST {API}{P}/enrolments/{{enrolment_id}}/entered-in-error": lambda ids: {
        "version": 1,
        "reason": "Wrong programme",
    },
    f"POST {API}{P}/responses": lambda ids: {"instrument": "phq-9", "answers": _answers(8)},
    f"POST {API}{P}/responses/{{response_id}}/amend": lambda ids: {
        "version": 1,
        "answers": _answers(10, item9=1),
        "reason": "Item 3 was misread",
    },
    f"POST {API}{P}/responses/{{response_id}}/entered-in-error": lambda ids: {
        "version": 1,
        "reason": "Recorded for the wrong patient",
    },
    f"POST {API}{P}/safety-alerts/{{alert_id}}/resolve": lambda ids: {
        "version": 1,
        "actions": ["safety-plan-reviewed", "crisis-line-given"],
        "action_taken": "Called the patient today; safety plan reviewed, 988 given.",
    },
    # The walker's plan is at version 4 (a goal, an activity and the safety plan); POST
    # care-plan finds the plan entered in error first (PREPARE), so that a new one may be made.
    f"POST {API}{CP}": lambda ids: {"next_review_on": _day(ids, -30), "reason": "Walked"},
    f"PATCH {API}{CP}": lambda ids: {"next_review_on": _day(ids, -45), "reason": "Walked"},
    f"POST {API}{CP}/review": lambda ids: {"next_review_on": _day(ids, -60)},
    f"POST {API}{CP}/goals": lambda ids: {
        "description": "Walk to the shop and back without panicking",
        "addresses": [ids["need_id"]],
        "reason": "Agreed with the patient",
    },
    f"PATCH {API}{CP}/goals/{{goal_id}}": lambda ids: {"achievement": "improving"},
    f"POST {API}{CP}/goals/{{goal_id}}/entered-in-error": lambda ids: {"reason": "Wrong chart"},
    f"POST {API}{CP}/goals/{{goal_id}}/activities": lambda ids: {
        "title": "Housing application",
        "kind": "housing-application",
        "responsible": {"kind": "patient"},
    },
    f"PATCH {API}{CP}/activities/{{activity_id}}": lambda ids: {"status": "scheduled"},
    f"PUT {API}{CP}/safety-plan": lambda ids: {
        "warning_signs": [{"text": "I stop answering my phone"}],
        "people_to_ask": [{"name": "Rosa Walker", "phone": "+1 555 010 9999"}],
        "reason": "Gone through after the walk",
    },
    f"PATCH {API}{CP}/safety-plan": lambda ids: {"reviewed_on": _day(ids, 0)},
    f"POST {API}{CP}/activities/{{activity_id}}/entered-in-error": lambda ids: {
        "reason": "Recorded twice"
    },
    f"POST {API}{CP}/from-template": lambda ids: {
        "template": "anxiety-collaborative-care",
        "reason": "Agreed at the visit",
    },
    # The walker's patient agreed to the current version (4); a family member (the scene's
    # caregiver) agrees too, with the patient's consent.
    f"POST {API}{CP}/agreements": lambda ids: {
        "version": ids["plan_version"],
        "method": "phone",
        "agreed_by": "related_person",
        "related_person_id": ids["person_id"],
        "consent_confirmed": True,
    },
    f"POST {API}{CP}/agreements/{{agreement_id}}/entered-in-error": lambda ids: {
        "reason": "Recorded on the wrong patient"
    },
    f"POST {API}{P}/needs": lambda ids: {
        "domain": "housing-instability",
        "description": "Behind on rent; notice received",
        "status": "confirmed",
    },
    f"POST {API}{P}/needs/{{need_id}}/status": lambda ids: {
        "version": 1,
        "status": "confirmed",
        "reason": "Agreed with the patient",
    },
    f"POST {API}{P}/comprehensive-assessments": lambda ids: dict(NARRATIVE),
    f"POST {API}{P}/comprehensive-assessments/{{assessment_id}}/amend": lambda ids: {
        **NARRATIVE,
        "version": 1,
        "reason": "The patient corrected her priorities",
    },
    f"POST {API}{P}/comprehensive-assessments/{{assessment_id}}/entered-in-error": lambda ids: {
        "version": 1,
        "reason": "Written on the wrong patient",
    },
    # -- forms -----------------------------------------------------------------------------
    "POST /patients/new": lambda ids: {
        "given_name": "Wanda",
        "family_name": "Walkabout",
        "birth_date": "1975-02-03",
        "gender": "female",
        "preferred_language": "English",
        "contact_preference": "phone",
    },
    "POST /emergency-access": lambda ids: {
        "mrn": ids["mrn"],
        "birth_date": ids["birth_date"],
        "reason": "Brought to the ED unresponsive; the team cannot be reached.",
    },
    "POST /admin/users/new": lambda ids: {
        "username": "walker.new",
        "full_name": "Wendy Walkerson",
        "role": "therapist",
        "password": "a-long-temporary-password",
    },
    "POST /admin/users/{user_id}": lambda ids: {"version": "1", "full_name": "Tess Renamed"},
    "POST /admin/users/{user_id}/active": lambda ids: {"active": "false"},
    "POST /admin/users/{user_id}/password": lambda ids: {"password": "another-temporary-password"},
    "POST /admin/organizations": lambda ids: {
        "name": "Walkway Housing",
        "kind": "community_partner",
    },
    "POST /admin/organizations/{org_id}": lambda ids: {
        "name": ids["org_name"],
        "kind": "primary_care",
        "phone": "+1 555 010 7000",
    },
    "POST /admin/organizations/{org_id}/active": lambda ids: {"active": "false"},
    "POST /admin/break-glass/{grant_id}": lambda ids: {"note": "Reviewed: an appropriate use."},
    f"POST {P}/edit": lambda ids: {
        "version": "1",
        "given_name": "Walter",
        "family_name": "Walker",
        "preferred_name": "Walt",
        "birth_date": ids["birth_date"],
        "gender": "male",
        "preferred_language": "English",
        "contact_preference": "phone",
    },
    f"POST {P}/entered-in-error": lambda ids: {"version": "1", "reason": "Registered twice"},
    f"POST {P}/identifiers": lambda ids: {"system": "medicaid", "value": "MCD-WALK-2"},
    f"POST {P}/identifiers/{{identifier_id}}/entered-in-error": lambda ids: {
        "version": "1",
        "reason": "Typed wrongly",
    },
    f"POST {P}/related-persons": lambda ids: {"name": "Rosa Walker", "relationship": "sibling"},
    f"POST {P}/related-persons/{{person_id}}": lambda ids: {
        "version": "1",
        "name": "Ana Garcia",
        "relationship": "sibling",
        "phone": "+1 555 010 9999",
    },
    f"POST {P}/related-persons/{{person_id}}/end": lambda ids: {
        "version": "1",
        "reason": "Moved away",
    },
    f"POST {P}/care-team": lambda ids: {"role": "therapist", "user_id": ids["joiner_id"]},
    f"POST {P}/care-team/lead": lambda ids: {
        "user_id": ids["next_lead_id"],
        "reason": "Caseloads rebalanced",
    },
    f"POST {P}/care-team/{{member_id}}": lambda ids: {
        "version": "1",
        "role": "psychiatric_consultant",
    },
    f"POST {P}/care-team/{{member_id}}/end": lambda ids: {
        "version": "1",
        "reason": "Moved to another clinic",
    },
    f"POST {P}/enrolments": lambda ids: {
        "programme": "Perinatal mental health",
        "phase": "active",
        "start_date": _day(ids, 1),
    },
    f"POST {P}/enrolments/{{enrolment_id}}": lambda ids: {
        "version": "1",
        "phase": "relapse_prevention",
    },
    f"POST {P}/enrolments/{{enrolment_id}}/entered-in-error": lambda ids: {
        "version": "1",
        "reason": "Wrong programme",
    },
    f"POST {P}/responses": lambda ids: {
        "instrument": "phq-9",
        "answered_on": _day(ids, 0),
        "source": "staff",
        **_form_answers(8),
    },
    f"POST {P}/responses/{{response_id}}/amend": lambda ids: {
        "instrument": "phq-9",
        "version": "1",
        "reason": "Item 3 was misread",
        **_form_answers(10, item9=1),
    },
    f"POST {P}/responses/{{response_id}}/entered-in-error": lambda ids: {
        "version": "1",
        "reason": "Recorded for the wrong patient",
    },
    f"POST {P}/safety/{{alert_id}}/resolve": lambda ids: {
        "version": "1",
        "actions": "crisis-line-given",
        "action_taken": "Called the patient today; safety plan reviewed, 988 given.",
    },
    f"POST {CP}/safety-plan": lambda ids: {
        "version": str(ids["plan_version"]),
        "warning_signs.0.text": "I stop answering my phone",
        "people_to_ask.0.name": "Rosa Walker",
        "people_to_ask.0.phone": "+1 555 010 9999",
    },
    f"POST {P}/needs": lambda ids: {
        "domain": "housing-instability",
        "description": "Behind on rent; notice received",
        "status": "confirmed",
    },
    f"POST {P}/needs/{{need_id}}/status": lambda ids: {
        "version": "1",
        "status": "confirmed",
        "reason": "Agreed with the patient",
    },
    f"POST {P}/care-plan/from-template": lambda ids: {
        "template": "depression-collaborative-care",
        "version": str(ids["plan_version"]),
    },
    f"POST {CP}": lambda ids: {"next_review_on": _day(ids, -30)},
    f"POST {CP}/goals": lambda ids: {
        "version": str(ids["plan_version"]),
        "description": "Walk to the shop and back without panicking",
        "status": "active",
        "achievement": "in-progress",
        f"need.{ids['need_id']}": "on",
    },
    f"POST {CP}/goals/{{goal_id}}": lambda ids: {
        "version": str(ids["plan_version"]),
        "description": "Walk to the shop and back, twice a week",
        "status": "active",
        "achievement": "improving",
    },
    f"POST {CP}/goals/{{goal_id}}/entered-in-error": lambda ids: {
        "version": str(ids["plan_version"]),
        "reason": "Wrong chart",
    },
    f"POST {CP}/goals/{{goal_id}}/activities": lambda ids: {
        "version": str(ids["plan_version"]),
        "title": "Housing application",
        "kind": "housing-application",
        "responsible": "patient",
        "status": "not-started",
    },
    f"POST {CP}/activities/{{activity_id}}": lambda ids: {
        "version": str(ids["plan_version"]),
        "title": "Housing application",
        "kind": "housing-application",
        "responsible": "patient",
        "status": "scheduled",
    },
    f"POST {CP}/review": lambda ids: {
        "version": str(ids["plan_version"]),
        "next_review_on": _day(ids, -90),
        "reason": "Reviewed with the patient",
    },
    f"POST {CP}/activities/{{activity_id}}/status": lambda ids: {
        "version": str(ids["plan_version"]),
        "status": "completed",
    },
    f"POST {CP}/agreements": lambda ids: {
        "version": str(ids["plan_version"]),
        "party": f"related_person:{ids['person_id']}",
        "method": "video",
        "agreed_on": _day(ids, 0),
        "consent_confirmed": "on",
    },
    f"POST {CP}/agreements/{{agreement_id}}/entered-in-error": lambda ids: {
        "version": str(ids["plan_version"]),
        "reason": "Recorded on the wrong patient",
    },
    f"POST {CP}/activities/{{activity_id}}/entered-in-error": lambda ids: {
        "version": str(ids["plan_version"]),
        "reason": "Recorded twice",
    },
    f"POST {P}/assessments": lambda ids: {**NARRATIVE, "assessed_on": _day(ids, 0)},
    f"POST {P}/assessments/{{assessment_id}}/amend": lambda ids: {
        **NARRATIVE,
        "assessed_on": _day(ids, 0),
        "version": "1",
        "reason": "The patient corrected her priorities",
    },
    f"POST {P}/assessments/{{assessment_id}}/entered-in-error": lambda ids: {
        "version": "1",
        "reason": "Written on the wrong patient",
    },
}

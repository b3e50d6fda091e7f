"""Code lists of the assessment domain: need domains and statuses, response sources."""

from __future__ import annotations

from enum import StrEnum


class NeedDomain(StrEnum):
    """Clinical, or a social domain (Gravity Project SDOH Clinical Care IG categories)."""

    clinical = "clinical"
    housing_instability = "housing-instability"
    food_insecurity = "food-insecurity"
    transportation_insecurity = "transportation-insecurity"
    utility_insecurity = "utility-insecurity"
    intimate_partner_violence = "intimate-partner-violence"
    financial_insecurity = "financial-insecurity"
    social_connection = "social-connection"


DOMAIN_LABELS = {
    NeedDomain.clinical: "Clinical",
    NeedDomain.housing_instability: "Housing",
    NeedDomain.food_insecurity: "Food",
    NeedDomain.transportation_insecurity: "Transportation",
    NeedDomain.utility_insecurity: "Utilities",
    NeedDomain.intimate_partner_violence: "Interpersonal safety",
    NeedDomain.financial_insecurity: "Money",
    NeedDomain.social_connection: "Social connection",
}


class NeedStatus(StrEnum):
    identified = "identified"
    confirmed = "confirmed"
    being_addressed = "being_addressed"
    resolved = "resolved"
    dismissed = "dismissed"
    entered_in_error = "entered-in-error"


class AlertStatus(StrEnum):
    """A safety alert is open until someone records what was done (resolved), or until the
    response that raised it is corrected or withdrawn (entered in error)."""

    active = "active"
    resolved = "resolved"
    entered_in_error = "entered-in-error"


class AlertAction(StrEnum):
    """What was done about a safety alert, recorded when it is closed (one or more): the brief
    interventions of suicide-risk care (the Safety Planning Intervention, Stanley & Brown 2012;
    lethal-means counselling; the 988 Lifeline) and escalation the same day."""

    safety_plan_reviewed = "safety-plan-reviewed"
    safety_plan_created = "safety-plan-created"
    means_safety_counselling = "means-safety-counselling"
    crisis_line_given = "crisis-line-given"
    same_day_clinician_contact = "same-day-clinician-contact"
    emergency_services = "emergency-services"
    other = "other"


ALERT_ACTION_LABELS: dict[str, str] = {
    AlertAction.safety_plan_reviewed: "Safety plan gone through with the patient",
    AlertAction.safety_plan_created: "Safety plan made with the patient",
    AlertAction.means_safety_counselling: "Means-safety counselling (making the home safer)",
    AlertAction.crisis_line_given: "Crisis line given (988: call or text)",
    AlertAction.same_day_clinician_contact: "A clinician saw or spoke with the patient today",
    AlertAction.emergency_services: "Emergency services called, or the emergency department",
    AlertAction.other: "Something else (say what below)",
}


# "identified" is a candidate nobody has confirmed with the patient yet.
NEED_STATUS_LABELS: dict[str, str] = {
    NeedStatus.identified: "Unconfirmed",
    NeedStatus.confirmed: "Confirmed",
    NeedStatus.being_addressed: "Being addressed",
    NeedStatus.resolved: "Resolved",
    NeedStatus.dismissed: "Dismissed",
    NeedStatus.entered_in_error: "Entered in error",
}


def need_status_label(status: str | None) -> str:
    """A need's status in the care team's words."""
    return NEED_STATUS_LABELS.get(status or "", (status or "—").replace("_", " ").capitalize())


class ResponseSource(StrEnum):
    staff = "staff"
    patient = "patient"

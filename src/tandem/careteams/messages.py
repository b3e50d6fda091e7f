"""What the pages say after a change to care teams and enrolments succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "member-added": "Team member added.",
    "member-changed": "Membership changed.",
    "member-ended": "Membership ended. It stays in the team's history.",
    "lead-handed-over": "The lead care manager role was handed over.",
    "enrolled": "Patient enrolled in the programme.",
    "enrolment-changed": "Enrolment updated.",
    "enrolment-entered-in-error": "The enrolment was marked as entered in error.",
}

"""What the pages say after a change to patients, their family and identifiers, or the
duplicates queue succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "patient-registered": "Patient registered. You are on their care team.",
    "demographics-saved": "Demographics saved.",
    "registration-entered-in-error": (
        "The registration was marked as entered in error. It no longer appears in any list."
    ),
    "person-added": "Family member or caregiver added.",
    "person-saved": "Changes saved.",
    "person-ended": "Relationship ended. It stays in the patient's history.",
    "identifier-added": "Identifier added.",
    "identifier-entered-in-error": "The identifier was marked as entered in error.",
    "duplicate-decided": "Decision recorded. The question has left the open queue.",
}

"""What the pages say after a change to a care plan succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "plan-template-applied": (
        "The template's goals and activities are on the plan as proposals: put each goal in "
        "the patient's own words. An activity with no one on the team to do it is assigned to "
        "you for now; the plan's history says which."
    ),
}

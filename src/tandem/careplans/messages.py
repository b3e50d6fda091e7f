"""What the care plan's pages say after a change succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "care-plan-reviewed": "The review is recorded, with the day of the next one.",
    "care-plan-started": "The care plan is started. Add the patient's goals, in their words.",
    "goal-added": "Goal added. It is in a new version of the plan.",
    "goal-changed": "Goal saved. The earlier version is kept in the plan's history.",
    "goal-entered-in-error": (
        "The goal and its activities were marked entered in error. They stay in the history."
    ),
    "activity-added": "Activity added.",
    "activity-changed": "Activity saved. The earlier version is kept in the plan's history.",
    "activity-entered-in-error": "The activity was marked entered in error.",
    "agreement-recorded": "Agreement recorded against this version of the plan.",
    "agreement-entered-in-error": "The agreement was marked entered in error.",
    "plan-template-applied": (
        "The template's goals and activities are on the plan as proposals: put each goal in "
        "the patient's own words. An activity with no one on the team to do it is assigned to "
        "you for now; the plan's history says which."
    ),
    "safety-plan-saved": "Safety plan saved, as a new version of the care plan.",
}

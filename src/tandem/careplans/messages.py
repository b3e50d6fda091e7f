"""What the care plan's pages say after a change succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "safety-plan-saved": "Safety plan saved, as a new version of the care plan.",
}

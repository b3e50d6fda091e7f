"""What the pages say after a change to emergency access succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "emergency-access": (
        "Emergency access granted. It is time-limited, logged, and will be reviewed by the "
        "privacy officer."
    ),
}

"""What the pages say after a change to a password succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "password-changed": "Your password was changed.",
}

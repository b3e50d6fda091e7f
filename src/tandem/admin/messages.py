"""What the pages say after a change to users, organisations or the emergency-access
review succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "user-created": (
        "User created. Give them the temporary password; they choose their own at first sign-in."
    ),
    "user-saved": "User details saved.",
    "user-deactivated": "Account deactivated. The user has been signed out everywhere.",
    "user-reactivated": "Account reactivated.",
    "password-reset": (
        "Temporary password set. The user must choose a new one at next sign-in; "
        "their sessions were ended."
    ),
    "organization-created": "Organisation added.",
    "organization-saved": "Organisation saved.",
    "organization-deactivated": "Organisation deactivated.",
    "organization-reactivated": "Organisation reactivated.",
    "review-saved": "Review recorded.",
}

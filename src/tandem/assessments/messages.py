"""What the pages say after a change to measurements, safety alerts, needs and
comprehensive assessments succeeds (POST-redirect-GET).

Registered at start-up by tandem.app (web.pages.register_flash_messages)."""

FLASH: dict[str, str] = {
    "response-recorded": "Saved. The score, band and any alerts are below.",
    "response-amended": "Response amended. Scores, alerts and needs were recomputed.",
    "response-entered-in-error": (
        "The response was marked as entered in error. It no longer counts in scores or charts."
    ),
    "alert-resolved": "What was done is recorded. The alert is closed and stays in the history.",
    "need-added": "Need added.",
    "need-changed": "Need updated.",
    "assessment-saved": "Comprehensive assessment saved.",
    "assessment-amended": "Comprehensive assessment amended. The earlier version is kept.",
    "assessment-entered-in-error": "The assessment was marked as entered in error.",
}

"""Pure access rules: what a break-the-glass reason needs (who may do what is permissions.json)."""

from __future__ import annotations

from tandem.errors import ValidationProblem

MIN_BREAK_GLASS_REASON = 15


def validate_break_glass_reason(reason: str) -> str:
    """A stated reason is required (42 CFR 2.51 asks for the nature of the emergency)."""
    cleaned = " ".join(reason.split())
    if len(cleaned) < MIN_BREAK_GLASS_REASON:
        raise ValidationProblem(
            f"Describe the emergency in at least {MIN_BREAK_GLASS_REASON} characters.",
            field="reason",
        )
    return cleaned

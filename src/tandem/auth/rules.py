"""Pure sign-in rules: password policy, slow-down and lock-out, session expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tandem.errors import ValidationProblem

MIN_PASSWORD_LENGTH = 10


def check_password_policy(password: str, *, username: str) -> None:
    """NIST SP 800-63B: length over composition rules; refuse the username itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationProblem(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > 256:
        raise ValidationProblem("Password must be at most 256 characters.", field="password")
    if password.strip().lower() == username.strip().lower():
        raise ValidationProblem("Password must not be the username.", field="password")


@dataclass(frozen=True)
class LockoutPolicy:
    slowdown_after: int
    lockout_after: int
    lockout_minutes: int

    def delay_seconds(self, failed_logins: int) -> float:
        """Seconds to wait before answering a failed sign-in: doubling, capped at 8."""
        if failed_logins < self.slowdown_after:
            return 0.0
        return float(min(8, 2 ** (failed_logins - self.slowdown_after)))

    def locked_until(self, failed_logins: int, now: datetime) -> datetime | None:
        if failed_logins >= self.lockout_after:
            return now + timedelta(minutes=self.lockout_minutes)
        return None

    def slowdown_window_start(self, now: datetime) -> datetime:
        """Failures of a submitted name older than this (no failure since) are forgotten:
        the slow-down is for bursts, the lock-out (which only a success ends) for the rest."""
        return now - timedelta(minutes=self.lockout_minutes)

    def failure_message(self) -> str:
        """One answer for every failed sign-in (wrong password, unknown, locked, deactivated),
        still telling a real user what happens after repeated failures."""
        return (
            "Username or password is not correct. After "
            f"{self.lockout_after} failed attempts an account is locked for "
            f"{self.lockout_minutes} minutes."
        )


@dataclass(frozen=True)
class SessionPolicy:
    idle_minutes: int
    max_hours: int

    def is_live(
        self, *, created_at: datetime, last_seen_at: datetime, revoked: bool, now: datetime
    ) -> bool:
        if revoked:
            return False
        if now - last_seen_at > timedelta(minutes=self.idle_minutes):
            return False
        return now - created_at <= timedelta(hours=self.max_hours)

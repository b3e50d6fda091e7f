"""auth.rules: password policy, slow-down and lock-out, session expiry — at every boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tandem.admin.schemas import Username
from tandem.auth.rules import (
    MIN_PASSWORD_LENGTH,
    LockoutPolicy,
    SessionPolicy,
    check_password_policy,
)
from tandem.errors import ValidationProblem

NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)


class TestPasswordPolicy:
    def test_minimum_is_ten_characters(self) -> None:
        assert MIN_PASSWORD_LENGTH == 10

    def test_nine_characters_are_refused_naming_the_password_field(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_password_policy("a" * 9, username="casey")
        assert caught.value.field == "password"
        assert caught.value.status == 422

    def test_ten_characters_are_accepted(self) -> None:
        check_password_policy("a" * 10, username="casey")

    def test_256_characters_are_accepted(self) -> None:
        check_password_policy("a" * 256, username="casey")

    def test_257_characters_are_refused(self) -> None:
        with pytest.raises(ValidationProblem):
            check_password_policy("a" * 257, username="casey")

    def test_the_username_itself_is_refused_whatever_the_case(self) -> None:
        with pytest.raises(ValidationProblem) as caught:
            check_password_policy(" Casey.Lead1 ", username="casey.lead1")
        assert caught.value.field == "password"

    def test_no_composition_rules_spaces_and_letters_only_are_fine(self) -> None:
        check_password_policy("correct horse battery staple", username="casey")

    @given(st.text(min_size=10, max_size=256).filter(lambda p: p.strip().lower() != "casey"))
    def test_any_long_enough_password_other_than_the_username_is_accepted(
        self, password: str
    ) -> None:
        check_password_policy(password, username="casey")


class TestUsername:
    adapter = TypeAdapter(Username)

    def test_username_is_lower_cased_and_trimmed(self) -> None:
        assert self.adapter.validate_python("  Casey.Lead ") == "casey.lead"

    @pytest.mark.parametrize("name", ["ab", "-casey", "casey lead", "casey@example", "a" * 81])
    def test_bad_usernames_are_refused(self, name: str) -> None:
        with pytest.raises(ValidationError):
            self.adapter.validate_python(name)

    @pytest.mark.parametrize("name", ["abc", "c.lead_2-x", "a" * 80])
    def test_good_usernames_are_accepted(self, name: str) -> None:
        assert self.adapter.validate_python(name) == name


class TestLockoutPolicy:
    policy = LockoutPolicy(slowdown_after=3, lockout_after=8, lockout_minutes=15)

    @pytest.mark.parametrize("failures", [0, 1, 2])
    def test_no_delay_before_the_slowdown_threshold(self, failures: int) -> None:
        assert self.policy.delay_seconds(failures) == 0.0

    @pytest.mark.parametrize(("failures", "delay"), [(3, 1.0), (4, 2.0), (5, 4.0), (6, 8.0)])
    def test_delay_doubles_from_the_threshold(self, failures: int, delay: float) -> None:
        assert self.policy.delay_seconds(failures) == delay

    @pytest.mark.parametrize("failures", [7, 8, 50, 10_000])
    def test_delay_is_capped_at_eight_seconds(self, failures: int) -> None:
        assert self.policy.delay_seconds(failures) == 8.0

    def test_not_locked_one_failure_before_the_limit(self) -> None:
        assert self.policy.locked_until(7, NOW) is None

    def test_locked_for_the_configured_minutes_at_the_limit(self) -> None:
        assert self.policy.locked_until(8, NOW) == NOW + timedelta(minutes=15)

    def test_still_locked_past_the_limit(self) -> None:
        assert self.policy.locked_until(9, NOW) == NOW + timedelta(minutes=15)

    @given(st.integers(min_value=0, max_value=1000))
    def test_delay_never_decreases_with_more_failures(self, failures: int) -> None:
        assert self.policy.delay_seconds(failures + 1) >= self.policy.delay_seconds(failures)

    def test_the_slow_down_forgets_failures_older_than_the_lock_out_period(self) -> None:
        assert self.policy.slowdown_window_start(NOW) == NOW - timedelta(minutes=15)

    def test_the_failure_message_names_the_limit_and_the_lock_length(self) -> None:
        assert self.policy.failure_message() == (
            "Username or password is not correct. "
            "After 8 failed attempts an account is locked for 15 minutes."
        )


class TestSessionPolicy:
    policy = SessionPolicy(idle_minutes=30, max_hours=12)

    def live(self, *, created_ago: timedelta, seen_ago: timedelta, revoked: bool = False) -> bool:
        return self.policy.is_live(
            created_at=NOW - created_ago, last_seen_at=NOW - seen_ago, revoked=revoked, now=NOW
        )

    def test_live_exactly_at_the_idle_limit(self) -> None:
        assert self.live(created_ago=timedelta(hours=1), seen_ago=timedelta(minutes=30))

    def test_expired_just_past_the_idle_limit(self) -> None:
        assert not self.live(
            created_ago=timedelta(hours=1), seen_ago=timedelta(minutes=30, seconds=1)
        )

    def test_live_exactly_at_the_maximum_age(self) -> None:
        assert self.live(created_ago=timedelta(hours=12), seen_ago=timedelta(minutes=1))

    def test_expired_just_past_the_maximum_age_even_when_active(self) -> None:
        assert not self.live(created_ago=timedelta(hours=12, seconds=1), seen_ago=timedelta(0))

    def test_revoked_session_is_dead_at_once(self) -> None:
        assert not self.live(created_ago=timedelta(0), seen_ago=timedelta(0), revoked=True)

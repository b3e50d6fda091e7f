"""The "not improving" threshold and the baseline look-back have one default, in ``Settings``:
the trajectory settings, the rules' callers and the README's table read it, never restate it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tandem.assessments.service.trajectories import TrajectorySettings
from tandem.config import Environment, Settings

README = Path(__file__).parents[2] / "README.md"
FIELDS = ["baseline_lookback_days", "not_improving_weeks"]


@pytest.fixture
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in FIELDS:
        monkeypatch.delenv(f"TANDEM_{name.upper()}", raising=False)
    return Settings(environment=Environment.test)


def test_trajectory_settings_default_to_the_settings_defaults(default_settings: Settings) -> None:
    assert TrajectorySettings() == TrajectorySettings.of(default_settings)


@pytest.mark.parametrize("name", FIELDS)
def test_the_readme_states_the_settings_default(name: str, default_settings: Settings) -> None:
    row = re.search(rf"^\| `TANDEM_{name.upper()}` \| `([^`]*)` \|", README.read_text(), re.M)
    assert row is not None, f"README.md's settings table has no row for TANDEM_{name.upper()}"
    assert row.group(1) == str(getattr(default_settings, name))


def test_configured_values_reach_the_trajectory_settings(default_settings: Settings) -> None:
    configured = default_settings.model_copy(
        update={"not_improving_weeks": 12, "baseline_lookback_days": 0}
    )
    assert TrajectorySettings.of(configured) == TrajectorySettings(
        not_improving_weeks=12, baseline_lookback_days=0
    )

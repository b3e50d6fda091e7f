"""A goal's measurable target names a followed instrument and a score within its range: the
care plan's list of measures and their ranges, the CHECK constraints of the model and those of
migration 0011 all say what the instruments' data files say."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tandem.assessments.service.trajectories import followed_instruments
from tandem.careplans import models
from tandem.careplans.vocab import MEASURE_RANGES, Comparator, TargetMeasure

MIGRATION = (
    Path(models.__file__).parents[1]
    / "migrations/versions/2026_12_02_care_plan_measurable_targets_and_reviews.py"
)


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0011", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_target_measures_are_the_instruments_followed_over_time() -> None:
    assert sorted(TargetMeasure) == sorted(i.code for i in followed_instruments())


def test_each_measures_range_is_its_instruments_scoring_range() -> None:
    for definition in followed_instruments():
        scoring = definition.scoring
        assert MEASURE_RANGES[TargetMeasure(definition.code)] == (scoring.min, scoring.max)


def test_the_migration_writes_the_models_constraints_out_as_they_are() -> None:
    migration = _migration()
    assert migration.revision == "0011"
    for name in ("TARGET_TOGETHER", "TARGET_COMPARATOR", "TARGET_SCORE_IN_RANGE"):
        assert getattr(migration, name) == getattr(models, name), name


def test_the_comparator_constraint_names_every_comparator() -> None:
    for comparator in Comparator:
        assert f"'{comparator}'" in models.TARGET_COMPARATOR

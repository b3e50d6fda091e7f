"""`tandem synth` interrupted part-way and run again with the same seed and size completes the
population: the same rows, ids included, as a run that was never interrupted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select, text
from tests.conftest import run_in_thread

import tandem.models  # noqa: F401  (every table)
from tandem.db import Base
from tandem.errors import Conflict
from tandem.runtime import Runtime
from tandem.synth import loader
from tandem.synth.command import synth

TANDEM = Path(sys.executable).with_name("tandem")
AS_OF = date(2026, 1, 15)
SEED = 4321

pytestmark = pytest.mark.slow


async def population(url: str, settings_for: Callable[..., Any]) -> dict[str, Any]:
    """Every table's ids (the audit trail's count: its ids are the database's own)."""
    rt = Runtime.build(settings_for(url), system="test")
    found: dict[str, Any] = {}
    try:
        async with rt.sessionmaker() as session:
            for name, table in sorted(Base.metadata.tables.items()):
                if name == "audit_event":
                    found[name] = await session.scalar(text("SELECT count(*) FROM audit_event"))
                elif "id" in table.c:
                    found[name] = set((await session.scalars(select(table.c.id))).all())
    finally:
        await rt.engine.dispose()
    return found


def run_synth(monkeypatch: pytest.MonkeyPatch, url: str, patients: int = 120) -> Any:
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    return run_in_thread(
        lambda: synth(
            patients=patients,
            seed=SEED,
            as_of=AS_OF,
            password="synth-test",
            batch_size=25,
            measurements=3,
            console=Console(quiet=True),
        )
    )


async def test_a_resumed_population_is_the_one_an_uninterrupted_run_makes(
    backend: Any, monkeypatch: pytest.MonkeyPatch, settings_for: Callable[..., Any]
) -> None:
    whole = backend.fresh_database()
    run_synth(monkeypatch, whole)

    interrupted = backend.fresh_database()
    real_insert = loader.insert_patients
    batches = {"n": 0}

    async def killed_at_the_third_batch(*args: Any, **kwargs: Any) -> None:
        batches["n"] += 1
        if batches["n"] == 3:
            raise RuntimeError("killed")
        await real_insert(*args, **kwargs)

    monkeypatch.setattr(loader, "insert_patients", killed_at_the_third_batch)
    with pytest.raises(RuntimeError, match="killed"):
        run_synth(monkeypatch, interrupted)
    monkeypatch.setattr(loader, "insert_patients", real_insert)
    partial = await population(interrupted, settings_for)
    assert len(partial["patient"]) == 50  # two batches of 25, each committed whole

    summary = run_synth(monkeypatch, interrupted)
    assert (summary.already_there, summary.rows["patient"]) == (50, 70)
    expected = await population(whole, settings_for)
    assert await population(interrupted, settings_for) == expected

    again = run_synth(monkeypatch, interrupted)
    assert (again.already_there, again.rows["patient"]) == (120, 0)
    assert await population(interrupted, settings_for) == expected


async def test_completing_a_seed_with_another_size_or_date_is_refused(
    backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = backend.fresh_database()
    run_synth(monkeypatch, url)
    with pytest.raises(Conflict, match="started with another --patients"):
        run_synth(monkeypatch, url, patients=900)
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    with pytest.raises(Conflict, match="built as of 2026-01-15"):
        run_in_thread(
            lambda: synth(
                patients=120,
                seed=SEED,
                as_of=date(2026, 1, 16),
                password="x",
                batch_size=25,
                console=Console(quiet=True),
            )
        )


def _patients(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as connection:
            return int(connection.execute("SELECT count(*) FROM patient").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_a_synth_killed_part_way_is_completed_by_running_it_again(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    args = [str(TANDEM), "synth", "--patients", "4000", "--seed", "77", "--batch", "100"]
    args += ["--as-of", "2026-01-15", "--measurements", "0"]
    database = {}
    for name in ("killed", "whole"):
        data = tmp_path / name
        env_here = {**env, "TANDEM_DATA_DIR": str(data), "TANDEM_ENVIRONMENT": "test"}
        subprocess.run([str(TANDEM), "db", "upgrade"], env=env_here, check=True, timeout=120)
        database[name] = (data / "tandem.sqlite3", env_here)

    path, env_killed = database["killed"]
    process = subprocess.Popen(args, env=env_killed, stdout=subprocess.DEVNULL)
    while process.poll() is None and _patients(path) < 200:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL, "synth finished before it was killed"
    left = _patients(path)
    assert 0 < left < 4000 and left % 100 == 0

    done = subprocess.run(args, env=env_killed, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "partly loaded" in done.stdout
    assert f"{left:,} were there already" in done.stdout
    whole_path, env_whole = database["whole"]
    subprocess.run(args, env=env_whole, check=True, timeout=300, stdout=subprocess.DEVNULL)

    def ids(db: Path, table: str) -> list[str]:
        with sqlite3.connect(db) as connection:
            return [r[0] for r in connection.execute(f"SELECT id FROM {table} ORDER BY id")]

    for table in ("patient", "care_team_member", "enrolment", "app_user", "organization"):
        assert ids(path, table) == ids(whole_path, table), table

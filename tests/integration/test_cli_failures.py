"""Every `tandem` command meets the failures a newcomer meets (no database, a database not
migrated, PostgreSQL unreachable, the port taken, the production refusals) with a line or two on
stderr and exit code 2, never a traceback unless asked for with `--debug`."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tandem.migrate import upgrade

TANDEM = Path(sys.executable).with_name("tandem")

pytestmark = pytest.mark.slow


def tandem(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `tandem` in ``cwd`` with only the given TANDEM_ settings (none of the developer's)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    return subprocess.run(
        [str(TANDEM), *args],
        cwd=cwd,
        env={**clean, "COLUMNS": "200", "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, a short explanation on stderr with ``words`` in it, and no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert 1 <= len(result.stderr.strip().splitlines()) <= 2, result.stderr
    for word in words:
        assert word in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def listening() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def migrated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a migrated SQLite database."""
    data = tmp_path_factory.mktemp("migrated")
    upgrade(f"sqlite+aiosqlite:///{data / 'tandem.sqlite3'}")
    return data


@pytest.mark.parametrize(
    "command",
    [("users", "list"), ("audit", "verify"), ("serve",), ("status",), ("backup", "b")],
    ids=lambda c: "-".join(c),
)
def test_a_command_run_where_there_is_no_database_says_where_it_looked(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = tandem(*command, cwd=tmp_path)
    refused(result, f"No Tandem database at {tmp_path / '.tandem' / 'tandem.sqlite3'}")
    assert "TANDEM_DATA_DIR" in result.stderr
    assert "listening" not in result.stdout
    # Nothing was made where the operator expected their database.
    assert not (tmp_path / ".tandem" / "tandem.sqlite3").exists()


@pytest.mark.parametrize("command", [("users", "list"), ("audit", "verify"), ("serve",)])
def test_a_command_on_a_database_that_is_not_migrated_asks_for_an_upgrade(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / ".tandem").mkdir()
    sqlite3.connect(tmp_path / ".tandem" / "tandem.sqlite3").close()
    refused(tandem(*command, cwd=tmp_path), "has no Tandem schema", "tandem db upgrade")


async def test_a_command_on_an_unmigrated_database_of_either_backend_asks_for_an_upgrade(
    backend: Any, tmp_path: Path
) -> None:
    url = backend.fresh_database(migrated=False)
    if backend.name == "sqlite":
        sqlite3.connect(url.split("///", 1)[1]).close()
    result = tandem("audit", "verify", cwd=tmp_path, TANDEM_DATABASE_URL=url)
    refused(result, "has no Tandem schema", "tandem db upgrade")


@pytest.mark.parametrize(
    "command",
    [("users", "list"), ("db", "upgrade"), ("status",), ("audit", "seal"), ("serve",), ("worker",)],
)
def test_a_command_that_cannot_reach_postgresql_says_so(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    url = f"postgresql+asyncpg://tandem:secret@127.0.0.1:{free_port()}/tandem"
    result = tandem(*command, cwd=tmp_path, TANDEM_DATABASE_URL=url)
    refused(result, "Cannot use the database", "connection was refused", "TANDEM_DATABASE_URL")
    assert "secret" not in result.stderr


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "Set TANDEM_SECRET_KEY to a private value"),
        ({"TANDEM_SECRET_KEY": "private"}, "TANDEM_DATABASE_URL must be set"),
        ({"TANDEM_SECRET_KEY": "private", "TANDEM_DATABASE_URL": "sqlite:///x"}, "AUDIT_KEY"),
    ],
    ids=["no-secret", "no-database-url", "no-audit-keys"],
)
@pytest.mark.parametrize("command", [("serve",), ("users", "list"), ("demo",)])
def test_the_production_refusals_are_one_line_each(
    tmp_path: Path, command: tuple[str, ...], env: dict[str, str], words: str
) -> None:
    result = tandem(*command, cwd=tmp_path, TANDEM_ENVIRONMENT="production", **env)
    refused(result, "production")
    if command != ("demo",):
        assert words in result.stderr


def test_a_setting_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    refused(tandem("status", cwd=tmp_path, TANDEM_PORT="eighty"), "TANDEM_PORT")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_taken_port_refuses_before_saying_it_listens(
    migrated_dir: Path, listening: int, workers: str
) -> None:
    result = tandem(
        "serve",
        "--port",
        str(listening),
        "--workers",
        workers,
        cwd=migrated_dir,
        TANDEM_DATA_DIR=str(migrated_dir),
    )
    refused(result, f"127.0.0.1:{listening}", "already in use", "--port", "TANDEM_PORT")
    assert "listening" not in result.stdout


def test_the_demo_on_a_taken_port_refuses_before_loading_anything(
    tmp_path: Path, listening: int
) -> None:
    result = tandem("demo", cwd=tmp_path, TANDEM_PORT=str(listening))
    refused(result, "already in use", "TANDEM_PORT")
    assert not (tmp_path / ".tandem" / "tandem.sqlite3").exists()


def test_debug_shows_the_traceback_of_the_same_failure(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/tandem"
    result = tandem("--debug", "users", "list", cwd=tmp_path, TANDEM_DATABASE_URL=url)
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_version_names_the_data_directory_and_how_it_was_chosen(tmp_path: Path) -> None:
    result = tandem("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"data directory: {tmp_path / '.tandem'} (.tandem in the current folder" in (
        result.stdout
    )
    chosen = tandem("--version", cwd=tmp_path, TANDEM_DATA_DIR=str(tmp_path / "elsewhere"))
    assert f"{tmp_path / 'elsewhere'} (set by TANDEM_DATA_DIR)" in chosen.stdout


def test_status_prints_the_database_its_schema_chain_and_rows(migrated_dir: Path) -> None:
    result = tandem("status", cwd=migrated_dir, TANDEM_DATA_DIR=str(migrated_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"Data directory: {migrated_dir} (set by TANDEM_DATA_DIR)" in lines
    assert f"Database: {migrated_dir / 'tandem.sqlite3'}" in lines
    assert any(line.startswith("Schema: revision ") and "(the latest)" in line for line in lines)
    assert "Audit chain: nothing sealed yet, 0 waiting to be sealed; no checkpoint yet" in lines


@pytest.mark.parametrize(
    "command",
    [(), ("users",), ("users", "create"), ("users", "set-role"), ("synth",), ("audit", "verify")],
    ids=lambda c: "-".join(c) or "tandem",
)
def test_help_names_parameters_plainly(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = tandem(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "<bool>" not in result.stdout and "<str>" not in result.stdout
    assert "{" not in result.stdout
    if command in {("users", "create"), ("users", "set-role")}:
        assert f"Usage: tandem {' '.join(command)} [OPTIONS] USERNAME" in result.stdout

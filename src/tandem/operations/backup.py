"""Backing up and restoring the embedded SQLite database, while the server runs.

A backup is a folder laid out like a data directory: ``tandem.sqlite3``, copied through
SQLite's online backup API (one step, so one read transaction: a consistent snapshot that
writers do not wait for, in WAL mode), and the data directory's ``audit/`` folder when it is
there (the demo's audit keys, and the checkpoints unless they are kept elsewhere). The audit
folder is copied first, under the checkpoint log's lock, so that every checkpoint in the backup
names a position the database copy has reached. PostgreSQL is backed up with ``pg_dump``.
"""

from __future__ import annotations

import fcntl
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from tandem.command_line import Refusal
from tandem.config import DATABASE_FILE, Settings

AUDIT_FOLDER = "audit"
LOCK_NAME = ".lock"


@dataclass(frozen=True)
class Copied:
    database: Path
    bytes: int
    audit: Path | None


def _copy_database(source: Path, target: Path) -> None:
    """The whole database in one backup step, into a file that needs no WAL beside it."""
    with (
        closing(sqlite3.connect(source, timeout=30)) as reader,
        closing(sqlite3.connect(target)) as writer,
    ):
        reader.backup(writer)
        writer.execute("PRAGMA journal_mode=DELETE")
        found = writer.execute("PRAGMA quick_check").fetchone()[0]
    if found != "ok":
        target.unlink()
        raise Refusal(f"The copy of {source} does not check out ({found}); nothing was kept.")


def _copy_audit_folder(settings: Settings, target: Path) -> Path | None:
    source = settings.audit_dir
    if not source.is_dir():
        return None
    checkpoints = settings.checkpoint_dir
    if checkpoints.is_relative_to(source):
        checkpoints.mkdir(parents=True, exist_ok=True)
        with (checkpoints / LOCK_NAME).open("a") as lock:
            # The sealer appends under this lock: no half-written checkpoint is copied.
            fcntl.flock(lock, fcntl.LOCK_EX)
            shutil.copytree(source, target)
    else:
        shutil.copytree(source, target)
    return target


def backup(settings: Settings, source: Path, folder: Path) -> Copied:
    """Copy the database at ``source`` (and the audit folder) into the new ``folder``."""
    if folder.exists() and any(folder.iterdir()):
        raise Refusal(
            f"{folder} is there already and not empty.", "Name a new folder for the backup."
        )
    folder.mkdir(parents=True, exist_ok=True)
    audit = _copy_audit_folder(settings, folder / AUDIT_FOLDER)
    database = folder / DATABASE_FILE
    _copy_database(source, database)
    return Copied(database, database.stat().st_size, audit)


def backup_database(folder: Path) -> Path:
    """The database file of a backup folder (or the file itself, when given one)."""
    path = folder / DATABASE_FILE if folder.is_dir() else folder
    if not path.is_file():
        raise Refusal(f"No backup at {folder}: there is no {DATABASE_FILE} in it.")
    return path


def restore(settings: Settings, folder: Path, target: Path) -> Copied:
    """Copy a backup into the configured data directory, which must not hold a database yet."""
    source = backup_database(folder)
    audit_source = source.parent / AUDIT_FOLDER
    if target.exists():
        raise Refusal(
            f"There is a database at {target} already: restore replaces nothing.",
            "Restore into a fresh data directory (TANDEM_DATA_DIR=...), or move it away first.",
        )
    audit = None
    if audit_source.is_dir():
        if settings.audit_dir.exists() and any(settings.audit_dir.iterdir()):
            raise Refusal(
                f"{settings.audit_dir} holds audit keys or checkpoints already.",
                "Restore into a fresh data directory (TANDEM_DATA_DIR=...).",
            )
        shutil.copytree(audit_source, settings.audit_dir, dirs_exist_ok=True)
        audit = settings.audit_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy_database(source, target)
    return Copied(target, target.stat().st_size, audit)

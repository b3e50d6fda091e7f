"""`tandem backup` copies a running server's SQLite database while requests write to it, and
`tandem restore` puts it into a fresh data directory whose audit chain verifies."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

TANDEM = Path(sys.executable).with_name("tandem")

pytestmark = pytest.mark.slow


def environment(data: Path, **more: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    return {**clean, "TANDEM_DATA_DIR": str(data), "COLUMNS": "200", "NO_COLOR": "1", **more}


def tandem(data: Path, *args: str, **more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TANDEM), *args],
        env=environment(data, **more),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def counts(path: Path) -> dict[str, int]:
    """Patients, and the audit events that say a patient was registered, in one read."""
    with sqlite3.connect(path) as connection:
        patients, registered, sealed = connection.execute(
            "SELECT (SELECT count(*) FROM patient),"
            " (SELECT count(*) FROM audit_event WHERE record_type = 'Patient' AND action = 'C'),"
            " (SELECT count(*) FROM audit_event WHERE seq IS NOT NULL)"
        ).fetchone()
    return {"patients": patients, "registered": registered, "sealed": sealed}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A running `tandem serve` on a data directory of its own, and a care manager's token."""
    data = tmp_path / "live"
    assert tandem(data, "db", "upgrade").returncode == 0
    made = tandem(
        data, "users", "create", "cm.backup", "--name", "Casey Backup", "--role",
        "care_manager", TANDEM_NEW_PASSWORD="a-long-enough-password-1",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    issued = tandem(data, "token", "issue", "cm.backup")
    assert issued.returncode == 0, issued.stderr
    port = free_port()
    process = subprocess.Popen(
        [str(TANDEM), "serve", "--port", str(port)],
        env=environment(data, TANDEM_AUDIT_SEAL_SECONDS="0.1", TANDEM_AUDIT_CHECKPOINT_EVENTS="10"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield data, url, issued.stdout.strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_backup_taken_under_concurrent_writes_restores_with_an_intact_chain(
    server: tuple[Path, str, str], tmp_path: Path
) -> None:
    data, url, token = server
    stop = threading.Event()
    written: list[int] = []

    def register(worker: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for i in range(10_000):
                if stop.is_set():
                    return
                born = date(1950, 1, 1) + timedelta(days=worker * 10_000 + i)
                body = {
                    "given_name": "Amara",
                    "family_name": "Okafor",
                    "birth_date": born.isoformat(),
                    "gender": "female",
                }
                response = client.post("/api/v1/patients", json=body)
                assert response.status_code == 201, response.text
                written.append(1)

    writers = [threading.Thread(target=register, args=(n,)) for n in range(2)]
    for writer in writers:
        writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.05)
        before = len(written)
        backup = tandem(data, "backup", str(tmp_path / "backup"))
        after = len(written)
        while len(written) < after + 10:
            time.sleep(0.05)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
    assert backup.returncode == 0, backup.stderr
    assert after > before, "no write went on while the backup was taken"

    copied = counts(tmp_path / "backup" / "tandem.sqlite3")
    # One transaction's snapshot: every registered patient with its audit event, none half-made.
    assert copied["patients"] == copied["registered"]
    assert before <= copied["patients"] <= after
    assert copied["patients"] < counts(data / "tandem.sqlite3")["patients"]

    fresh = tmp_path / "restored"
    restored = tandem(fresh, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Audit chain intact" in restored.stdout
    assert "Note:" not in restored.stdout  # every checkpoint copied is within the backup
    assert counts(fresh / "tandem.sqlite3") == copied

    checked = tandem(fresh, "restore", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"Audit chain intact: {copied['sealed']:,} events verified" in checked.stdout
    assert f"patient {copied['patients']:,}" in checked.stdout

    again = tandem(fresh, "restore", str(tmp_path / "backup"))
    assert again.returncode == 2 and "restore replaces nothing" in again.stderr


def test_a_restore_check_against_newer_checkpoints_notes_the_events_the_backup_lacks(
    server: tuple[Path, str, str], tmp_path: Path
) -> None:
    data, url, token = server
    headers = {"Authorization": f"Bearer {token}"}
    assert tandem(data, "backup", str(tmp_path / "backup")).returncode == 0
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for _ in range(15):
            assert client.get("/api/v1/patients").status_code == 200
    assert tandem(data, "audit", "checkpoint").returncode == 0

    fresh = tmp_path / "restored"
    assert tandem(fresh, "restore", str(tmp_path / "backup")).returncode == 0
    # The deployment's own checkpoints, newer than the backup.
    checked = tandem(
        fresh, "restore", "--check", TANDEM_AUDIT_CHECKPOINT_DIR=str(data / "audit" / "checkpoints")
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Note: the chain ends at position" in checked.stdout
    assert "written after the backup was taken" in checked.stdout

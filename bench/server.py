"""Driving the real ``tandem`` command: migrate, synthesise, issue a token, serve."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx
from sqlalchemy import text

from bench.backends import Backend
from tandem.db import create_engine

BIN = Path(sys.executable).with_name("tandem")
TANDEM = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "tandem.cli"]
SEED = 1


def tandem(
    backend: Backend, *args: str, timeout: float = 1800, command: list[str] = TANDEM
) -> subprocess.CompletedProcess[str]:
    """Run ``tandem ARGS`` against the backend; raise with its output if it fails."""
    result = subprocess.run(
        [*command, *args],
        env=backend.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"tandem {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def timed_synth(backend: Backend) -> float:
    """Wall-clock seconds of ``tandem synth`` for the backend's population size."""
    started = time.perf_counter()
    tandem(backend, "synth", "--patients", str(backend.size), "--seed", str(SEED))
    return time.perf_counter() - started


def typical_care_manager(backend: Backend) -> tuple[str, int]:
    """The synthetic care manager with the median active caseload, and that caseload."""
    query = text(
        "SELECT u.username, count(*) AS n FROM care_team_member m "
        "JOIN app_user u ON u.id = m.user_id "
        "WHERE u.role = 'care_manager' AND m.status = 'active' AND u.username LIKE :prefix "
        "GROUP BY u.username ORDER BY n, u.username"
    )

    async def ask() -> list[tuple[str, int]]:
        engine = create_engine(backend.url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(query, {"prefix": f"s{SEED}.cm.%"})
                return [(str(r[0]), int(r[1])) for r in rows]
        finally:
            await engine.dispose()

    ranked = asyncio.run(ask())
    return ranked[len(ranked) // 2]


# What the synthetic population holds, for the results: rows of each table and a few shares.
_COUNTS = {
    "patient": "SELECT count(*) FROM patient",
    "assessment_response": "SELECT count(*) FROM assessment_response",
    "phq9": "SELECT count(*) FROM assessment_response WHERE instrument = 'phq-9'",
    "observation": "SELECT count(*) FROM observation",
    "safety_alert": "SELECT count(*) FROM safety_alert",
    "open_alert_patients": (
        "SELECT count(DISTINCT patient_id) FROM safety_alert WHERE status = 'active'"
    ),
    "notification": "SELECT count(*) FROM notification",
    "need": "SELECT count(*) FROM need",
    # Patients in an open enrolment with fewer than 12 PHQ-9s (the synth promises none).
    "enrolled_under_12_phq9": (
        "SELECT count(*) FROM enrolment e WHERE e.status = 'active' AND ("
        "SELECT count(*) FROM assessment_response r WHERE r.patient_id = e.patient_id "
        "AND r.instrument = 'phq-9') < 12"
    ),
}


def population_counts(backend: Backend) -> dict[str, int]:
    """Rows in the synthesised database (see ``_COUNTS``)."""

    async def ask() -> dict[str, int]:
        engine = create_engine(backend.url)
        try:
            async with engine.connect() as connection:
                return {
                    name: int((await connection.execute(text(sql))).scalar_one())
                    for name, sql in _COUNTS.items()
                }
        finally:
            await engine.dispose()

    return asyncio.run(ask())


def issue_token(backend: Backend, username: str, command: list[str] = TANDEM) -> str:
    """A bearer token from ``tandem token issue``."""
    issued = tandem(backend, "token", "issue", username, command=command)
    return issued.stdout.strip().splitlines()[-1]


def free_port() -> int:
    """A TCP port nobody is listening on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``tandem serve`` as a child process; stopped with SIGINT on exit. ``env``: more
    environment for it; ``log``: its log file's name in the backend's data directory."""

    def __init__(
        self,
        backend: Backend,
        *,
        command: list[str] = TANDEM,
        workers: int = 1,
        sealer_worker: bool = False,
        env: dict[str, str] | None = None,
        log: str = "serve.log",
    ) -> None:
        self.backend = backend
        self.command = command
        self.workers = workers
        self.extra_env = env or {}
        # Seal in a `tandem worker` process of its own rather than inside the server.
        self.sealer_worker = sealer_worker
        self.worker: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = backend.data_dir / log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = self.backend.env() | self.extra_env
        if self.sealer_worker:
            env["TANDEM_SEALER_IN_SERVER"] = "false"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*self.command, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            if self.sealer_worker:
                self.worker = subprocess.Popen(
                    [*self.command, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
                )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tandem serve exited; see {self.log}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"tandem serve did not answer within 60 s; see {self.log}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGINT)
            self.worker.wait(timeout=20)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

"""What the request observer (tandem.observe.requests) costs each request.

Two measurements, in this process, with and without the observer:

* the observer alone around a trivial ASGI application that answers at once (``--calls``
  requests, alternating rounds), with the log line off and on (JSON to /dev/null);
* the whole application: ``--requests`` authenticated ``GET /api/v1/me`` (a bearer token, one
  read of the token, the user) through httpx's in-process transport, on a fresh SQLite
  database, alternating rounds between the app with the observer and the same app without it.

Times are this process's CPU time (``time.process_time``, the SQLite driver's thread included),
not the wall clock: other work on a shared machine then moves the figures much less.
``python -m bench.observe_overhead`` prints the figures; nothing here is asserted (timing lives
in bench/, not in tests).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import Message, Receive, Scope, Send

from tandem.app import create_app
from tandem.config import Settings
from tandem.observe.logs import JsonFormatter
from tandem.observe.requests import RequestObserver
from tandem.runtime import Runtime

BIN = Path(sys.executable).with_name("tandem")
REQUEST_LOG = logging.getLogger("tandem.request")


def _log_to_devnull() -> logging.Handler:
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (lives for the run)
    handler.setFormatter(JsonFormatter())
    return handler


def _logging(on: bool, handler: logging.Handler) -> None:
    REQUEST_LOG.handlers = [handler] if on else []
    REQUEST_LOG.propagate = False
    REQUEST_LOG.setLevel(logging.INFO if on else logging.WARNING)


# -- the observer alone ----------------------------------------------------------------------


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


async def _send(message: Message) -> None:
    return None


async def _micro(app: Callable[[Scope, Receive, Send], Awaitable[None]], calls: int) -> float:
    """Microseconds per call of ``app`` on a scope like a routed request's."""
    route = APIRoute("/patients/{patient_id}", _answer)
    headers = [(b"host", b"tandem"), (b"authorization", b"Bearer x"), (b"accept", b"*/*")]
    started = time.process_time()
    for _ in range(calls):
        scope = {"type": "http", "method": "GET", "path": "/p", "root_path": "", "route": route}
        scope["headers"] = headers
        await app(scope, _receive, _send)
    return (time.process_time() - started) / calls * 1e6


def observer_alone(calls: int, rounds: int, handler: logging.Handler) -> dict[str, float]:
    observed = RequestObserver(_answer, metrics=_metrics())
    results: dict[str, list[float]] = {"bare": [], "metrics": [], "metrics + log": []}

    async def run() -> None:
        await _micro(_answer, 1000)  # warm-up
        await _micro(observed, 1000)
        for _ in range(rounds):
            _logging(False, handler)
            results["bare"].append(await _micro(_answer, calls))
            results["metrics"].append(await _micro(observed, calls))
            _logging(True, handler)
            results["metrics + log"].append(await _micro(observed, calls))

    asyncio.run(run())
    return {name: statistics.median(values) for name, values in results.items()}


def _metrics() -> object:
    from sqlalchemy.ext.asyncio import create_async_engine

    from tandem.observe.metrics import Metrics

    return Metrics(create_async_engine("sqlite+aiosqlite://"), lambda: 0)


# -- the whole application -------------------------------------------------------------------


def _tandem(env: dict[str, str], *args: str) -> str:
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "tandem.cli"]
    done = subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, check=True, timeout=600
    )
    return done.stdout


def _without_observer(app: FastAPI) -> FastAPI:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not RequestObserver]
    return app


async def _timed(client: httpx.AsyncClient, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        response = await client.get("/api/v1/me")
        assert response.status_code == 200, response.text
    return (time.process_time() - started) / requests * 1e6


def whole_app(requests: int, rounds: int, handler: logging.Handler) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="tandem-observe-bench-"))
    env = {**os.environ, "TANDEM_DATA_DIR": str(folder), "TANDEM_ENVIRONMENT": "development"}
    env.pop("TANDEM_DATABASE_URL", None)
    _tandem(env, "db", "upgrade")
    _tandem(env, "users", "create", "bench.cm", "--name", "Bench Care Manager",
            "--role", "care_manager", "--password", "bench-password-2026")  # fmt: skip
    token = _tandem(env, "token", "issue", "bench.cm").strip().splitlines()[-1]
    settings = Settings(data_dir=folder, environment="development")
    names = ("without", "with (metrics)", "with (metrics + log)")
    results: dict[str, list[float]] = {name: [] for name in names}

    async def run() -> None:
        rt = Runtime.build(settings)
        apps = {
            "without": _without_observer(create_app(settings, runtime=rt)),
            "with": create_app(settings, runtime=rt),
        }
        headers = {"Authorization": f"Bearer {token}"}
        clients = {
            name: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
            )
            for name, app in apps.items()
        }
        try:
            for client in clients.values():
                await _timed(client, 200)  # warm-up
            for n in range(rounds):
                # Each round in another order, so that drift falls on every variant alike.
                order = names[n % 3 :] + names[: n % 3]
                for name in order if n % 2 else reversed(order):
                    _logging(name.endswith("log)"), handler)
                    client = clients["without" if name == "without" else "with"]
                    results[name].append(await _timed(client, requests // rounds))
        finally:
            for client in clients.values():
                await client.aclose()
            await rt.engine.dispose()

    asyncio.run(run())
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="observer-alone calls a round")
    parser.add_argument("--requests", type=int, default=2_000, help="app requests per variant")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    handler = _log_to_devnull()
    alone = observer_alone(args.calls, args.rounds, handler)
    print(f"Observer alone, µs per request (median of {args.rounds} rounds of {args.calls}):")
    for name, value in alone.items():
        extra = "" if name == "bare" else f"  (+{value - alone['bare']:.1f} µs)"
        print(f"  {name:16} {value:8.2f}{extra}")
    app = whole_app(args.requests, args.rounds, handler)
    print(f"GET /api/v1/me in process, µs per request (median of {args.rounds} rounds, "
          f"{args.requests} requests per variant):")  # fmt: skip
    for name, value in app.items():
        extra = "" if name == "without" else f"  (+{value - app['without']:.1f} µs)"
        print(f"  {name:22} {value:8.1f}{extra}")


if __name__ == "__main__":
    main()

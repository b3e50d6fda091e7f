"""``python -m bench.capture_server serve --port P [--workers N]``: ``tandem serve`` with the
statement capture of ``bench.capture`` installed. Bench-only: the benchmark times the plain
``tandem serve`` and asks this one, on the same database, what each timed request runs.

The recordings go to the directory named by ``TANDEM_BENCH_CAPTURE_DIR``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from bench import capture
from tandem.app import create_app as create_tandem_app


def create_app() -> ASGIApp:
    """Tandem's app, recording the requests that ask for it (uvicorn's factory)."""
    directory = Path(os.environ[capture.CAPTURE_DIR_ENV])
    directory.mkdir(parents=True, exist_ok=True)
    capture.install()
    return capture.CaptureMiddleware(create_tandem_app(), directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capture_server", description=__doc__)
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if capture.CAPTURE_DIR_ENV not in os.environ:
        parser.error(f"set {capture.CAPTURE_DIR_ENV} to the directory for the recordings")
    uvicorn.run(
        "bench.capture_server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        proxy_headers=True,
        timeout_worker_healthcheck=60,  # as tandem serve's (tandem.cli)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

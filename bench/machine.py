"""What the benchmark ran on: CPU, memory, OS, Python and database versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1]
    except OSError:
        return None
    return None


def describe(sqlite: str, postgresql: str | None) -> dict[str, Any]:
    """A dictionary of facts about this machine, for the results file."""
    mem_kb = _first("/proc/meminfo", "MemTotal")
    os_name = _first("/etc/os-release", "PRETTY_NAME=")
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kb.split()[0]) / 1024 / 1024, 1) if mem_kb else None,
        "os": f"{(os_name or platform.system()).strip(chr(34))} (kernel {platform.release()})",
        "python": platform.python_version(),
        "sqlite": sqlite,
        "postgresql": postgresql or "not reachable",
    }


def load_average() -> float:
    """The one-minute load average (other work on a shared machine skews timings)."""
    return round(os.getloadavg()[0], 2)

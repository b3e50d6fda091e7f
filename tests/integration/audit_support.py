"""Running `tandem audit …` as an operator would, against a committed database."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tandem.config import Settings

TANDEM = Path(sys.executable).with_name("tandem")


def audit_env(settings: Settings, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TANDEM_DATABASE_URL": url,
        "TANDEM_AUDIT_KEY": settings.audit_key,
        "TANDEM_AUDIT_SIGNING_KEY": settings.audit_signing_key,
        "TANDEM_AUDIT_CHECKPOINT_DIR": str(settings.checkpoint_dir),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }


async def tandem_audit(settings: Settings, url: str, *args: str) -> tuple[int, str]:
    """The exit code, and stdout and stderr with their whitespace folded."""
    process = await asyncio.create_subprocess_exec(
        str(TANDEM),
        "audit",
        *args,
        env=audit_env(settings, url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    # communicate() has read to the end; wait() gives the exit code it ended with.
    return await process.wait(), " ".join((stdout + stderr).decode().split())

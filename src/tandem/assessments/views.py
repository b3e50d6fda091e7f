"""Pages for administering instruments, their results and trajectories."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Pages for safety alerts: the list, and recording what was done."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""The signed-in user's notifications page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

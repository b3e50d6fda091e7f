"""Pages for the comprehensive assessment."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

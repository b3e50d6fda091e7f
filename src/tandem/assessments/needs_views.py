"""Pages for a patient's needs: confirm, dismiss, address, resolve."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

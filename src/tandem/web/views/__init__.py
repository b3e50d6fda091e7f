"""All HTML routes; each domain keeps its own views module, gathered here."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from tandem.auth.views import router as auth_views
from tandem.web.deps import PageUser

router = APIRouter(include_in_schema=False)
router.include_router(auth_views)


@router.get("/")
async def home(user: PageUser) -> RedirectResponse:
    """Clinicians start at their caseload; administrators at administration."""
    if user.role in {"administrator"}:
        return RedirectResponse("/admin/users", status_code=303)
    if user.role == "privacy_officer":
        return RedirectResponse("/admin/break-glass", status_code=303)
    return RedirectResponse("/caseload", status_code=303)

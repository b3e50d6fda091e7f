"""All HTML routes; each domain keeps its own views module, gathered here."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse

from tandem.access.views import router as access_views
from tandem.admin.views.break_glass import router as break_glass_views
from tandem.admin.views.organizations import router as organization_views
from tandem.admin.views.users import router as user_views
from tandem.assessments.views.comprehensive import router as comprehensive_views
from tandem.assessments.views.measurements import router as assessment_views
from tandem.assessments.views.needs import router as needs_views
from tandem.assessments.views.responses import router as response_views
from tandem.assessments.views.safety import router as safety_views
from tandem.auth.views import router as auth_views
from tandem.careplans.views import router as care_plan_views
from tandem.careteams.views.enrolments import router as enrolment_views
from tandem.careteams.views.members import router as care_team_views
from tandem.notify.views import router as notification_views
from tandem.people.views.demographics import router as demographics_views
from tandem.people.views.duplicates import router as duplicate_views
from tandem.people.views.identifiers import router as identifier_views
from tandem.people.views.patients import router as patient_views
from tandem.people.views.related import router as related_views
from tandem.privacy.views import router as audit_views
from tandem.web.deps import PageUser

FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"

router = APIRouter(include_in_schema=False)
for views in (
    auth_views,
    patient_views,
    demographics_views,
    identifier_views,
    related_views,
    care_team_views,
    enrolment_views,
    assessment_views,
    response_views,
    safety_views,
    needs_views,
    care_plan_views,
    comprehensive_views,
    notification_views,
    access_views,
    audit_views,
    user_views,
    organization_views,
    break_glass_views,
    duplicate_views,
):
    router.include_router(views)


@router.get("/")
async def home(request: Request, user: PageUser) -> RedirectResponse:
    """Clinicians start at their caseload; administrators at administration."""
    start = {"administrator": "/admin/users", "privacy_officer": "/admin/break-glass"}
    target = start.get(user.role, "/caseload")
    flash = request.query_params.get("flash")
    return RedirectResponse(target + (f"?flash={quote(flash)}" if flash else ""), status_code=303)


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    """Browsers ask for this on every site; answer with the Tandem mark."""
    return FileResponse(FAVICON, media_type="image/svg+xml")

"""The JSON API's interactive documentation (Swagger UI), served from Tandem's own static files.

FastAPI's built-in page loads Swagger UI from a CDN (a blank page offline) and starts it with an
inline script, which the Content-Security-Policy refuses; this page uses the copy vendored by
``scripts/vendor-assets.sh`` and starts it from ``static/tandem-api-docs.js``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tandem.web.security import content_security_policy
from tandem.web.templating import render

# The vendored copy under web/static; scripts/vendor-assets.sh names the version.
SWAGGER_UI = "vendor/swagger-ui-5.35.0"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI for the API; the bearer token typed into it lives only as long as the tab."""
    root = request.scope.get("root_path", "")
    page = render(
        request, "api/docs.html", {"openapi_url": f"{root}/openapi.json", "swagger_ui": SWAGGER_UI}
    )
    # Swagger UI's stylesheet draws its icons as data: SVG images; the pages need none.
    page.headers["Content-Security-Policy"] = content_security_policy(img_src="'self' data:")
    return page

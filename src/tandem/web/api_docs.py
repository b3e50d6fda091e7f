"""The JSON API's interactive documentation (Swagger UI), served by Tandem itself.

FastAPI's built-in page loads Swagger UI from a CDN (a blank page offline) and starts it with an
inline script, which the Content-Security-Policy refuses. This page loads Swagger UI's bundle and
stylesheet from the ``fastapi-offline`` package (a pinned dependency that ships them, with their
licences, so that no third-party minified code lives in Tandem's own source) and starts it from
``static/tandem-api-docs.js``.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.routing import Mount, Route

from tandem.web.security import STATIC_PREFIX, content_security_policy
from tandem.web.templating import render

# Where the installed package keeps Swagger UI, and the only two of its files the page needs.
SWAGGER_UI_DIR = Path(fastapi_offline.__file__).parent / "static"
SWAGGER_UI_FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
# Under /static so that the security headers treat them as static files (cacheable).
SWAGGER_UI_PATH = f"{STATIC_PREFIX}swagger-ui"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI for the API; the bearer token typed into it lives only as long as the tab."""
    root = request.scope.get("root_path", "")
    page = render(
        request,
        "api/docs.html",
        {
            "openapi_url": f"{root}/openapi.json",
            "swagger_ui": {
                name: request.url_for(f"swagger-ui:{name}") for name in SWAGGER_UI_FILES
            },
        },
    )
    # Swagger UI's stylesheet draws its icons as data: SVG images; the pages need none.
    page.headers["Content-Security-Policy"] = content_security_policy(img_src="'self' data:")
    return page


def _asset(name: str, media_type: str) -> Route:
    async def serve(request: Request) -> FileResponse:
        return FileResponse(SWAGGER_UI_DIR / name, media_type=media_type)

    return Route(f"/{name}", serve, methods=["GET", "HEAD"], name=name)


def swagger_ui_assets() -> Mount:
    """The mount for Swagger UI's two files; mounted before /static, which would take its path."""
    routes = [_asset(name, media_type) for name, media_type in SWAGGER_UI_FILES.items()]
    return Mount(SWAGGER_UI_PATH, routes=routes, name="swagger-ui")

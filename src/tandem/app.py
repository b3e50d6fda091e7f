"""create_app(): the web application, the JSON API under /api/v1, static files."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tandem import __version__
from tandem.access import messages as access_messages
from tandem.access.api import router as access_api
from tandem.admin import messages as admin_messages
from tandem.admin.api import router as admin_api
from tandem.assessments import messages as assessment_messages
from tandem.assessments.api import router as assessments_api
from tandem.assessments.definitions import instruments
from tandem.assessments.views.badges import FILTERS as result_filters
from tandem.assessments.views.labels import FILTERS as need_filters
from tandem.audit.log import events_written
from tandem.audit.seal import run_forever
from tandem.auth import messages as auth_messages
from tandem.careplans import messages as careplan_messages
from tandem.careplans.api import mine as my_work_api
from tandem.careplans.api import router as careplans_api
from tandem.careplans.crisis_lines import crisis_lines
from tandem.careplans.definitions import plan_templates
from tandem.careplans.views.printed import FILTERS as care_plan_filters
from tandem.careteams import messages as careteam_messages
from tandem.careteams.api import router as careteams_api
from tandem.clock import Clock
from tandem.config import Settings
from tandem.migrate import is_up_to_date
from tandem.notify.api import router as notify_api
from tandem.observe.metrics import Metrics
from tandem.observe.requests import RequestObserver
from tandem.observe.views import router as observe_views
from tandem.people import messages as people_messages
from tandem.people.api.duplicates import router as duplicates_api
from tandem.people.api.patients import router as people_api
from tandem.privacy.api import router as audit_api
from tandem.runtime import Runtime
from tandem.web.api_docs import router as api_docs
from tandem.web.api_docs import swagger_ui_assets
from tandem.web.error_handlers import install_error_handlers
from tandem.web.limits import AddressLimits, BodyLimit
from tandem.web.pages import FILTERS as page_filters
from tandem.web.pages import register_flash_messages
from tandem.web.security import install_security_headers
from tandem.web.templating import register_filters
from tandem.web.views import router as web_views

STATIC = Path(__file__).parent / "web" / "static"


class DatabaseNotMigrated(RuntimeError):
    pass


def create_api(runtime: Runtime) -> FastAPI:
    """The JSON API, mounted at /api/v1 with its own OpenAPI document and docs page."""
    api = FastAPI(
        title="Tandem API",
        version=__version__,
        description=(
            "Care coordination for integrated mental-health care teams. Authenticate with the "
            "browser session or a bearer token from `tandem token issue USERNAME`. "
            "Patients outside your care teams answer 404."
        ),
        openapi_url="/openapi.json",
        # Served by tandem.web.api_docs from an installed Swagger UI instead of a CDN.
        docs_url=None,
        redoc_url=None,
    )
    api.state.runtime = runtime
    for router in (
        access_api,
        people_api,
        careteams_api,
        careplans_api,
        my_work_api,
        assessments_api,
        notify_api,
        admin_api,
        duplicates_api,
        audit_api,
        api_docs,
    ):
        api.include_router(router)
    install_error_handlers(api)
    return api


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    runtime: Runtime | None = None,
    check_migrations: bool = True,
) -> FastAPI:
    settings = settings or Settings()
    # Instruments, care plan templates and crisis lines are data: a broken file stops Tandem
    # here, not mid-assessment or on a safety plan.
    instruments()
    plan_templates()
    crisis_lines()
    register_filters(page_filters, need_filters, result_filters, care_plan_filters)
    register_flash_messages(
        access_messages.FLASH,
        admin_messages.FLASH,
        assessment_messages.FLASH,
        auth_messages.FLASH,
        careplan_messages.FLASH,
        careteam_messages.FLASH,
        people_messages.FLASH,
    )
    rt = runtime or Runtime.build(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if check_migrations and not await is_up_to_date(rt.engine):
            raise DatabaseNotMigrated(
                "The database is not migrated to this version of Tandem. "
                "Run `tandem db upgrade` first."
            )
        logging.getLogger("tandem").info("Tandem %s ready", __version__)
        # What start-up loaded (modules, instruments) lives as long as the process; freezing it
        # spares every full garbage collection a re-scan of it (measured when the chart was
        # still drawn by a plotting library: chart p99 153 ms -> 40 ms).
        gc.freeze()
        stop = asyncio.Event()
        sealing = (
            asyncio.create_task(
                run_forever(rt.sealer(), every_seconds=settings.audit_seal_seconds, stop=stop)
            )
            if settings.sealer_in_server and check_migrations
            else None
        )
        yield
        stop.set()
        if sealing is not None:
            await sealing
        if runtime is None:
            await rt.engine.dispose()

    app = FastAPI(
        title="Tandem",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = rt
    app.mount("/api/v1", create_api(rt), name="api")
    app.router.routes.append(swagger_ui_assets())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(web_views)
    app.include_router(observe_views)
    install_error_handlers(app, pages=True)
    # Around everything, so that they hold for the API, the pages and the static files alike;
    # the security headers outermost, so that a refused address or body carries them too.
    app.add_middleware(BodyLimit, max_bytes=rt.settings.max_body_bytes)
    app.add_middleware(AddressLimits)
    install_security_headers(app, hsts=settings.serves_https)
    # Outermost: the request id, the log line and the request metrics see every answer,
    # refusals by the limits above included, and time all of it.
    app.state.metrics = Metrics(rt.engine, events_written)
    app.add_middleware(RequestObserver, metrics=app.state.metrics)
    return app

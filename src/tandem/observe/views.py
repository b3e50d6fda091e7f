"""/healthz, /readyz and /metrics: for load balancers, orchestrators and Prometheus.

None needs a sign-in and none shows anything of a patient: the process is up; the database and
audit keys are ready (503 with the reason otherwise); request counts by route template.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tandem import __version__
from tandem.deps import RuntimeDep, SessionDep
from tandem.observe.health import readiness_problem
from tandem.observe.metrics import Metrics
from tandem.observe.rules import may_read_metrics

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is up and answering; asks nothing of the database."""
    return JSONResponse({"status": "ok", "version": __version__})


@router.get("/readyz")
async def readyz(session: SessionDep, rt: RuntimeDep) -> JSONResponse:
    """Ready to serve: the database answers and is migrated, the audit keys are loaded."""
    problem = await readiness_problem(session, rt)
    if problem is not None:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ready", "version": __version__})


@router.get("/metrics")
async def metrics(request: Request, rt: RuntimeDep) -> Response:
    """The Prometheus metrics of this process: to this machine, or to whoever has the token."""
    client = request.client.host if request.client else None
    token = rt.settings.metrics_token
    if not may_read_metrics(token=token, client_host=client, headers=request.scope["headers"]):
        reason = (
            "Send the metrics token: Authorization: Bearer TANDEM_METRICS_TOKEN."
            if token
            else "Metrics are served to this machine only, unless TANDEM_METRICS_TOKEN is set."
        )
        headers = {"WWW-Authenticate": "Bearer"} if token else None
        status = 401 if token else 403
        return JSONResponse({"detail": reason}, status_code=status, headers=headers)
    registry: Metrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

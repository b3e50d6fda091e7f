"""Is this process ready to serve? The database answers and is migrated to this version's head,
and the audit keys are loaded (a request that audits would fail without them)."""

from __future__ import annotations

import asyncio
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.audit.keys import AuditKeyProblem
from tandem.migrate import head_revision, revision_in
from tandem.runtime import Runtime

# A database that has not answered by then is as good as down, for a load balancer.
DATABASE_TIMEOUT_SECONDS = 5.0


@cache
def _head() -> str | None:
    # The migrations are files of this installed version: read once, not on every probe.
    return head_revision("sqlite://")


async def readiness_problem(session: AsyncSession, rt: Runtime) -> str | None:
    """What keeps this process from serving, in words an operator can act on; None if ready.

    The database is asked through the request's own session, the way every request reaches it.
    """
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            revision = await revision_in(session)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return f"the database cannot be reached ({type(exc).__name__})"
    head = _head()
    if revision != head:
        return (
            f"the database is at migration {revision or 'none'}, this version needs {head}: "
            "run `tandem db upgrade`"
        )
    try:
        rt.audit_keys  # noqa: B018 (loading them is the check)
    except AuditKeyProblem as exc:
        return f"the audit keys are not loaded: {exc}"
    return None

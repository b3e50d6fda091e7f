"""Separation of duties in account changes: the steps that the service's use cases share.

No one changes their own role; a role change is an audited event naming both roles; emergency
access ends with the role that allowed it; and the last active administrator stays (see
``rules``), checked under a lock so that two administrators cannot remove each other at once.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.grants import end_live_grants
from tandem.access.service import require_staff
from tandem.admin import repository
from tandem.admin.rules import check_an_administrator_remains, leaves_administration
from tandem.audit import log as audit
from tandem.capabilities import Capability
from tandem.errors import Forbidden, found
from tandem.people.models import User


async def locked_account(
    session: AsyncSession, ctx: AccessContext, user_id: uuid.UUID
) -> tuple[User, frozenset[uuid.UUID]]:
    """The account read after locking the active administrators, and who they are."""
    administrators = await repository.lock_active_administrators(session)
    if ctx.user_id is not None and ctx.user_id not in administrators:
        # The caller was demoted or deactivated while this request was on its way.
        raise Forbidden("Only administrators can do this.")
    # Read again after the lock: what this session read before may have changed since.
    user = found(await repository.account(session, user_id, fresh=True), "user")
    return user, administrators


def check_force(ctx: AccessContext, force: bool) -> None:
    # Leaving no administrator is for the operator's command line, which can bring one back.
    if force and ctx.role != "system":
        raise Forbidden("Only the command line may leave no active administrator.")


def refuse_own_role_change(ctx: AccessContext, user: User) -> None:
    if user.id == ctx.user_id:
        # An administrator who could make itself a clinician could then break the glass into
        # any chart.
        raise Forbidden("You cannot change your own role; ask another administrator.", field="role")


async def end_emergency_access(
    session: AsyncSession, ctx: AccessContext, user: User, *, reason: str
) -> int:
    """End the user's live break-the-glass grants, each audited in its patient's access log."""
    staff = require_staff(session, ctx, Capability.administer_users)
    ended = await end_live_grants(session, staff, user_id=user.id, now=ctx.now(), reason=reason)
    for grant in ended:
        audit.record(
            session,
            ctx,
            action="U",
            record_type="BreakGlass",
            record_id=grant.id,
            patient_id=grant.patient_id,
            purpose="HOPERAT",
            detail={"ended": reason, "holder": user.username},
        )
    return len(ended)


async def change_role(
    session: AsyncSession,
    ctx: AccessContext,
    user: User,
    role: str,
    administrators: frozenset[uuid.UUID],
    *,
    force: bool,
) -> None:
    """Give the account another role: audited with both roles, emergency access ended."""
    refuse_own_role_change(ctx, user)
    before = user.role
    if not force and leaves_administration(
        role=before, active=user.active, new_role=role, new_active=user.active
    ):
        check_an_administrator_remains(administrators, user.id, field="role")
    user.role = role
    ended = await end_emergency_access(
        session, ctx, user, reason=f"role changed from {before} to {role}"
    )
    audit.record(
        session,
        ctx,
        action="U",
        record_type="UserRole",
        record_id=user.id,
        purpose="HOPERAT",
        detail={
            "username": user.username,
            "from": before,
            "to": role,
            "emergency_access_ended": ended,
        },
    )

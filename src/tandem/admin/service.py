"""Administration use cases. Administrators manage accounts, not clinical records."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tandem.access.context import AccessContext
from tandem.access.service import require_staff
from tandem.admin import duties, repository
from tandem.admin.rules import check_an_administrator_remains, leaves_administration
from tandem.admin.schemas import (
    BreakGlassRead,
    BreakGlassReview,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
    PasswordReset,
    StaffRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from tandem.audit import log as audit
from tandem.auth.passwords import hash_password
from tandem.auth.rules import check_password_policy
from tandem.auth.service import revoke_all_sessions
from tandem.capabilities import Capability
from tandem.errors import Conflict, Forbidden, NotFound, ValidationProblem, found
from tandem.ids import new_id
from tandem.people.models import Organization, User
from tandem.records import check_version, flush_unique, reject_cleared

ORGANIZATION_NAME_TAKEN = "An organisation with this name exists."
USERNAME_TAKEN = "This username is taken."
# The checks below answer the usual case in words; two requests racing past them meet these
# constraints of the database, which answer the same.
UNIQUE_RULES = {
    "uq_organization_name": (ORGANIZATION_NAME_TAKEN, "name"),
    "uq_app_user_username": (USERNAME_TAKEN, "username"),
}


def _require_admin(
    session: AsyncSession, ctx: AccessContext, capability: Capability = Capability.administer_users
) -> None:
    """403 (audited) unless the caller's role administers this (the permission table)."""
    require_staff(session, ctx, capability)


def _admin_audit(
    session: AsyncSession,
    ctx: AccessContext,
    action: str,
    record_type: str,
    record_id: uuid.UUID,
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session,
        ctx,
        action=action,
        record_type=record_type,
        record_id=record_id,
        purpose="HOPERAT",
        detail=detail,
    )


async def list_organizations(
    session: AsyncSession, *, include_inactive: bool = True
) -> list[OrganizationRead]:
    """Organisations by name: reference data every signed-in user may read (forms' choices)."""
    found = await repository.organizations(session, include_inactive=include_inactive)
    return [OrganizationRead.model_validate(o) for o in found]


async def organizations_for_administration(
    session: AsyncSession, ctx: AccessContext
) -> list[OrganizationRead]:
    """Every organisation, closed ones too, for those who manage them."""
    _require_admin(session, ctx, Capability.administer_organizations)
    return await list_organizations(session)


async def organization_for_administration(
    session: AsyncSession, ctx: AccessContext, org_id: uuid.UUID
) -> OrganizationRead:
    """One organisation, for those who manage them."""
    _require_admin(session, ctx, Capability.administer_organizations)
    return OrganizationRead.model_validate(await _organization(session, org_id))


async def _organization(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    return found(await repository.organization(session, org_id), "organisation")


async def create_organization(
    session: AsyncSession, ctx: AccessContext, data: OrganizationCreate
) -> OrganizationRead:
    _require_admin(session, ctx, Capability.administer_organizations)
    if await repository.organization_name_taken(session, data.name):
        raise Conflict(ORGANIZATION_NAME_TAKEN, field="name")
    org = Organization(id=new_id(), created_at=ctx.now(), active=True, **data.model_dump())
    session.add(org)
    await flush_unique(session, UNIQUE_RULES)
    _admin_audit(session, ctx, "C", "Organization", org.id, {"name": org.name})
    return OrganizationRead.model_validate(org)


async def update_organization(
    session: AsyncSession, ctx: AccessContext, org_id: uuid.UUID, data: OrganizationUpdate
) -> OrganizationRead:
    _require_admin(session, ctx, Capability.administer_organizations)
    org = await _organization(session, org_id)
    changes = data.model_dump(exclude_unset=True)
    reject_cleared(changes, ("name", "kind", "active"))
    if (
        "name" in changes
        and changes["name"] != org.name
        and await repository.organization_name_taken(session, changes["name"])
    ):
        raise Conflict(ORGANIZATION_NAME_TAKEN, field="name")
    for key, value in changes.items():
        setattr(org, key, value)
    await flush_unique(session, UNIQUE_RULES)
    _admin_audit(session, ctx, "U", "Organization", org.id, {"changed": sorted(changes)})
    return OrganizationRead.model_validate(org)


async def list_users(
    session: AsyncSession, ctx: AccessContext, *, q: str | None = None, role: str | None = None
) -> list[UserRead]:
    """Every account with its sign-in state, searchable by name or username (administrators)."""
    _require_admin(session, ctx)
    accounts = await repository.accounts(session, q=q, role=role)
    return [UserRead.model_validate(u) for u in accounts]


async def staff_directory(
    session: AsyncSession, *, q: str | None = None, role: str | None = None
) -> list[StaffRead]:
    """Active colleagues, to choose care-team members: what any signed-in user may see of
    another (no sign-in state)."""
    colleagues = await repository.accounts(session, q=q, role=role, active_only=True)
    return [StaffRead.model_validate(u) for u in colleagues]


async def get_user(session: AsyncSession, ctx: AccessContext, user_id: uuid.UUID) -> UserRead:
    """One account with its sign-in state (administrators)."""
    _require_admin(session, ctx)
    return UserRead.model_validate(await _account(session, user_id))


def open_new_user_form(session: AsyncSession, ctx: AccessContext) -> None:
    """The form for a new account opens for administrators only (403 otherwise)."""
    _require_admin(session, ctx)


async def _account(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = found(await repository.account(session, user_id), "user")
    return user


async def create_user(session: AsyncSession, ctx: AccessContext, data: UserCreate) -> UserRead:
    _require_admin(session, ctx)
    check_password_policy(data.password, username=data.username)
    if await repository.username_taken(session, data.username):
        raise Conflict(USERNAME_TAKEN, field="username")
    if (
        data.organization_id
        and await repository.organization(session, data.organization_id) is None
    ):
        raise ValidationProblem("No such organisation.", field="organization_id")
    user = User(
        id=new_id(),
        created_at=ctx.now(),
        active=True,
        password_hash=hash_password(data.password),
        must_change_password=ctx.role != "system",
        **data.model_dump(exclude={"password"}),
    )
    session.add(user)
    await flush_unique(session, UNIQUE_RULES)
    _admin_audit(session, ctx, "C", "User", user.id, {"username": user.username, "role": user.role})
    return UserRead.model_validate(user)


async def update_user(
    session: AsyncSession, ctx: AccessContext, user_id: uuid.UUID, data: UserUpdate
) -> UserRead:
    _require_admin(session, ctx)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    reject_cleared(changes, ("full_name", "role"))
    if "role" in changes:
        user, administrators = await duties.locked_account(session, ctx, user_id)
    else:
        user, administrators = await _account(session, user_id), frozenset()
    role = str(changes.pop("role", user.role))
    role_changed = role != user.role
    if role_changed:
        duties.refuse_own_role_change(ctx, user)
    check_version(user, data.version)
    if (
        changes.get("organization_id")
        and await repository.organization(session, changes["organization_id"]) is None
    ):
        raise ValidationProblem("No such organisation.", field="organization_id")
    changed = sorted(key for key, value in changes.items() if getattr(user, key) != value)
    if role_changed:
        await duties.change_role(session, ctx, user, role, administrators, force=False)
    for key, value in changes.items():
        setattr(user, key, value)
    await session.flush()
    # A role change has its own event; any other save leaves one, even if it changed nothing.
    if changed or not role_changed:
        _admin_audit(session, ctx, "U", "User", user.id, {"changed": changed})
    return UserRead.model_validate(user)


async def set_role(
    session: AsyncSession,
    ctx: AccessContext,
    user_id: uuid.UUID,
    role: str,
    *,
    force: bool = False,
) -> UserRead:
    """Change an account's role (the command line's recovery path; the forms use update_user)."""
    _require_admin(session, ctx)
    duties.check_force(ctx, force)
    user, administrators = await duties.locked_account(session, ctx, user_id)
    if role != user.role:
        await duties.change_role(session, ctx, user, role, administrators, force=force)
        await session.flush()
    return UserRead.model_validate(user)


async def set_active(
    session: AsyncSession,
    ctx: AccessContext,
    user_id: uuid.UUID,
    *,
    active: bool,
    force: bool = False,
) -> UserRead:
    """Deactivate (signs the user out everywhere, ends emergency access) or reactivate."""
    _require_admin(session, ctx)
    duties.check_force(ctx, force)
    if not active and user_id == ctx.user_id:
        raise ValidationProblem("You cannot deactivate your own account.", field="user_id")
    if active:
        user = await _account(session, user_id)
    else:
        user, administrators = await duties.locked_account(session, ctx, user_id)
        if not force and leaves_administration(
            role=user.role, active=user.active, new_role=user.role, new_active=False
        ):
            check_an_administrator_remains(administrators, user.id, field="active")
    before = user.active
    user.active = active
    detail: dict[str, object] = {
        "username": user.username,
        "from": _status(before),
        "to": _status(active),
    }
    if active:
        user.failed_logins = 0
        user.locked_until = None
    else:
        await revoke_all_sessions(session, user_id=user.id, now=ctx.now())
        detail["emergency_access_ended"] = await duties.end_emergency_access(
            session, ctx, user, reason="account deactivated"
        )
    await session.flush()
    _admin_audit(session, ctx, "U", "UserStatus", user.id, detail)
    return UserRead.model_validate(user)


def _status(active: bool) -> str:
    return "active" if active else "deactivated"


async def reset_password(
    session: AsyncSession, ctx: AccessContext, user_id: uuid.UUID, data: PasswordReset
) -> UserRead:
    """Set a temporary password; the user must choose their own at next sign-in."""
    _require_admin(session, ctx)
    if user_id == ctx.user_id:
        # A reset asks for no current password: whoever stands at an open session could take
        # the account. The ordinary change-password form asks for it.
        raise Forbidden(
            "Change your own password with the change-password form, /account/password.",
            field="password",
        )
    user = await _account(session, user_id)
    check_password_policy(data.password, username=user.username)
    user.password_hash = hash_password(data.password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    await revoke_all_sessions(session, user_id=user.id, now=ctx.now())
    await session.flush()
    _admin_audit(session, ctx, "U", "User", user.id, {"password": "reset"})
    return UserRead.model_validate(user)


async def break_glass_list(
    session: AsyncSession, ctx: AccessContext, *, pending_only: bool
) -> list[BreakGlassRead]:
    """Emergency accesses for review; shows who, which MRN and why — no clinical content."""
    staff = require_staff(session, ctx, Capability.review_emergency_access)
    rows = await repository.emergency_accesses(session, staff, pending_only=pending_only)
    audit.record(
        session,
        ctx,
        action="E",
        record_type="BreakGlassReview",
        purpose="HOPERAT",
        detail={"listed": len(rows)},
    )
    return [
        BreakGlassRead(
            id=g.id,
            patient_id=g.patient_id,
            patient_mrn=mrn,
            user_id=g.user_id,
            username=username,
            reason=g.reason,
            started_at=g.started_at,
            expires_at=g.expires_at,
            ended_reason=g.ended_reason,
            reviewed_at=g.reviewed_at,
            reviewed_by=reviewed_by,
            review_note=g.review_note,
        )
        for g, mrn, username, reviewed_by in rows
    ]


async def review_break_glass(
    session: AsyncSession, ctx: AccessContext, grant_id: uuid.UUID, data: BreakGlassReview
) -> None:
    staff = require_staff(session, ctx, Capability.review_emergency_access)
    grant = await repository.emergency_access(session, staff, grant_id)
    if grant is None:
        raise NotFound("emergency access")
    if grant.reviewed_at is not None:
        raise Conflict("This emergency access has already been reviewed.", field="note")
    grant.reviewed_at = ctx.now()
    grant.reviewed_by_id = ctx.user_id
    grant.review_note = data.note
    await session.flush()
    audit.record(
        session,
        ctx,
        action="U",
        record_type="BreakGlass",
        record_id=grant.id,
        patient_id=grant.patient_id,
        purpose="HOPERAT",
        detail={"note": data.note},
    )

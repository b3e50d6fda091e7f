"""Routes decide nothing about permissions, read from the source (``ast``, not grep).

A route module (a package's ``views``/``api`` module, or any module of its ``views/``/``api/``
package) parses, calls a service and responds (CONTRIBUTING 11). Whether the caller may do
something is the access layer's decision, made inside the service the route calls, from the
permission table (access/permissions.json). So a route module never

* calls the access layer's decisions or reads the permission table: ``require_staff``,
  ``require_patient``, ``require_admin``, ``may``, ``staff_grants``, ``patient_grants``,
  ``team_grants``;
* asks the context about a role: ``.is_admin``, ``.is_administrator``, ``.is_privacy_officer``;
* compares a role or a capability: a comparison (``==``, ``!=``, ``in``, ``not in``, ``is``)
  with ``ProfessionalRole.<role>`` or ``Capability.<capability>`` in it, with the caller's role
  (``ctx.role``, ``user.role``, ``request.state.user.role``), or of any ``.role`` with a
  professional role's name written out.

A route may still show what the service's proof allows (``access.can(...)``): the decision was
the access layer's. Templates show links with ``staff_may`` (the permission table) likewise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tests.source_code import called_name, modules

from tandem.vocab import ProfessionalRole

DECISIONS = {
    "require_staff",
    "require_patient",
    "require_admin",
    "may",
    "staff_grants",
    "patient_grants",
    "team_grants",
}
ROLE_QUESTIONS = {"is_admin", "is_administrator", "is_privacy_officer"}
VOCABULARIES = {"ProfessionalRole", "Capability"}
CALLERS = {"ctx", "user", "request.state.user"}
ROLE_NAMES = {role.value for role in ProfessionalRole}


def is_route_module(module: str) -> bool:
    parts = module.removesuffix(".py").split("/")
    return parts[-1] in {"views", "api"} or any(part in {"views", "api"} for part in parts[:-1])


def _names_a_vocabulary(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id in VOCABULARIES
        for n in ast.walk(node)
    )


def _is_a_role(node: ast.AST, *, callers_only: bool) -> bool:
    if not (isinstance(node, ast.Attribute) and node.attr == "role"):
        return False
    return not callers_only or ast.unparse(node.value) in CALLERS


def decisions(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, what) for each permission decision in a route module's ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and called_name(node) in DECISIONS:
            yield node.lineno, f"calls {called_name(node)}()"
        elif isinstance(node, ast.Attribute) and node.attr in ROLE_QUESTIONS:
            yield node.lineno, f"asks .{node.attr}"
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            spelled = any(
                isinstance(o, ast.Constant) and o.value in ROLE_NAMES for o in operands
            ) and any(_is_a_role(o, callers_only=False) for o in operands)
            if (
                spelled
                or any(_names_a_vocabulary(o) for o in operands)
                or any(_is_a_role(o, callers_only=True) for o in operands)
            ):
                yield node.lineno, f"compares {ast.unparse(node)}"


def routes_deciding() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for module, tree in modules().items():
        if is_route_module(module):
            for line, what in sorted(decisions(tree)):
                found.setdefault(module, []).append(f"src/tandem/{module}:{line}: {what}")
    return found


def test_the_route_modules_are_found() -> None:
    routes = {m for m in modules() if is_route_module(m)}
    assert {"admin/api.py", "admin/views/users.py", "access/views.py", "web/views/__init__.py"} <= (
        routes
    )
    assert not {"admin/service.py", "access/service.py", "web/pages.py"} & routes


def test_no_route_decides_a_permission() -> None:
    assert routes_deciding() == {}


def test_the_rule_sees_decisions_however_they_are_written() -> None:
    snippet = ast.parse(
        "\n".join(
            [
                "async def users(session, ctx, user, staff):",
                "    service.require_staff(session, ctx, Capability.administer_users)",  # 2
                "    if ctx.is_privacy_officer: ...",  # 3
                "    if ctx.role == 'administrator': ...",  # 4
                "    if user.role in {'administrator', 'privacy_officer'}: ...",  # 5
                "    if Capability.read_chart in permissions().team_grants(ctx.role): ...",  # 6
                "    leads = [u for u in staff if u.role == ProfessionalRole.care_manager]",  # 7
                "    colleague = [u for u in staff if u.role != 'peer_specialist']",  # 8
                "    if may(ctx, Capability.break_the_glass): ...",  # 9
                "    shown = [m for m in staff if m.status == 'active']",  # 10: no decision
                "    tabs = access.can(Capability.read_safety)",  # 11: the proof's answer
            ]
        )
    )
    assert sorted(line for line, _ in decisions(snippet)) == [2, 3, 4, 5, 6, 6, 7, 8, 9]
    assert is_route_module("people/api/patients.py") and is_route_module("notify/views.py")
    assert not is_route_module("admin/service.py")

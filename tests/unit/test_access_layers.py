"""Who may use which part of the choke point, read from the source (``ast``, not grep).

The scope guard trusts a few tokens: the access decision, the audit writer's append, a system
session, the proofs it keeps on the session. Each is safe only in the one module that owns it;
these tests keep it that way. Operator code (command-line jobs, demo and synthetic data,
migrations) runs outside any request and may open a system session.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import tandem.models  # noqa: F401  (every table mapped)
from tandem.access import scope
from tandem.db import SCOPE_OPTION, Base

SRC = Path(__file__).resolve().parents[2] / "src" / "tandem"
OPERATOR_FILES = {"cli.py", "command_line.py", "demo.py", "migrate.py"}
OPERATOR_PACKAGES = ("synth/", "migrations/", "operations/")
# The session-level keys and options the guard reads; only access/scope.py (db.py, which
# names the system key for create_sessionmaker, and audit/scope.py, which tags the trail's own
# statements) may write them.
GUARD_NAMES = {"SCOPE_OPTION", "PROOFS_KEY", "STAFF_KEY", "SYSTEM_KEY", "SYSTEM_SESSION"}
GUARD_VALUES = {SCOPE_OPTION, scope.PROOFS_KEY, scope.STAFF_KEY, scope.SYSTEM_KEY}
GUARD_OWNERS = {"access/scope.py", "access/guard.py", "db.py", "audit/scope.py"}
# Ways around the ORM session's hooks: a Core connection, the driver, the legacy bulk methods.
ESCAPE_HATCHES = {
    "connection",
    "exec_driver_sql",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "bulk_update_mappings",
}


def is_operator(module: str) -> bool:
    return module in OPERATOR_FILES or module.startswith(OPERATOR_PACKAGES)


@cache
def modules() -> dict[str, ast.Module]:
    """Every module under src/tandem, by its path relative to the package."""
    return {
        path.relative_to(SRC).as_posix(): ast.parse(path.read_text("utf-8"), str(path))
        for path in sorted(SRC.rglob("*.py"))
    }


def nodes(module: str) -> Iterator[ast.AST]:
    return ast.walk(modules()[module])


def mentions(tree_nodes: Iterator[ast.AST], name: str) -> bool:
    """Whether the code refers to ``name``: as a name, an attribute or an import."""
    for node in tree_nodes:
        if isinstance(node, ast.Name) and node.id == name:
            return True
        if isinstance(node, ast.Attribute) and node.attr == name:
            return True
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
            return True
    return False


def users_of(name: str, *, definer: str = "access/scope.py") -> set[str]:
    return {m for m in modules() if m != definer and mentions(nodes(m), name)}


def calls(module: str) -> Iterator[ast.Call]:
    return (node for node in nodes(module) if isinstance(node, ast.Call))


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def test_the_sources_are_found() -> None:
    assert {"access/scope.py", "access/service.py", "audit/log.py", "command_line.py"} <= set(
        modules()
    )


def test_only_the_access_repository_runs_the_access_decision() -> None:
    # access.service decides from what this one query returns (access.repository).
    assert users_of("access_decision") == {"access/repository.py"}


def test_only_the_audit_writer_appends_to_the_audit_log() -> None:
    trail = "audit/scope.py"
    assert users_of("audit_append", definer=trail) == {"audit/log.py"}
    assert users_of("audit_seal", definer=trail) == {"audit/seal.py"}
    assert users_of("audit_partitions", definer=trail) == {"audit/partitions.py"}
    tokens = {"AUDIT_APPEND", "AUDIT_SEAL", "AUDIT_PARTITIONS"}
    assert {m for t in tokens for m in users_of(t, definer=trail)} == {"access/guard.py"}


def test_only_the_access_service_mints_and_remembers_proofs() -> None:
    for name in ("remember_proof", "remember_staff_access"):
        assert users_of(name) == {"access/service.py"}, name
    minted = {
        module
        for module in modules()
        for call in calls(module)
        if called_name(call) in {"Proof", "PatientAccess", "StaffAccess"}
    }
    assert minted == {"access/service.py"}


def test_only_operator_code_marks_a_session_as_the_systems() -> None:
    assert users_of("mark_system")
    assert {m for m in users_of("mark_system") if not is_operator(m)} == set()


def test_only_operator_code_builds_a_system_runtime_or_context() -> None:
    found: dict[str, set[str]] = {}
    for module in modules():
        for call in calls(module):
            name = called_name(call)
            system_kw = any(k.arg == "system" for k in call.keywords)
            if name in {"build", "create_sessionmaker"} and system_kw:
                found.setdefault(module, set()).add(name)
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "system"
                and isinstance(func.value, ast.Name)
                and func.value.id == "AccessContext"
            ):
                found.setdefault(module, set()).add("AccessContext.system")
    assert {"command_line.py", "demo.py"} <= set(found)
    # runtime.py hands Runtime.build's own ``system`` argument on to the sessionmaker.
    beyond = {m: names for m, names in found.items() if not is_operator(m)}
    assert beyond == {"runtime.py": {"create_sessionmaker"}}


def test_nothing_outside_the_guard_sets_its_options_or_session_keys() -> None:
    offenders: set[str] = set()
    for module in set(modules()) - GUARD_OWNERS:
        for node in nodes(module):
            if isinstance(node, ast.Constant) and node.value in GUARD_VALUES:
                offenders.add(f"{module}: {node.value!r}")
            if isinstance(node, ast.keyword) and node.arg in GUARD_VALUES:
                offenders.add(f"{module}: {node.arg}=")
        for name in GUARD_NAMES:
            if mentions(nodes(module), name):
                offenders.add(f"{module}: {name}")
    assert offenders == set()


def test_no_repository_function_takes_a_bare_patient_id() -> None:
    # A repository reads a patient's rows with the PatientAccess that proved access.
    repositories = [m for m in modules() if m.endswith("/repository.py")]
    assert "people/repository.py" in repositories
    bare: list[str] = []
    for module in repositories:
        for node in nodes(module):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            for param in params:
                annotation = ast.unparse(param.annotation) if param.annotation else ""
                if param.arg.endswith("patient_id") and "UUID" in annotation:
                    bare.append(f"{module}: {node.name}({param.arg}: {annotation})")
    # Except the one query that turns a bare id into a proof: the access decision.
    assert bare == ["access/repository.py: relationship_to(patient_id: uuid.UUID)"]


def test_only_operator_code_goes_around_the_session() -> None:
    # The guard sits on the ORM session: a Core connection, the driver or the legacy bulk
    # methods would reach the tables without it. db.py is the plumbing under the session
    # (SQLite's BEGIN IMMEDIATE).
    found: set[str] = set()
    for module in modules():
        if is_operator(module) or module == "db.py":
            continue
        for call in calls(module):
            name = called_name(call)
            func = call.func
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if name in ESCAPE_HATCHES and isinstance(func, ast.Attribute):
                found.add(f"{module}: {receiver}.{name}()")
            # anyio's to_thread.run_sync runs a function in a thread; a session's runs SQL.
            if name == "run_sync" and receiver not in {"to_thread", "anyio.to_thread"}:
                found.add(f"{module}: {receiver}.run_sync()")
            if name in {"connect", "begin"} and receiver.endswith("engine"):
                found.add(f"{module}: {receiver}.{name}()")
    assert found == set()


@pytest.mark.parametrize(
    "mapper",
    sorted(Base.registry.mappers, key=lambda m: m.class_.__name__),
    ids=lambda m: m.class_.__name__,
)
def test_no_model_has_relationships(mapper: object) -> None:
    # The guard lets relationship loads through unchecked (lazy and eager loaders build their
    # own statements); a relationship added to a model would reach another table unscoped.
    assert not getattr(mapper, "relationships")  # noqa: B009

"""Every SQL statement lives in a repository, read from the source (``ast``, not grep).

A statement is built with SQLAlchemy's ``select``/``insert``/``update``/``delete``/``text``/
``exists``/``union`` (however imported or renamed) and run with a session's ``execute``,
``scalar``, ``scalars``, ``get``, ``get_one``, ``stream`` or ``stream_scalars``. Services call
repository functions by name; they never hold a statement themselves (CONTRIBUTING, Layout).

Beyond the repositories (``<domain>/repository.py`` or a ``repository/`` package):

* operator code (command-line jobs, demo and synthetic data, migrations) runs outside any
  request;
* the audit trail's machinery is its own storage. Each of its modules runs its statements under
  a scope token that no other module may use (test_access_layers.py): the writer appends, the
  sealer seals, the partitioner makes and drops months, retention detaches them, and the
  verifier reads the chain in a system session. Gathering them into one audit repository would
  put all three tokens in one module and end that separation; their statements are the
  mechanism (an advisory lock, partition DDL, the chain read in order), not a domain's queries;
* ``access/scope.py`` builds the scoping predicates and wrappers every repository uses
  (``scoped``, ``count_of``, ``select_scoped``) and runs nothing;
* a ``models.py`` may write ``text(...)`` for a table's DDL (an index's predicate).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tests.source_code import is_operator, modules

BUILDERS = {"select", "insert", "update", "delete", "text", "exists", "union", "union_all"}
RUNNERS = {"execute", "scalar", "scalars", "get", "get_one", "stream", "stream_scalars"}
TRAIL_STORAGE = {
    "audit/log.py",
    "audit/partitions.py",
    "audit/retention.py",
    "audit/seal.py",
    "audit/verify.py",
}
SCOPE_BUILDER = "access/scope.py"


def is_repository(module: str) -> bool:
    return module.endswith("/repository.py") or "/repository/" in module


def statements(tree: ast.Module) -> Iterator[tuple[int, str, str]]:
    """(line, "build" or "run", what) for each statement built or run in ``tree``."""
    builders: dict[str, str] = {}  # local name -> SQLAlchemy builder
    sqlalchemy_modules: set[str] = set()  # local names of imported sqlalchemy modules
    sessions = {"session"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in BUILDERS:
                    builders[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sqlalchemy"):
                    sqlalchemy_modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            target = node.arg if isinstance(node, ast.arg) else ast.unparse(node.target)
            if "Session" in ast.unparse(node.annotation):
                sessions.add(target)
    for node in ast.walk(tree):
        # ``insert = pg_insert if postgresql else sqlite_insert``: the new name builds too.
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, found = (
                node.targets[0],
                [n for n in ast.walk(node.value) if isinstance(n, ast.Name)],
            )
            chosen = [builders[n.id] for n in found if n.id in builders]
            if isinstance(target, ast.Name) and chosen and target.id not in builders:
                builders[target.id] = chosen[0]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in builders:
            yield node.lineno, "build", f"{builders[func.id]}()"
        elif not isinstance(func, ast.Attribute):
            continue
        elif isinstance(func.value, ast.Name) and func.value.id in sqlalchemy_modules:
            if func.attr in BUILDERS:
                yield node.lineno, "build", f"{func.value.id}.{func.attr}()"
        elif func.attr in RUNNERS:
            receiver = func.value
            named = isinstance(receiver, ast.Name) and receiver.id in sessions
            if named or (isinstance(receiver, ast.Attribute) and receiver.attr in sessions):
                yield node.lineno, "run", f"{ast.unparse(receiver)}.{func.attr}()"


def allowed(module: str, kind: str, what: str) -> bool:
    if is_repository(module) or is_operator(module) or module in TRAIL_STORAGE:
        return True
    if module == SCOPE_BUILDER:
        return kind == "build"
    return module.endswith("models.py") and what == "text()"


def outside_repositories() -> list[str]:
    return [
        f"src/tandem/{module}:{line}: {kind}s {what}"
        for module, tree in modules().items()
        for line, kind, what in sorted(statements(tree))
        if not allowed(module, kind, what)
    ]


def test_every_statement_is_built_and_run_in_a_repository() -> None:
    assert outside_repositories() == []


def test_the_rule_sees_statements_however_they_are_written() -> None:
    snippet = ast.parse(
        "\n".join(
            [
                "import sqlalchemy as sa",
                "from sqlalchemy import select as choose",
                "from sqlalchemy.dialects.postgresql import insert as pg_insert",
                "async def caseload(session, db: AsyncSession, rows: list[int]) -> None:",
                "    stmt = choose(Patient).where(Patient.id == 1)",  # 5
                "    await session.execute(stmt)",  # 6
                "    await db.scalar(sa.text('SELECT 1'))",  # 7
                "    await session.get(Patient, 1)",  # 8
                "    pg_insert(Patient)",  # 9
                "    rows.get(1)",  # 10: a list's get is no query
                "    ctx.extra.get('x')",  # 11: nor a dict's
                "    make = pg_insert if rows else choose",
                "    make(Patient)",  # 13
            ]
        )
    )
    assert sorted(statements(snippet)) == [
        (5, "build", "select()"),
        (6, "run", "session.execute()"),
        (7, "build", "sa.text()"),
        (7, "run", "db.scalar()"),
        (8, "run", "session.get()"),
        (9, "build", "insert()"),
        (13, "build", "insert()"),
    ]
    assert not allowed("admin/service.py", "run", "session.get()")
    assert allowed("admin/repository.py", "run", "session.get()")
    assert not allowed(SCOPE_BUILDER, "run", "session.execute()")
    assert not allowed("people/models.py", "build", "select()")


def test_the_repositories_and_the_stated_exceptions_hold_statements() -> None:
    # The rule is not vacuous, and no exception outlives its reason.
    holding = {module for module, tree in modules().items() if any(statements(tree))}
    assert {"admin/repository.py", "people/repository.py", "access/repository.py"} <= holding
    assert TRAIL_STORAGE | {SCOPE_BUILDER} <= holding

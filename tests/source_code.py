"""Tandem's own source, parsed (``ast``), for the unit tests of where code may be written:
who uses which scope token (test_access_layers.py), where statements are built and run
(test_queries_in_repositories.py), and that routes decide nothing (test_routes_decide_nothing.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "tandem"
# Operator code runs outside any request: command-line jobs, demo and synthetic data, migrations.
OPERATOR_FILES = {"cli.py", "command_line.py", "demo.py", "migrate.py"}
OPERATOR_PACKAGES = ("synth/", "migrations/", "operations/")


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


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""

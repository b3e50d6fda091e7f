"""The audit trail's own statements, tagged so that the scope guard lets them through.

Each tag is for one module (tests/unit/test_access_layers.py): the writer appends, the sealer
reads and seals, the partitioner makes and drops months. The guard (access/guard.py) knows these
tokens; the trail itself imports nothing from the access layer.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.sql import Executable

from tandem.db import SCOPE_OPTION, ScopeToken

T = TypeVar("T", bound=Executable)

AUDIT_APPEND = ScopeToken("audit append")
AUDIT_SEAL = ScopeToken("audit seal")
AUDIT_PARTITIONS = ScopeToken("audit partitions")


def audit_seal(stmt: T) -> T:
    """The sealer's own statements (audit.seal only)."""
    return stmt.execution_options(**{SCOPE_OPTION: AUDIT_SEAL})


def audit_partitions(stmt: T) -> T:
    """Making and dropping the audit table's monthly partitions, as SQL text (audit.partitions
    only). It reads no event."""
    return stmt.execution_options(**{SCOPE_OPTION: AUDIT_PARTITIONS})


def audit_append(stmt: T) -> T:
    """The audit writer's own statements (audit.log only)."""
    return stmt.execution_options(**{SCOPE_OPTION: AUDIT_APPEND})

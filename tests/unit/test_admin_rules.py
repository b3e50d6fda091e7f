"""Separation-of-duties rules: who leaves administration, and the last administrator stays."""

from __future__ import annotations

import uuid

import pytest

from tandem.admin.rules import check_an_administrator_remains, leaves_administration
from tandem.errors import Conflict

ADA, BEA = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("role", "active", "new_role", "new_active", "leaves"),
    [
        ("administrator", True, "care_manager", True, True),
        ("administrator", True, "administrator", False, True),
        ("administrator", True, "administrator", True, False),
        # Already out of administration: an inactive administrator counts for nothing.
        ("administrator", False, "care_manager", False, False),
        ("care_manager", True, "therapist", True, False),
        ("care_manager", True, "administrator", True, False),
    ],
)
def test_leaves_administration_only_when_an_active_administrator_stops_being_one(
    role: str, active: bool, new_role: str, new_active: bool, leaves: bool
) -> None:
    assert (
        leaves_administration(role=role, active=active, new_role=new_role, new_active=new_active)
        is leaves
    )


def test_the_last_active_administrator_cannot_leave() -> None:
    with pytest.raises(Conflict) as refused:
        check_an_administrator_remains({ADA}, ADA, field="role")
    assert (refused.value.status, refused.value.field) == (409, "role")


@pytest.mark.parametrize("administrators", [{ADA, BEA}, {BEA}, set()])
def test_an_administrator_may_leave_while_another_remains_or_if_not_one(
    administrators: set[uuid.UUID],
) -> None:
    check_an_administrator_remains(administrators, ADA, field="active")

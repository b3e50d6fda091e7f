"""Every fix a check can suggest becomes one click on the plan's page."""

from __future__ import annotations

import uuid

import pytest

from tandem.careplans.views.fixes import _click
from tandem.careplans.vocab import Fix

IDS = {"goal_id": str(uuid.uuid4()), "activity_id": str(uuid.uuid4()), "need_id": str(uuid.uuid4())}


@pytest.mark.parametrize("fix", list(Fix))
def test_each_fix_is_a_link_or_a_button(fix: Fix) -> None:
    click = _click({"fix": fix.value, **IDS})
    assert click is not None, f"{fix} has no one-click form on the plan page"
    assert click.href.startswith("/") and any(v in click.href for v in IDS.values())
    assert click.post == (fix == Fix.complete_activity)


def test_a_fix_without_the_id_it_needs_offers_nothing() -> None:
    assert _click({"fix": Fix.add_activity.value}) is None
    assert _click({"fix": "something-new", **IDS}) is None

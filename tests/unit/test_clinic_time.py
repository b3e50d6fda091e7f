"""Time is the clinic's (CONTRIBUTING rule 13a): no code outside the clock asks the machine for
today or now, and no request-path code dates an instant by UTC's calendar (``instant.date()``);
templates show instants only through the ``when`` and ``day`` filters."""

from __future__ import annotations

import ast
import re

from tests.source_code import SRC, is_operator, modules, nodes

# The clock is the one source of now; a migration runs once, outside any clinic's day.
CLOCK = "clock.py"


def _may_ask(module: str) -> bool:
    return module == CLOCK or module.startswith("migrations/")


def _calls() -> list[tuple[str, ast.Call]]:
    return [
        (module, node)
        for module in modules()
        for node in nodes(module)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]


def test_only_the_clock_asks_the_machine_what_day_or_time_it_is() -> None:
    found = []
    for module, call in _calls():
        func = call.func
        assert isinstance(func, ast.Attribute)
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        asks = (owner, func.attr) in {
            ("date", "today"),
            ("datetime", "today"),
            ("datetime", "now"),
            ("datetime", "utcnow"),
            ("time", "time"),
        }
        if asks and not _may_ask(module):
            found.append(f"{module}:{call.lineno}")
    assert found == [], "use ctx.clock / runtime.clock"


def test_request_code_dates_an_instant_on_the_clinics_calendar() -> None:
    found = [
        f"{module}:{call.lineno}"
        for module, call in _calls()
        if isinstance(call.func, ast.Attribute)
        and call.func.attr == "date"
        and not call.args
        and not is_operator(module)
        and not module.endswith("commands.py")
        and module != CLOCK
    ]
    assert found == [], "an instant's date is ctx.clock.day_of(instant), not instant.date()"


def test_templates_show_instants_only_through_the_local_filters() -> None:
    found = [
        path.relative_to(SRC).as_posix()
        for path in sorted((SRC / "web" / "templates").rglob("*.html"))
        if re.search(r"strftime|astimezone|\bUTC\b", path.read_text("utf-8"))
    ]
    assert found == [], "use |when or |day, which show the clinic's local time"

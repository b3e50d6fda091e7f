"""The README's role matrix is the permission table itself, not a copy that drifts."""

from __future__ import annotations

import re
from pathlib import Path

from tandem.access.capabilities import permissions
from tandem.access.matrix import markdown

README = Path(__file__).parents[2] / "README.md"


def _readme_matrix() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- permissions:start -->\n(.*?)\n<!-- permissions:end -->", text, re.S)
    assert found, "README.md has lost its permission matrix markers"
    return found.group(1)


def test_the_readme_shows_the_permission_table_as_it_is() -> None:
    assert _readme_matrix() == markdown(permissions()), "run `tandem permissions` into README.md"


def test_the_matrix_shows_the_partner_with_contact_details_only() -> None:
    rows = {line.split(" | ")[0].lstrip("| "): line for line in _readme_matrix().splitlines()}
    contact = rows["See who the patient is: name, pronouns, language and contact details"]
    chart = rows[
        "Open the chart: date of birth, MRN, managing organisation, programme and lead care manager"
    ]
    partner = 7  # the column after the label and six clinical roles
    assert contact.split(" | ")[partner] == "✓"
    assert chart.split(" | ")[partner] == "—"


def test_lead_only_capabilities_say_so() -> None:
    row = next(line for line in _readme_matrix().splitlines() if "access log" in line)
    assert row.split(" | ")[1] == "lead"

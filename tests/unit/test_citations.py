"""Sources are cited where a reader can follow them: a published paper, a standard, a regulation
or a page in ``docs/``. No tracked file names the team's private specification documents, which
are not part of the repository (docs/clinical-rules.md gathers what the rules rest on)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
# What the check walks: every tracked text file under these (directories end with "/").
CHECKED = [
    "src/",
    "tests/",
    "docs/",
    "bench/",
    "scripts/",
    ".ci/",
    "README.md",
    "CONTRIBUTING.md",
    "Makefile",
    "pyproject.toml",
]
# Built from pieces so that this file does not name what it looks for.
SPECS = ["CLINICAL", "PRODUCT", "ARCHITECTURE", "STYLE"]
UNCITABLE = re.compile(r"\b(?:" + "|".join(SPECS) + r")\.md\b|\bshared[/\\]docs\b")
SKIPPED_DIRS = {"__pycache__", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def _tracked() -> list[Path]:
    """The files git tracks under CHECKED; outside a git checkout, the files on disk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", *CHECKED],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        return sorted(ROOT / name for name in listed.split("\0") if name)
    except (OSError, subprocess.CalledProcessError):
        found: list[Path] = []
        for entry in CHECKED:
            path = ROOT / entry
            candidates = path.rglob("*") if entry.endswith("/") else [path]
            found += [
                p
                for p in candidates
                if p.is_file()
                and not SKIPPED_DIRS.intersection(p.parts)
                and not any(part.endswith(".egg-info") for part in p.parts)
            ]
        return sorted(found)


def uncitable_references(path: Path) -> list[str]:
    """``file:line: text`` for every line of a text file that names a private spec document."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # deleted in the working tree, not yet in the index
        return []
    if b"\0" in data:  # binary: an image, a font
        return []
    text = data.decode("utf-8", errors="replace")
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return [
        f"{where}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if UNCITABLE.search(line)
    ]


def test_the_check_walks_the_repository() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in _tracked()}
    assert {"README.md", "CONTRIBUTING.md", "src/tandem/assessments/rules.py"} <= files
    assert any(name.startswith("src/tandem/assessments/instruments/") for name in files)


def test_no_file_names_a_specification_outside_the_repository() -> None:
    found = [hit for path in _tracked() for hit in uncitable_references(path)]
    assert not found, "cite the primary source or a page in docs/ instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [f"# {name}.md §2: a rule" for name in SPECS]
    + ["see ../shared" + "/docs/x", '"source": "Bush 1998 (' + SPECS[0] + '.md §2)"'],
)
def test_a_line_naming_a_spec_is_reported_with_its_file_and_line(line: str, tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(f"ok = 1\n{line}\n", encoding="utf-8")
    assert uncitable_references(sample) == [f"{sample}:2: {line.strip()}"]


@pytest.mark.parametrize(
    "line",
    [
        "Kroenke, Spitzer & Williams 2001, J Gen Intern Med 16:606 (PHQ-9 severity bands)",
        "see docs/clinical-rules.md and docs/audit.md",
        f"CODE{SPECS[3]}.md, {SPECS[1]}S.md, the product's style",
    ],
)
def test_primary_sources_and_the_projects_docs_pass(line: str, tmp_path: Path) -> None:
    sample = tmp_path / "sample.md"
    sample.write_text(line + "\n", encoding="utf-8")
    assert uncitable_references(sample) == []

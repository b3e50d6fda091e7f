"""The documentation stays true to the code: the permission matrix is the permission table,
every setting is documented, and every link in README.md and docs/ leads to a file of this
repository."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tandem.access.capabilities import permissions
from tandem.access.matrix import markdown
from tandem.config import Settings

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.glob("*.md")])
# [text](target) and ![alt](target), the target up to a space or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
MATRIX = re.compile(r"<!-- permissions:start -->\n(.*?)\n<!-- permissions:end -->", re.S)


def test_the_permission_page_shows_the_permission_table_as_it_is() -> None:
    found = MATRIX.search((DOCS / "permissions.md").read_text(encoding="utf-8"))
    assert found, "docs/permissions.md has lost its permission matrix markers"
    assert found.group(1) == markdown(permissions()), "run `tandem permissions` into the page"


def test_every_setting_is_documented_with_its_default() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(TANDEM_[A-Z_]+)` \| ([^|]+) \|", page, re.M))
    names = sorted(f"TANDEM_{name.upper()}" for name in Settings.model_fields)
    assert sorted(set(names) - set(rows)) == [], "add these to docs/configuration.md"
    assert sorted(set(rows) - set(names)) == [], "docs/configuration.md names unknown settings"
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, bool):
            assert f"`{str(default).lower()}`" in rows[f"TANDEM_{name.upper()}"], name
        elif isinstance(default, int | float):
            shown = f"{default:g}" if isinstance(default, float) else str(default)
            assert f"`{shown}`" in rows[f"TANDEM_{name.upper()}"], name


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # examples, not links
    return LINK.findall(text)


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_relative_link_resolves_to_a_file_inside_the_repository(page: Path) -> None:
    problems = []
    for target in _links(page):
        parts = urlsplit(target)
        if parts.scheme or target.startswith(("#", "//")):
            continue  # a web address or an anchor on the same page
        path = unquote(parts.path)
        if path.startswith("/"):
            problems.append(f"{target}: an absolute path")
            continue
        resolved = (page.parent / path).resolve()
        if not resolved.is_relative_to(ROOT.resolve()):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
    assert problems == []


def test_the_readme_links_the_docs_index_and_the_index_lists_every_page() -> None:
    readme = _links(ROOT / "README.md")
    assert "docs/README.md" in readme
    index = _links(DOCS / "README.md")
    pages = sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md")
    assert sorted(t for t in index if not t.startswith("..")) == pages

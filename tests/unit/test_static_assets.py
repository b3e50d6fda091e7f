"""What the browser is sent is Tandem's own: templates and static files hold no inline script or
style and name no other origin, vendored assets keep their licence beside them, and every static
file is shipped in the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from tests.page_checks import INLINE, inline_code, outside_urls

import tandem
from tandem.web.api_docs import SWAGGER_UI_DIR, SWAGGER_UI_FILES

PACKAGE = Path(tandem.__file__).parent
TEMPLATES = PACKAGE / "web" / "templates"
STATIC = PACKAGE / "web" / "static"
VENDOR = STATIC / "vendor"
PYPROJECT = PACKAGE.parent.parent / "pyproject.toml"
ANY_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.I)

TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))
OWN_STATIC = sorted(p for p in STATIC.iterdir() if p.suffix in (".js", ".css"))


def test_the_checks_catch_what_they_look_for() -> None:
    page = (
        '<p style="color:red" onclick="go()">x</p><script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:void(0)">'
    )
    assert len(inline_code(page)) == len(INLINE)
    assert inline_code('<script src="/static/x.js" defer></script><p class="styled">on</p>') == []
    assert inline_code('<button hx-on:click="go()">') == ["an event-handler attribute"]
    links = (
        '<script src="https://cdn.example.com/x.js"></script><link href="//cdn.example.com/x.css">'
        '<a href="http://testserver/caseload"></a><a href="/caseload"></a><a href="mailto:a@b.c">'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    )
    assert outside_urls(links) == ["https://cdn.example.com/x.js", "//cdn.example.com/x.css"]


@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_hold_no_inline_code_and_name_no_other_origin(template: Path) -> None:
    text = template.read_text()
    assert inline_code(text) == []
    assert ANY_URL.findall(text) == []


@pytest.mark.parametrize("asset", OWN_STATIC, ids=lambda p: p.name)
def test_tandems_own_scripts_and_styles_name_no_other_origin(asset: Path) -> None:
    assert ANY_URL.findall(asset.read_text()) == []


def test_the_walk_sees_every_template() -> None:
    folders = {p.relative_to(TEMPLATES).parts[0] for p in TEMPLATE_FILES if p.parent != TEMPLATES}
    assert folders == {
        "access",
        "admin",
        "api",
        "assessments",
        "audit",
        "auth",
        "careplans",
        "careteams",
        "components",
        "notify",
        "patients",
    }
    top = {p.name for p in TEMPLATE_FILES if p.parent == TEMPLATES}
    assert top == {"base.html", "error.html"}
    assert TEMPLATES / "api" / "docs.html" in TEMPLATE_FILES


def test_every_vendored_asset_keeps_its_licence_beside_it() -> None:
    assets = sorted(p.name for p in VENDOR.iterdir())
    assert assets == ["htmx-2.0.11.min.js", "htmx-LICENSE.txt"]


def test_swagger_ui_comes_from_its_installed_package_not_tandems_source() -> None:
    # Third-party minified code is a dependency's, with its licence in that package.
    assert [p for p in STATIC.rglob("*") if "swagger" in p.name.lower()] == []
    assert all((SWAGGER_UI_DIR / name).is_file() for name in SWAGGER_UI_FILES)
    assert "SwaggerUIBundle" in (SWAGGER_UI_DIR / "swagger-ui-bundle.js").read_text()


def test_no_source_maps_are_vendored_or_asked_for() -> None:
    assert list(VENDOR.rglob("*.map")) == []
    for asset in [*VENDOR.rglob("*.js"), *VENDOR.rglob("*.css")]:
        assert "sourceMappingURL=" not in asset.read_text(), asset.name


def test_every_static_file_and_template_is_package_data() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["tandem"]
    # setuptools expands the patterns as recursive globs relative to the package.
    packaged = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    files = [p for p in [*STATIC.rglob("*"), *TEMPLATES.rglob("*")] if p.is_file()]
    assert [str(p.relative_to(PACKAGE)) for p in files if p not in packaged] == []

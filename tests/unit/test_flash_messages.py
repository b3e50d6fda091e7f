"""Every flash code a page redirects with has its words, from the domain that uses it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tandem.app import create_app
from tandem.config import Settings
from tandem.web.pages import FLASH, register_flash_messages

SRC = Path(__file__).resolve().parents[2] / "src" / "tandem"


def codes_used() -> dict[str, str]:
    """Each literal flash code in the source: see_other(url, "code"), a form's
    submit(..., done=(url, "code")) and "?flash=code" links."""
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        module = str(path.relative_to(SRC))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "see_other"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                found[node.args[1].value] = module
            if isinstance(node, ast.keyword) and node.arg == "done":
                done = node.value
                if (
                    isinstance(done, ast.Tuple)
                    and len(done.elts) == 2
                    and isinstance(done.elts[1], ast.Constant)
                    and isinstance(done.elts[1].value, str)
                ):
                    found[done.elts[1].value] = module
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for code in re.findall(r"[?&]flash=([a-z-]+)", node.value):
                    found[code] = module
    return found


def test_every_code_a_page_redirects_with_has_its_message() -> None:
    create_app(Settings(environment="test", secret_key="x" * 32), check_migrations=False)
    used = codes_used()
    assert len(used) >= 30  # the scan itself finds the redirects
    assert {code: module for code, module in used.items() if code not in FLASH} == {}


def test_every_message_comes_from_the_domain_that_uses_it() -> None:
    for code, module in codes_used().items():
        domain = module.split("/", 1)[0]
        messages = SRC / domain / "messages.py"
        assert messages.exists() and f'"{code}"' in messages.read_text(), (code, module)


def test_a_code_two_domains_give_different_words_is_refused() -> None:
    code = "test-only-code"
    try:
        register_flash_messages({code: "Saved."})
        register_flash_messages({code: "Saved."})
        with pytest.raises(ValueError, match=code):
            register_flash_messages({code: "Stored."})
    finally:
        FLASH.pop(code, None)

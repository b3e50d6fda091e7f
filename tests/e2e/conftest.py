"""A real Tandem server with the demo network, and Debian's Chromium driven by Playwright.

The server runs as a subprocess on a free port with its own data directory: migrated with
``tandem db upgrade``, loaded with ``tandem demo --no-serve`` (or, where that command does not
exist, the few records the tests need through the CLI and the JSON API), then ``tandem serve``.
Every page the browser opens is watched: a console error, an uncaught page error, a failed
request or an HTTP error answer fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.conftest import under_ci
from tests.e2e.browser import BrowserProblems, Server, SignIn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TANDEM = str(Path(sys.executable).with_name("tandem"))
PASSWORD = "tandem-demo-2026"
CARE_MANAGER = "cm.alex"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tandem(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [TANDEM, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"tandem {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _has_demo_command(env: dict[str, str]) -> bool:
    done = subprocess.run(
        [TANDEM, "demo", "--help"], env=env, capture_output=True, timeout=60, check=False
    )
    return done.returncode == 0


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tandem serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"tandem serve did not answer /login within 60 s:\n{log.read_text()}")


def _load_minimal_network(env: dict[str, str], url: str) -> None:
    """Without `tandem demo`: one clinic, two care managers, a few patients on Alex's caseload."""
    _tandem(env, "orgs", "create", "Riverside Family Health", "--kind", "primary_care")
    for username, name in ((CARE_MANAGER, "Alex Rivera"), ("cm.jordan", "Jordan Lee")):
        _tandem(
            env,
            *("users", "create", username, "--name", name, "--role", "care_manager"),
            *("--organization", "Riverside Family Health", "--password", PASSWORD),
        )
    token = _tandem(env, "token", "issue", CARE_MANAGER).strip().splitlines()[-1]
    people = [
        ("Maria", "García", "1965-05-04", "female"),
        ("James", "Okafor", "1982-11-19", "male"),
        ("Aisha", "Khan", "1990-02-27", "female"),
        ("Tom", "Nguyen", "1975-07-08", "male"),
    ]
    with httpx.Client(
        base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}
    ) as api:
        for given, family, born, gender in people:
            created = api.post(
                "/patients",
                json={
                    "given_name": given,
                    "family_name": family,
                    "birth_date": born,
                    "gender": gender,
                    "phone": "+1 555 010 2030",
                },
            )
            created.raise_for_status()
            api.post(
                f"/patients/{created.json()['id']}/enrolments",
                json={
                    "programme": "Collaborative care — depression and anxiety",
                    "start_date": "2026-01-15",
                },
            ).raise_for_status()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A migrated, populated Tandem on a free port, stopped when the session ends."""
    data_dir = tmp_path_factory.mktemp("tandem-e2e")
    env = {
        **os.environ,
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_ENVIRONMENT": "demo",
        "TANDEM_DATABASE_URL": "",
    }
    _tandem(env, "db", "upgrade")
    demo = _has_demo_command(env)
    if demo:
        _tandem(env, "demo", "--no-serve")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [TANDEM, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log)
        if not demo:
            _load_minimal_network(env, url)
        yield Server(url=url, data_dir=data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Playwright's sync API keeps an event loop running while
    it is open, which would stop the asyncio tests that run after the browser tests."""
    if not shutil.which(CHROMIUM):
        if under_ci():
            pytest.fail(f"Chromium is not installed at {CHROMIUM}: CI runs the browser tests")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


def _new_page(browser: Browser, problems: BrowserProblems, width: int, height: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems.watch(page)
    return page


@pytest.fixture
def page(browser: Browser, problems: BrowserProblems) -> Iterator[Page]:
    """A desktop-sized page; its problems are checked by the test."""
    page = _new_page(browser, problems, 1280, 900)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser: Browser, problems: BrowserProblems) -> Iterator[Page]:
    """A phone-sized page, 375 by 700 pixels."""
    page = _new_page(browser, problems, 375, 700)
    yield page
    page.context.close()


@pytest.fixture
def sign_in(server: Server) -> SignIn:
    """Sign in as the demo care manager through the sign-in form, as a person would."""

    def signed_in(page: Page) -> None:
        page.goto(f"{server.url}/login")
        page.get_by_label("Username").fill(CARE_MANAGER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/caseload")

    return signed_in

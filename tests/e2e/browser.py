"""What the browser tests share: the server they talk to and the problems they watch for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, Request, Response


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path


@dataclass
class BrowserProblems:
    """Everything that went wrong in the browser while a test ran."""

    found: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.found.append(f"console error: {message.text} ({message.location})")

    def _failed(self, request: Request) -> None:
        self.found.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.found.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def assert_none(self) -> None:
        assert self.found == [], "The browser reported problems:\n" + "\n".join(self.found)


SignIn = Callable[[Page], None]


def page_width(page: Page) -> int:
    """The width of the whole page; wider than the window means it scrolls sideways."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width

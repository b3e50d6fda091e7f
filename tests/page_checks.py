"""What no page of Tandem may contain: inline script or style (the Content-Security-Policy
refuses them) and references to another origin (nothing is fetched from the internet)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.factories import BASE_URL

OWN_ORIGIN = urlsplit(BASE_URL).netloc

INLINE = {
    "an inline <script>": re.compile(r"<script\b(?![^>]*\ssrc=)[^>]*>", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "an event-handler attribute": re.compile(r"<[^>]*\s(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}
# Anything a page makes the browser fetch or go to.
URL_ATTRIBUTE = re.compile(
    r"\s(?:src|href|xlink:href|action|formaction|poster|data)\s*=\s*[\"']?([^\"'\s>]+)", re.I
)


def inline_code(html: str) -> list[str]:
    return [what for what, pattern in INLINE.items() if pattern.search(html)]


def outside_urls(html: str) -> list[str]:
    """URLs in the page that point to another origin (protocol-relative ones included)."""
    found = []
    for url in URL_ATTRIBUTE.findall(html):
        parts = urlsplit(url)
        elsewhere = parts.scheme in ("http", "https") and parts.netloc != OWN_ORIGIN
        if url.startswith("//") or elsewhere:
            found.append(url)
    return found

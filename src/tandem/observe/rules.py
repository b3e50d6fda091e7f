"""Pure rules of observation: which request ids are taken from a caller, what a metric may be
labelled with, who may read the metrics."""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence

# Where the signed-in user's id is left in the ASGI scope (by ``tandem.deps``) for the log line.
USER_ID_KEY = "tandem.user_id"
# Where the request id is left in the ASGI scope, for anything that wants to name it.
REQUEST_ID_KEY = "tandem.request_id"
REQUEST_ID_HEADER = b"x-request-id"

# A caller's (or a proxy's) request id is kept only when it is short and plain, so that it can
# neither forge a log line nor carry a patient's name far: UUIDs, trace ids and the like.
_PLAIN_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

# Methods a metric may be labelled with; anything else a client invents is "other", so that
# no caller can grow the number of series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The route template of a request that matched no route: never the address itself, which may
# name a patient's record.
UNMATCHED = "<unmatched>"

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_FORWARDED = (b"forwarded", b"x-forwarded-for")


def accepted_request_id(value: bytes) -> bytes | None:
    """The caller's X-Request-ID if it is one to keep, else None (Tandem makes one)."""
    return value if _PLAIN_ID.fullmatch(value) else None


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


def may_read_metrics(
    *, token: str, client_host: str | None, headers: Sequence[tuple[bytes, bytes]]
) -> bool:
    """With a configured token, whoever presents it (``Authorization: Bearer``); without one,
    only a client on this machine that did not come through a proxy."""
    if token:
        expected = b"bearer " + token.encode()
        for name, value in headers:
            if name == b"authorization":
                return hmac.compare_digest(value[:7].lower() + value[7:], expected)
        return False
    if client_host not in LOOPBACK:
        return False
    return not any(name in _FORWARDED for name, _ in headers)

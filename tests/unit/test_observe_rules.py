"""The rules of observation: which request ids are kept, what labels a metric may get, who may
read the metrics, and the JSON log line's shape."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest

from tandem.observe.logs import JsonFormatter, logging_config
from tandem.observe.rules import accepted_request_id, may_read_metrics, method_label


@pytest.mark.parametrize(
    "given",
    [b"a", b"0192f0c4-1c5e-7000-8000-000000000000", b"lb.7f3a:42_x", b"x" * 128],
)
def test_a_short_plain_request_id_is_kept(given: bytes) -> None:
    assert accepted_request_id(given) == given


@pytest.mark.parametrize(
    "given",
    [b"", b"x" * 129, b"two words", b'a"b', b"line\nbreak", b"caf\xc3\xa9", b"Maria Quinn"],
)
def test_an_empty_long_or_unplain_request_id_is_replaced(given: bytes) -> None:
    assert accepted_request_id(given) is None


def test_an_invented_method_is_labelled_other() -> None:
    assert [method_label(m) for m in ("GET", "POST", "DELETE", "BREW", "get")] == [
        "GET",
        "POST",
        "DELETE",
        "other",
        "other",
    ]


@pytest.mark.parametrize(
    ("host", "headers", "allowed"),
    [
        ("127.0.0.1", [], True),
        ("::1", [(b"user-agent", b"prometheus")], True),
        ("10.0.0.5", [], False),
        (None, [], False),
        ("127.0.0.1", [(b"x-forwarded-for", b"203.0.113.9")], False),
        ("127.0.0.1", [(b"forwarded", b"for=203.0.113.9")], False),
    ],
)
def test_without_a_token_only_this_machine_reads_the_metrics(
    host: str | None, headers: list[tuple[bytes, bytes]], allowed: bool
) -> None:
    assert may_read_metrics(token="", client_host=host, headers=headers) is allowed


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        (b"Bearer tok-123", True),
        (b"bearer tok-123", True),
        (b"Bearer tok-1234", False),
        (b"Bearer TOK-123", False),
        (b"Basic tok-123", False),
        (None, False),
    ],
)
def test_with_a_token_whoever_sends_it_reads_the_metrics_and_nobody_else(
    header: bytes | None, allowed: bool
) -> None:
    headers = [] if header is None else [(b"authorization", header)]
    for host in ("127.0.0.1", "203.0.113.9"):
        assert may_read_metrics(token="tok-123", client_host=host, headers=headers) is allowed


def test_a_log_record_is_one_json_object_with_its_fields() -> None:
    record = logging.LogRecord("tandem.request", logging.INFO, __file__, 1, "request", (), None)
    record.fields = {"route": "/patients/{patient_id}", "status": 200, "user_id": None}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "info" and parsed["logger"] == "tandem.request"
    assert parsed["message"] == "request" and parsed["route"] == "/patients/{patient_id}"
    assert parsed["status"] == 200 and parsed["user_id"] is None
    assert parsed["time"].endswith("+00:00")


def test_the_server_logging_config_is_valid_and_silences_uvicorns_access_log() -> None:
    names = ("tandem", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {n: logging.getLogger(n).__dict__.copy() for n in names}
    try:
        logging.config.dictConfig(logging_config("warning"))
        tandem = logging.getLogger("tandem")
        assert tandem.level == logging.WARNING
        assert isinstance(tandem.handlers[0].formatter, JsonFormatter)
        assert not logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)
    finally:
        for name, state in saved.items():
            logging.getLogger(name).__dict__.clear()
            logging.getLogger(name).__dict__.update(state)
    with pytest.raises(ValueError, match="log level"):
        logging_config("chatty")

"""Logs as JSON lines: one object a line, what log collectors read without a parser of their own.

``tandem serve`` hands :func:`logging_config` to uvicorn, which applies it in every worker
process; uvicorn's own access log is off, because its line carries the whole address (a
patient's record, a search text) where Tandem's request line carries the route template.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

_LEVELS = ("debug", "info", "warning", "error", "critical")
# One encoder for every line: json.dumps with options builds a new one each call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, and the record's ``fields``
    (``logger.info("request", extra={"fields": {...}})``)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line)


def logging_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server: Tandem's and uvicorn's loggers as JSON
    lines on standard error."""
    if level.lower() not in _LEVELS:
        raise ValueError(f"log level must be one of {', '.join(_LEVELS)}, not {level!r}")
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    named = {"level": level.upper(), "handlers": ["json"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "tandem": named,
            "uvicorn": named,
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }

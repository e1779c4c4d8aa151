"""Structured JSON logs (structlog), one line per event; never message bodies or personal data."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import structlog


def configure_logging(service: str, level: str = "INFO") -> None:
    """Routes structlog and stdlib logging to JSON lines on stderr, tagged with the service name."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> Any:
    """A structlog logger carrying the module name."""
    return structlog.get_logger(module=name)


def safe_traceback(exc: BaseException) -> list[str]:
    """File:line:function frames of an exception without its message or locals.

    Exception messages can carry request values (and so personal data); frames cannot.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    return [f"{frame.filename}:{frame.lineno}:{frame.name}" for frame in frames[-12:]]

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.observability import metrics as metrics_module
from bot.observability.logs import configure_logging
from bot.observability.metrics import Metrics


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    """A fresh registry for this test, the process's while it runs."""
    previous = metrics_module.current()
    fresh = metrics_module.install()
    try:
        yield fresh
    finally:
        metrics_module.install(previous)


@dataclass
class CapturedLogs:
    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def json_logs() -> Iterator[CapturedLogs]:
    """Every log record of the process, at DEBUG, as the JSON lines an operator would get."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    handler = configure_logging(level="DEBUG", log_format="json", stream=stream)
    try:
        yield CapturedLogs(stream)
    finally:
        root.removeHandler(handler)
        for old in saved[0]:
            root.addHandler(old)
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(logging.NOTSET)

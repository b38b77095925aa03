"""Helpers for the DTS tests: a recording transport and OpenAPI-derived JSON Schemas."""

from __future__ import annotations

import json
import re
import threading
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft7Validator, FormatChecker


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that also keeps every request and response it carried."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        with self._lock:
            self.exchanges.append((request, response))
        return response

    @property
    def requests(self) -> list[httpx.Request]:
        with self._lock:
            return [request for request, _ in self.exchanges]


def load_openapi() -> dict[str, Any]:
    text = resources.files("bot.supermetrics").joinpath("openapi.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def load_sdk_shapes() -> dict[str, Any]:
    """``tests/fixtures/sdk_shapes.json``: the official SDK's schemas and pinned examples
    the simulator and the client are checked against (its ``_source`` says where from)."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_shapes.json"
    shapes: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return shapes


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def to_json_schema(doc: dict[str, Any], node: Any, *, strict: bool) -> Any:
    """Inline $refs and turn OpenAPI 3.0 ``nullable`` into JSON Schema; ``strict`` also
    forbids properties the document does not name (so the simulator cannot invent any)."""
    if isinstance(node, list):
        return [to_json_schema(doc, item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(doc, _resolve(doc, node["$ref"]), strict=strict)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("example", "examples", "nullable", "description") or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {
                name: to_json_schema(doc, sub, strict=strict) for name, sub in value.items()
            }
        else:
            out[key] = to_json_schema(doc, value, strict=strict)
    if node.get("nullable") is True and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if strict and out.get("type") == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date_time(value: object) -> bool:
    # RFC 3339: full date, "T", time, and a Z or numeric offset
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date")(_is_date)
    checker.checks("date-time")(_is_date_time)
    return checker


def validator(doc: dict[str, Any], schema: Any, *, strict: bool = True) -> Draft7Validator:
    return Draft7Validator(
        to_json_schema(doc, schema, strict=strict), format_checker=format_checker()
    )

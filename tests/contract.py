"""The committed contract as tests read it: parameters with the shared ones resolved."""

import json
from typing import Any

from perfbudget.cli import OPENAPI_PATH

CONTRACT: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def parameters(operation: dict[str, Any], document: dict[str, Any] = CONTRACT) -> list[Any]:
    """An operation's parameters, each shared one (``$ref``: Accept-Language,
    Idempotency-Key …) replaced by its definition."""
    shared = document.get("components", {}).get("parameters", {})
    return [
        shared[parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
        for parameter in operation.get("parameters", [])
    ]

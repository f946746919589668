"""The signature a receiver checks: HMAC-SHA256 over ``f"{t}.{body}"`` with the subscription's
secret, sent as ``X-Perfbudget-Signature: t=<unix>,v1=<hex>`` (the timestamp bounds replays)."""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Perfbudget-Signature"
EVENT_ID_HEADER = "X-Perfbudget-Event-Id"
EVENT_TYPE_HEADER = "X-Perfbudget-Event-Type"
DEFAULT_TOLERANCE = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, body: bytes | str, timestamp: int | None = None) -> str:
    """The value of the signature header for this body."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={_digest(secret, moment, _bytes(body))}"


def headers(
    secret: str, event_id: str, event_type: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, timestamp),
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
    }


def verify(
    secret: str,
    header: str,
    body: bytes | str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> bool:
    """True when the header signs this exact body with this secret, within ``tolerance`` s."""
    parts: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, _bytes(body))
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))

"""Optimistic locking: updates carry the version they read (body ``version`` or If-Match);
reads and writes of one versioned object answer ``ETag: "<version>.<digest>"``.

The version is what a write checks (If-Match takes the ETag, or just ``"3"``). The digest,
of the answer itself, is what a conditional read checks: a budget item's gates, holds and
target summary, or an assessment's reviews, change without the row's version moving, and a
304 must never keep a client on a payment hold that was lifted, or miss one that was set.
"""

import hashlib
from typing import Protocol, TypeVar

from perfbudget.errors import PreconditionRequired, Unprocessable, version_conflict


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The version a write expects, from the body's ``version`` or If-Match (422 when If-Match is
    not a version or disagrees with the body); None when the client sent neither."""
    if if_match is None:
        return body_version
    raw = if_match.strip().removeprefix("W/").strip('"').split(".", 1)[0]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):  # not '²', not 10¹⁰⁰
        raise Unprocessable(
            "INVALID_IF_MATCH",
            'If-Match must carry the row version, e.g. "3".',
            'If-Match 须为记录版本号，例如 "3"。',
        )
    if body_version is not None and body_version != int(raw):
        raise Unprocessable(
            "VERSION_AMBIGUOUS",
            "The body's version and If-Match disagree; send one of them.",
            "请求体中的 version 与 If-Match 不一致，请只提供其中之一。",
        )
    return int(raw)


def check_version(current: int, expected_version: int | None) -> None:
    """Refuse a stale write with 409 VERSION_CONFLICT; a write without a version with 428."""
    if expected_version is None:
        raise PreconditionRequired(
            "VERSION_REQUIRED",
            "Send the version you read (field `version` or header If-Match).",
            "请提供所读取记录的版本号（字段 version 或请求头 If-Match）。",
        )
    if expected_version != current:
        raise version_conflict(current)


class Versioned(Protocol):
    @property
    def version(self) -> int | None: ...  # None: a prefilled draft not saved yet


V = TypeVar("V", bound=Versioned)


def etag_of(obj: Versioned) -> str | None:
    """``"<version>.<digest>"``: the row's version and a digest of the answer's content;
    None for a draft not saved yet (nothing to send back as If-Match, nothing to revalidate)."""
    if obj.version is None:
        return None
    dump = getattr(obj, "model_dump_json", None)
    content = dump().encode() if callable(dump) else b""
    return f'"{obj.version}.{hashlib.sha256(content).hexdigest()[:12]}"'


def none_match(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match (``*``, or a list of tags, weak or strong) names ``etag``."""
    tags = (tag.strip() for tag in if_none_match.split(","))
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)

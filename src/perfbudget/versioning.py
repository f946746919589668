"""Optimistic locking: updates carry the version they read (body ``version`` or If-Match)."""

from typing import Annotated

from fastapi import Depends, Header

from perfbudget.errors import PreconditionRequired, Unprocessable, version_conflict


def if_match_header(
    if_match: Annotated[
        str | None, Header(description='Row version you read, e.g. "3" (or send `version`)')
    ] = None,
) -> str | None:
    return if_match


def check_version(current: int, body_version: int | None, if_match: str | None) -> None:
    """Refuse a stale write with 409 VERSION_CONFLICT; a write without a version with 428."""
    expected = body_version
    if if_match is not None:
        raw = if_match.strip().removeprefix("W/").strip('"')
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):  # not '²', not 10¹⁰⁰
            raise Unprocessable(
                "INVALID_IF_MATCH",
                'If-Match must carry the row version, e.g. "3".',
                'If-Match 须为记录版本号，例如 "3"。',
            )
        if expected is not None and expected != int(raw):
            raise Unprocessable(
                "VERSION_AMBIGUOUS",
                "The body's version and If-Match disagree; send one of them.",
                "请求体中的 version 与 If-Match 不一致，请只提供其中之一。",
            )
        expected = int(raw)
    if expected is None:
        raise PreconditionRequired(
            "VERSION_REQUIRED",
            "Send the version you read (field `version` or header If-Match).",
            "请提供所读取记录的版本号（字段 version 或请求头 If-Match）。",
        )
    if expected != current:
        raise version_conflict(current)


IfMatch = Annotated[str | None, Depends(if_match_header)]

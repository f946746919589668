"""Conditional requests over HTTP: the If-Match header a write carries, the ETag an answer
sends, and 304 for a read whose copy is current. The versions they carry are checked by
``versioning`` in the services."""

from typing import Annotated, Any

from fastapi import Depends, Header, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from perfbudget.versioning import V, etag_of, none_match


def if_match_header(
    if_match: Annotated[
        str | None,
        Header(description='The ETag you read, or the row version, e.g. "3" (or send `version`)'),
    ] = None,
) -> str | None:
    return if_match


IfMatch = Annotated[str | None, Depends(if_match_header)]

_ETAG_HEADER = {
    "ETag": {
        "description": 'The version and a digest of the answer, e.g. "3.5f2c0e9a1b7d": send '
        "it as If-Match to write, as If-None-Match to read again only if it changed",
        "schema": {"type": "string"},
    }
}
# `responses=` of a read of one versioned object: the 200's ETag and the 304
ETAG_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": _ETAG_HEADER},
    304: {
        "description": "Not Modified: If-None-Match names the current ETag (no body)",
        "headers": _ETAG_HEADER,
    },
}


class NotModified(StarletteHTTPException):
    """The client's copy is current: errors.py answers 304 with the ETag and no body."""

    def __init__(self, etag: str) -> None:
        super().__init__(status_code=304, headers={"ETag": etag})


class ResponseETag:
    """``etag(obj)`` in a route that returns one versioned object: the answer's ETag."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def __call__(self, obj: V) -> V:
        etag = etag_of(obj)
        if etag is not None:
            self.response.headers["ETag"] = etag
        return obj


class ConditionalRead(ResponseETag):
    """The ETag of a read, and 304 when If-None-Match already names it."""

    def __init__(
        self,
        response: Response,
        if_none_match: Annotated[
            str | None,
            Header(description="An ETag you read (or `*`): 304 while it is current"),
        ] = None,
    ) -> None:
        super().__init__(response)
        self.if_none_match = if_none_match

    def __call__(self, obj: V) -> V:
        etag = etag_of(obj)
        if (
            etag is not None
            and self.if_none_match is not None
            and none_match(self.if_none_match, etag)
        ):
            raise NotModified(etag)
        return super().__call__(obj)


WriteETag = Annotated[ResponseETag, Depends()]
ReadETag = Annotated[ConditionalRead, Depends()]

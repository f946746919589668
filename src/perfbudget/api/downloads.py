"""Downloads as HTTP answers: the one place a ``Download`` becomes a response."""

from pathlib import Path

from fastapi.responses import FileResponse, Response

from perfbudget.exports import Download


def send(download: Download) -> Response:
    """Bytes as a response; a kept file streamed from disk (with its ETag and Last-Modified)."""
    headers = {"Content-Disposition": download.disposition}
    if download.uploaded:
        # the sniffed type is the only type: the browser must not guess another
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Cache-Control"] = "private, no-store"
    if isinstance(download.content, Path):
        return FileResponse(download.content, media_type=download.media_type, headers=headers)
    return Response(content=download.content, media_type=download.media_type, headers=headers)

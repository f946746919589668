"""Pure ASGI middleware: request id, language, body size limit, JSON access log."""

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perfbudget.api.problems import problem_response
from perfbudget.i18n import CONTENT_LANGUAGE, Language, current_language, negotiate, pick

access_log = logging.getLogger("perfbudget.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_UPLOAD_PREFIX = "/api/v1/imports/"
_SMALL_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


class BodyTooLarge(StarletteHTTPException):
    """Raised from receive(); FastAPI lets HTTP exceptions through to the problem handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"limit {limit} bytes")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        offered = headers.get("x-request-id", "")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        language = negotiate(headers.get("accept-language"))
        current_language.set(language)
        started = time.perf_counter()
        status_holder = {"status": 500}
        limit = self._body_limit(scope, headers)
        send_with_id = _stamping_send(send, request_id, language, status_holder)

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send_with_id, limit)
            self._log(scope, request_id, 413, started)
            return

        try:
            await self.app(scope, _limited_receive(receive, limit), send_with_id)
        except BodyTooLarge:  # raised where no handler could answer
            await self._too_large(scope, receive, send_with_id, limit)
            status_holder["status"] = 413
        finally:
            self._log(scope, request_id, status_holder["status"], started)

    def _body_limit(self, scope: Scope, headers: Headers) -> int:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        small = (
            not content_type or content_type in _SMALL_BODY_TYPES or content_type.endswith("+json")
        )
        # a batch upload may be a JSON array: the imports enforce their own 10 MB limit
        upload = str(scope.get("path", "")).startswith(_UPLOAD_PREFIX)
        return self.max_json_bytes if small and not upload else self.max_upload_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            Request(scope),
            413,
            "PAYLOAD_TOO_LARGE",
            pick(
                f"请求体超过上限 {limit} 字节。",
                f"The request body exceeds the limit of {limit} bytes.",
            ),
            extra={"limit_bytes": limit},
        )
        await response(scope, receive, send)

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, started: float) -> None:
        access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client": (scope.get("client") or (None,))[0],
            },
        )


def _stamping_send(
    send: Send, request_id: str, language: Language, status_holder: dict[str, int]
) -> Send:
    """``send`` that records the response's status and adds the request id and language."""

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            status_holder["status"] = message["status"]
            answer = MutableHeaders(scope=message)
            answer["X-Request-ID"] = request_id
            # the language `detail`, errors[] and labels were written in, and what chose
            # it; a file (a workbook's Chinese headers) or a page is not negotiated
            if "json" in answer.get("content-type", "") or message["status"] == 304:
                answer.setdefault("Content-Language", CONTENT_LANGUAGE[language])
                answer.add_vary_header("Accept-Language")
        await send(message)

    return send_with_id


def _limited_receive(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``BodyTooLarge`` once the body read exceeds ``limit``."""
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return limited_receive

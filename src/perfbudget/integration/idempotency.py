"""Idempotency-Key for POST: a retry with the same key and body gets the first answer.

Pure ASGI middleware, state in the database only (any number of workers). A record is
claimed in its own short transaction before the request runs, so a concurrent retry sees
it in progress; the unique (user_id, key) constraint decides races between workers.
2xx and 4xx answers are stored and replayed byte for byte (with ``Idempotent-Replay:
true``); a 5xx, a 401 or a crash deletes the record so that the client may retry. Records
older than 24 hours may be replaced: after a day the same key starts afresh. A worker that
dies mid-request leaves its record in progress (409) until then.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perfbudget import clock
from perfbudget.auth import tokens
from perfbudget.config import Settings
from perfbudget.db import get_sessionmaker
from perfbudget.errors import database_busy, is_contention, problem_response
from perfbudget.i18n import pick
from perfbudget.integration import repository

logger = logging.getLogger("perfbudget.idempotency")
HEADER = "idempotency-key"
REPLAY_HEADER = "Idempotent-Replay"
RETENTION = timedelta(hours=24)
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CLAIM_ATTEMPTS = 3


def new_session() -> Session:
    """A session of its own, apart from the request's (tests bind it to their connection)."""
    return get_sessionmaker()()


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    completed: bool
    status: int
    headers: dict[str, Any]
    body: bytes


def request_hash(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
        digest.update(part)
    return digest.hexdigest()


def claim(user_id: int, key: str, method: str, path: str, hashed: str) -> int | StoredAnswer:
    """The new record's id, or the answer (or progress) already stored under the key."""
    for _ in range(_CLAIM_ATTEMPTS):
        now = clock.utcnow()
        with new_session() as session:
            try:
                with session.begin():
                    return repository.insert_in_progress(
                        session,
                        user_id=user_id,
                        key=key,
                        method=method,
                        path=path,
                        request_hash=hashed,
                        now=now,
                    )
            except IntegrityError:
                pass
            with session.begin():
                existing = repository.find(session, user_id, key)
                if existing is None:
                    continue  # its request failed with a 5xx meanwhile: claim afresh
                if existing.created_at < now - RETENTION:
                    repository.delete_if_older(session, existing.id, now - RETENTION)
                    continue
                return StoredAnswer(
                    request_hash=existing.request_hash,
                    completed=existing.state == repository.COMPLETED,
                    status=existing.response_status or 0,
                    headers=dict(existing.response_headers or {}),
                    body=existing.response_body or b"",
                )
    raise RuntimeError("could not claim an idempotency key")


def finish(record_id: int, status: int | None, headers: dict[str, Any], body: bytes) -> None:
    with new_session() as session, session.begin():
        if status is None or status >= 500 or status == 401:
            repository.discard(session, record_id)
        else:
            repository.complete(
                session, record_id, status=status, headers=headers, body=body, now=clock.utcnow()
            )


def _user_id(settings: Settings, headers: Headers) -> int | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return tokens.decode(settings, token.strip()).user_id
    except tokens.InvalidToken:
        return None  # the route answers 401 itself


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.match(key):
            await self._problem(scope, receive, send, 400, "IDEMPOTENCY_KEY_INVALID")
            return
        user_id = _user_id(self.settings, headers)
        if user_id is None:
            await self.app(scope, receive, send)
            return

        body = await _read_body(receive)
        if body is None:
            return  # the client went away before sending its body
        hashed = request_hash(scope["method"], scope["path"], scope.get("query_string", b""), body)
        try:
            claimed = await run_in_threadpool(
                claim, user_id, key, scope["method"], scope["path"], hashed
            )
        except OperationalError as error:  # outside the app's handlers: answer here
            if not is_contention(error):
                raise
            await database_busy(Request(scope), error)(scope, receive, send)
            return
        if isinstance(claimed, StoredAnswer):
            await self._answer_stored(scope, receive, send, claimed, hashed)
            return
        await self._run_and_store(scope, receive, send, claimed, body)

    async def _run_and_store(
        self, scope: Scope, receive: Receive, send: Send, record_id: int, body: bytes
    ) -> None:
        replayed = False

        async def replay_body() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await run_in_threadpool(finish, record_id, None, {}, b"")
            raise
        content = b"".join(chunks)
        status = start["status"] if start is not None else None
        stored_headers = _headers_to_store(start["headers"] if start is not None else [])
        try:
            await run_in_threadpool(finish, record_id, status, stored_headers, content)
        except Exception:  # the answer stands; the key stays in progress until it expires
            logger.exception("could not store the idempotent answer", extra={"key_id": record_id})
        if start is None:
            return
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})

    async def _answer_stored(
        self, scope: Scope, receive: Receive, send: Send, stored: StoredAnswer, hashed: str
    ) -> None:
        if stored.request_hash != hashed:
            await self._problem(scope, receive, send, 422, "IDEMPOTENCY_KEY_REUSED")
        elif not stored.completed:
            await self._problem(
                scope, receive, send, 409, "IDEMPOTENCY_IN_PROGRESS", {"Retry-After": "1"}
            )
        else:
            raw = [
                (name.encode("latin-1"), str(value).encode("latin-1"))
                for name, value in stored.headers.items()
            ]
            raw.append((REPLAY_HEADER.lower().encode(), b"true"))
            await send({"type": "http.response.start", "status": stored.status, "headers": raw})
            await send({"type": "http.response.body", "body": stored.body, "more_body": False})

    @staticmethod
    async def _problem(
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        zh, en = _MESSAGES[code]
        response = problem_response(Request(scope), status, code, pick(zh, en), headers=headers)
        await response(scope, receive, send)


_MESSAGES = {
    "IDEMPOTENCY_KEY_INVALID": (
        "Idempotency-Key 须为 1–128 个字符，仅限字母、数字及 . _ : -。",
        "Idempotency-Key must be 1–128 characters of letters, digits and . _ : -.",
    ),
    "IDEMPOTENCY_KEY_REUSED": (
        "该 Idempotency-Key 已用于另一个请求，请换用新的键。",
        "This Idempotency-Key was used for a different request; use a new key.",
    ),
    "IDEMPOTENCY_IN_PROGRESS": (
        "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
        "A request with this Idempotency-Key is still being processed; retry later.",
    ),
}


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers_to_store(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    stored: dict[str, str] = {}
    for name, value in raw:
        text_name = name.decode("latin-1").lower()
        text_value = value.decode("latin-1")
        stored[text_name] = (
            f"{stored[text_name]}, {text_value}" if text_name in stored else text_value
        )
    return stored

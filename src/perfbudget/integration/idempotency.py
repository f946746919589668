"""Idempotency-Key for POST: a retry with the same key and body gets the first answer.

Pure ASGI middleware, state in the database only (any number of workers). A record is
claimed in its own short transaction before the request runs, so a concurrent retry sees
it in progress; the unique (user_id, key) constraint decides races between workers.
2xx and 4xx answers are stored and replayed byte for byte (with ``Idempotent-Replay:
true``); a 5xx, a 401 or a crash deletes the record so that the client may retry. Records
older than 24 hours may be replaced: after a day the same key starts afresh. A worker that
dies mid-request leaves its record in progress (409) until then.

Nothing stored is told to a token that the route would refuse now (a password change, a
disable or a role change since revokes it): the token is checked as the route checks it
(auth.service.authenticate) before any stored answer, and refused as the route refuses it.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perfbudget import clock
from perfbudget.api.problems import database_busy, domain_problem, is_contention
from perfbudget.audit import refusals
from perfbudget.auth import service as auth_service
from perfbudget.auth import tokens
from perfbudget.config import Settings
from perfbudget.db import get_sessionmaker, reading
from perfbudget.errors import Conflict, DomainError, TooManyRequests, Unprocessable
from perfbudget.i18n import CONTENT_LANGUAGE, current_language
from perfbudget.integration import repository
from perfbudget.principal import Actor, RequestMeta

logger = logging.getLogger("perfbudget.idempotency")
HEADER = "idempotency-key"
REPLAY_HEADER = "Idempotent-Replay"
RETENTION = timedelta(hours=24)
# A claim still in progress after this long belongs to a worker that died (no request runs
# for minutes: locks wait 10 s, an upload of 10,000 rows takes seconds): a retry runs afresh
# instead of answering 409 until the day is over. As an upload run is abandoned.
ABANDONED_AFTER = timedelta(minutes=15)
KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_KEY = re.compile(KEY_PATTERN)
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True)
class Expiry:
    """When a record stops counting, as of one moment: the rule a retry's claim applies to its
    own key and ``perfbudget maintenance purge`` to every key."""

    replaced_before: datetime  # any record claimed before this starts afresh
    abandoned_before: datetime  # a claim still in progress since before this is abandoned


def expiry(now: datetime) -> Expiry:
    return Expiry(replaced_before=now - RETENTION, abandoned_before=now - ABANDONED_AFTER)


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
                limits = expiry(now)
                if existing.created_at < limits.replaced_before:
                    repository.delete_if_older(session, existing.id, limits.replaced_before)
                    continue
                abandoned = limits.abandoned_before
                if existing.state == repository.IN_PROGRESS and existing.created_at < abandoned:
                    repository.delete_if_older(
                        session, existing.id, abandoned, in_progress_only=True
                    )
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


def token_refusal(settings: Settings, token: str) -> DomainError | None:
    """Why the route would refuse the token now, if it would."""
    with new_session() as session, reading(session):
        try:
            auth_service.authenticate(session, settings, token)
        except DomainError as error:
            return error
    return None


def _bearer_token(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _user_id(settings: Settings, token: str) -> int | None:
    try:
        return tokens.decode(settings, token).user_id
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
            await self._refuse(scope, receive, send, _key_invalid(), None)
            return
        token = _bearer_token(headers)
        user_id = _user_id(self.settings, token) if token is not None else None
        if token is None or user_id is None:
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
            refused = (
                await run_in_threadpool(token_refusal, self.settings, token)
                if isinstance(claimed, StoredAnswer)
                else None  # the request runs: the route checks the token itself
            )
        except OperationalError as error:  # outside the app's handlers: answer here
            if not is_contention(error):
                raise
            await database_busy(Request(scope), error)(scope, receive, send)
            return
        if refused is not None:
            await self._refuse(scope, receive, send, refused, user_id)
            return
        if isinstance(claimed, StoredAnswer):
            await self._answer_stored(scope, receive, send, claimed, hashed, user_id)
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
        if "json" in stored_headers.get("content-type", ""):
            # a replay is in the first answer's language, whatever the retry asks for
            language = CONTENT_LANGUAGE[current_language.get()]
            stored_headers.setdefault("content-language", language)
        try:
            await run_in_threadpool(finish, record_id, status, stored_headers, content)
        except Exception:  # the answer stands; the key stays in progress until it expires
            logger.exception("could not store the idempotent answer", extra={"key_id": record_id})
        if start is None:
            return
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})

    async def _answer_stored(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        stored: StoredAnswer,
        hashed: str,
        user_id: int,
    ) -> None:
        if stored.request_hash != hashed:
            await self._refuse(scope, receive, send, _key_reused(), user_id)
        elif not stored.completed:
            await self._refuse(scope, receive, send, _in_progress(), user_id)
        else:
            raw = [
                (name.encode("latin-1"), str(value).encode("latin-1"))
                for name, value in stored.headers.items()
            ]
            raw.append((REPLAY_HEADER.lower().encode(), b"true"))
            await send({"type": "http.response.start", "status": stored.status, "headers": raw})
            await send({"type": "http.response.body", "body": stored.body, "more_body": False})

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, error: DomainError, user_id: int | None
    ) -> None:
        """Answer the middleware's own refusal as the app's handler would, and put it on
        record as the app's refusals are (past the limit, 429 instead)."""
        limited = await run_in_threadpool(record_refusal, self.settings, scope, user_id, error)
        await domain_problem(Request(scope), limited or error)(scope, receive, send)


def _key_invalid() -> DomainError:
    return DomainError(
        "IDEMPOTENCY_KEY_INVALID",
        "Idempotency-Key must be 1–128 characters of letters, digits and . _ : -.",
        "Idempotency-Key 须为 1–128 个字符，仅限字母、数字及 . _ : -。",
    )


def _key_reused() -> Unprocessable:
    return Unprocessable(
        "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key was used for a different request; use a new key.",
        "该 Idempotency-Key 已用于另一个请求，请换用新的键。",
    )


def _in_progress() -> Conflict:
    return Conflict(
        "IDEMPOTENCY_IN_PROGRESS",
        "A request with this Idempotency-Key is still being processed; retry later.",
        "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
        headers={"Retry-After": "1"},
    )


def record_refusal(
    settings: Settings, scope: Scope, user_id: int | None, error: DomainError
) -> DomainError | None:
    """The refusal on record; the 429 to answer instead if past the limit."""
    client = scope.get("client")
    meta = RequestMeta(scope.get("state", {}).get("request_id"), client[0] if client else None)
    refused = refusals.Refused(scope["method"], scope["path"], error.status_code, error.code)
    with new_session() as session:
        try:
            refusals.on_refusal(
                session, settings, Actor(user_id, None, None, None, None, meta), refused
            )
        except TooManyRequests as limited:
            return limited
    return None


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

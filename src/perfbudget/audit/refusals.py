"""Refused writes on record (等保 安全审计), and a bound on how many one user or address
can have recorded.

Every refused write — a role refusal, another department's object answered 404, a business
rule, a version conflict, a 422 — leaves a row in ``refusals``: who, role, organisation,
method, path, the code answered, request id and client address. The rows form a hash chain
of their own, checked like the state changes' chain.

Past ``refusal_limit_per_user`` (or ``…_per_address``) refusals within the window, a refused
write answers 429 TOO_MANY_REFUSALS instead; the first such answer is recorded, the rest are
not, so an attack cannot flood the trail. Writes that succeed are never limited.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from perfbudget.audit import repository
from perfbudget.audit.models import Refusal
from perfbudget.audit.schemas import RefusalFilter, RefusalRead
from perfbudget.audit.service import append
from perfbudget.clock import utcnow
from perfbudget.config import Settings
from perfbudget.errors import TooManyRequests
from perfbudget.pagination import Page, page_of
from perfbudget.principal import Actor

logger = logging.getLogger("perfbudget.audit")
TOO_MANY = "TOO_MANY_REFUSALS"


@dataclass(frozen=True)
class Refused:
    """What was asked and how it was answered."""

    method: str
    path: str
    status: int
    code: str


@dataclass(frozen=True)
class Verdict:
    record: bool
    limited: bool
    retry_after: int


def verdict(
    settings: Settings,
    *,
    by_user: int,
    by_address: int,
    oldest: datetime | None,
    now: datetime,
) -> Verdict:
    """Whether one more refusal is recorded, and whether it is answered 429 instead: the
    refusals already in the window for the user and for the address decide."""
    at_user, at_address = settings.refusal_limit_per_user, settings.refusal_limit_per_address
    limited = by_user >= at_user or by_address >= at_address
    if not limited:
        return Verdict(record=True, limited=False, retry_after=0)
    window = timedelta(seconds=settings.refusal_window_seconds)
    retry_after = max(1, math.ceil(((oldest or now) + window - now).total_seconds()))
    # the first refusal over a limit is recorded (as the 429 it gets), the rest are not
    return Verdict(
        record=by_user == at_user or by_address == at_address, limited=True, retry_after=retry_after
    )


def too_many(retry_after: int) -> TooManyRequests:
    return TooManyRequests(
        TOO_MANY,
        f"Too many refused requests; try again in {retry_after} seconds.",
        f"被拒绝的请求过多，请 {retry_after} 秒后再试。",
        headers={"Retry-After": str(retry_after)},
        extra={"retry_after": retry_after},
    )


def on_refusal(session: Session, settings: Settings, actor: Actor, refused: Refused) -> None:
    """Record a refused write in a transaction of its own (what the request did is already
    rolled back); raise TOO_MANY_REFUSALS past the limit. A failure to record is logged and
    never turns the client's answer into a 500."""
    now = utcnow()
    try:
        by_user, by_address, oldest = repository.count_refusals_since(
            session,
            now - timedelta(seconds=settings.refusal_window_seconds),
            user_id=actor.user_id,
            client_address=actor.meta.client_address,
        )
        decided = verdict(settings, by_user=by_user, by_address=by_address, oldest=oldest, now=now)
        if decided.record:
            limited = Refused(refused.method, refused.path, 429, TOO_MANY)
            _record(session, actor, limited if decided.limited else refused, now)
        session.commit()
    except Exception:
        session.rollback()
        logger.exception("a refused request could not be recorded")
        return
    if decided.limited:
        raise too_many(decided.retry_after)


def _record(session: Session, actor: Actor, refused: Refused, now: datetime) -> None:
    refusal = Refusal(
        occurred_at=now,
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role.value if actor.role else None,
        organisation_id=actor.organisation_id,
        method=refused.method,
        path=refused.path[:512],
        status=refused.status,
        code=refused.code,
        request_id=actor.meta.request_id,
        client_address=actor.meta.client_address,
    )
    append(repository.lock_head(session, Refusal.CHAIN_HEAD), refusal)
    repository.add_refusal(session, refusal)


def list_refusals(session: Session, filters: RefusalFilter) -> Page[RefusalRead]:
    rows, total = repository.list_refusals(session, **filters.model_dump())
    return page_of(RefusalRead, rows, total, filters)

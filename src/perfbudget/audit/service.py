"""The audit trail (S4.3; 等保 安全审计): an append-only SHA-256 hash chain.

A transaction's events are collected as it works and chained in one step just before it
commits: the chain head is locked only for that instant, so writers do not queue behind
whichever transaction recorded first. Sequence numbers follow the order of commits; an
event recorded in a transaction (or savepoint) that rolls back is never chained.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, Protocol

from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session, SessionTransaction

from perfbudget.audit import repository
from perfbudget.audit.models import AuditChainHead, AuditEvent, ChainLink, Refusal
from perfbudget.audit.schemas import AuditEventFilter, AuditEventRead
from perfbudget.clock import utcnow
from perfbudget.db import prepare_to_write
from perfbudget.pagination import Page, page_of
from perfbudget.principal import Actor

_SECRET_MARKERS = ("password", "token", "secret", "hash")


def _normalise(value: Any) -> Any:
    """What JSON storage gives back, so the hash survives a round trip through the database."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _redact(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: ("***" if any(marker in key.lower() for marker in _SECRET_MARKERS) else value)
        for key, value in values.items()
    }


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """A change set naming only the fields that changed: {"before": {...}, "after": {...}}."""
    before = _redact(before or {})
    after = _redact(after or {})
    keys = sorted(set(before) | set(after))
    changed = [key for key in keys if before.get(key) != after.get(key)]
    result: dict[str, Any] = {}
    if before:
        result["before"] = {key: before.get(key) for key in changed if key in before}
    if after:
        result["after"] = {key: after.get(key) for key in changed if key in after}
    return result


def canonical_payload(link: ChainLink) -> str:
    """The text a link's hash covers: the columns its model declares as chained."""
    payload = {}
    for name in link.CHAINED:
        value = getattr(link, name)
        payload[name] = value.isoformat() if isinstance(value, datetime) else value
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, link: ChainLink) -> str:
    return hashlib.sha256((prev_hash + canonical_payload(link)).encode()).hexdigest()


def append(head: AuditChainHead, link: ChainLink) -> None:
    """Make ``link`` the chain's next: its number, the previous hash and its own."""
    link.seq = head.last_seq + 1
    link.prev_hash = head.last_hash
    link.hash = compute_hash(head.last_hash, link)
    head.last_seq, head.last_hash = link.seq, link.hash


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: int | str | None = None,
    changes: dict[str, Any] | None = None,
    subjects: Sequence[tuple[str, int | str]] = (),
) -> AuditEvent:
    """Collect one event in the caller's transaction; it is chained when that commits.
    ``subjects`` name further objects the event is about (what a batch upload wrote): the
    event shows in each one's trail (``GET /audit-events?entity_type=…&entity_id=…``)."""
    prepare_to_write(session)
    event = AuditEvent(
        occurred_at=utcnow(),
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role.value if actor.role else None,
        organisation_id=actor.organisation_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        changes=_normalise(_redact(changes or {})),
        request_id=actor.meta.request_id,
        client_address=actor.meta.client_address,
    )
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    _pending(session).append(
        _Pending(transaction, event, [(kind, str(key)) for kind, key in subjects])
    )
    return event


# --- chaining at commit ------------------------------------------------------------------

_PENDING = "perfbudget.audit.pending"


class _Pending(NamedTuple):
    transaction: SessionTransaction
    event: AuditEvent
    subjects: list[tuple[str, str]]


def _pending(session: Session) -> list[_Pending]:
    pending: list[_Pending] = session.info.setdefault(_PENDING, [])
    return pending


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    """Append the transaction's events to the chain: the head is locked from here to the
    commit only. (A savepoint's release chains too: what is chained then rolls back with
    the outer transaction if that fails.)"""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    session.info[_PENDING] = []
    head = repository.lock_head(session, AuditEvent.CHAIN_HEAD)
    for entry in pending:
        append(head, entry.event)
    repository.add_all(session, [entry.event for entry in pending])
    subjects = [(entry.event.seq, kind, key) for entry in pending for kind, key in entry.subjects]
    if subjects:
        session.flush()  # the events first: subjects refer to them
        repository.add_subjects(session, subjects)


@listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [
            entry for entry in pending if not _within(entry.transaction, previous_transaction)
        ]


@listens_for(Session, "after_transaction_end")
def _forget_unchained(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.get(_PENDING):
        session.info[_PENDING] = []


def record_change(
    session: Session,
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: int | str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent | None:
    """Record a create (before None) or an edit; an edit that changed nothing leaves no event."""
    changes = diff(before, after)
    if before is not None and not changes.get("after") and not changes.get("before"):
        return None
    return record(
        session, actor, action, entity_type=entity_type, entity_id=entity_id, changes=changes
    )


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events_checked: int
    last_seq: int
    first_broken_seq: int | None
    reason: str | None


def verify_chain(
    session: Session, model: type[AuditEvent] | type[Refusal] = AuditEvent
) -> ChainReport:
    """Recompute every link of the chain (the events', or the refusals'); name the first
    sequence number that does not hold."""
    expected_seq = 1
    prev_hash = repository.GENESIS_HASH
    checked = 0
    for event in repository.iterate_in_order(session, model):
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq - 1, expected_seq, "missing")
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, event.seq, event.seq, "link_broken")
        if compute_hash(prev_hash, event) != event.hash:
            return ChainReport(False, checked, event.seq, event.seq, "hash_mismatch")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = repository.get_head(session, model.CHAIN_HEAD)
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        return ChainReport(False, checked, last_seq, last_seq + 1, "missing")
    return ChainReport(True, checked, last_seq, None, None)


class Audited(Protocol):
    """A model the audit trail follows: its entity type (``"budget_item"``) and the fields
    whose before and after an edit records, declared once on the model. Its actions are
    named ``<entity>.<action>``, or ``<__audit_actions__>.<action>`` where the model names
    them otherwise (a target set's ``targets.saved``)."""

    __audit_entity__: ClassVar[str]
    __audited__: ClassVar[tuple[str, ...]]

    @property
    def id(self) -> Any: ...


def state(obj: Audited) -> dict[str, Any]:
    """What the trail keeps of ``obj``: its declared fields, and what its model adds through
    ``audit_extra()`` (a report's lines …)."""
    values = snapshot(obj, type(obj).__audited__)
    extra = getattr(obj, "audit_extra", None)
    if callable(extra):
        values.update(extra())
    return values


def record_edit(
    session: Session,
    actor: Actor,
    action: str,
    obj: Audited,
    before: dict[str, Any] | None,
    *,
    context: Mapping[str, Any] | None = None,
) -> AuditEvent | None:
    """After a write: flush, then record ``obj``'s change since ``before`` (its ``state``
    read before the write; None for a creation, whose record also carries ``context``) as
    ``<entity>.<action>``. An edit that changed nothing leaves no event."""
    session.flush()
    after = state(obj)
    if before is None and context:
        after = {**context, **after}
    entity = type(obj).__audit_entity__
    prefix = getattr(type(obj), "__audit_actions__", entity)
    return record_change(
        session,
        actor,
        f"{prefix}.{action}",
        entity_type=entity,
        entity_id=obj.id,
        before=before,
        after=after,
    )


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        value = getattr(obj, field)
        values[field] = value.isoformat() if isinstance(value, datetime) else value
    return values


def list_events(session: Session, filters: AuditEventFilter) -> Page[AuditEventRead]:
    rows, total = repository.list_events(session, **filters.model_dump())
    return page_of(AuditEventRead, rows, total, filters)

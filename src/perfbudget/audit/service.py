"""The audit trail (S4.3; 等保 安全审计): an append-only SHA-256 hash chain."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.audit import repository
from perfbudget.audit.models import AuditEvent
from perfbudget.audit.schemas import AuditEventFilter, AuditEventRead
from perfbudget.auth.principal import Actor
from perfbudget.clock import utcnow
from perfbudget.db import prepare_to_write
from perfbudget.pagination import Page, page_of

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


def canonical_payload(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "user_id": event.user_id,
        "username": event.username,
        "role": event.role,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "changes": event.changes,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical_payload(event)).encode()).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: int | str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    prepare_to_write(session)
    head = repository.lock_head(session)
    event = AuditEvent(
        seq=head.last_seq + 1,
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
        prev_hash=head.last_hash,
    )
    event.hash = compute_hash(head.last_hash, event)
    repository.add(session, event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.flush()
    return event


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


def verify_chain(session: Session) -> ChainReport:
    """Recompute every link; name the first sequence number that does not hold."""
    expected_seq = 1
    prev_hash = repository.GENESIS_HASH
    checked = 0
    for event in repository.iterate_in_order(session):
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq - 1, expected_seq, "missing")
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, event.seq, event.seq, "link_broken")
        if compute_hash(prev_hash, event) != event.hash:
            return ChainReport(False, checked, event.seq, event.seq, "hash_mismatch")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = repository.get_head(session)
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        return ChainReport(False, checked, last_seq, last_seq + 1, "missing")
    return ChainReport(True, checked, last_seq, None, None)


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        value = getattr(obj, field)
        values[field] = value.isoformat() if isinstance(value, datetime) else value
    return values


def list_events(session: Session, filters: AuditEventFilter) -> Page[AuditEventRead]:
    rows, total = repository.list_events(session, **filters.model_dump())
    return page_of(AuditEventRead, rows, total, filters)

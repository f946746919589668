"""Explicit state transition tables and the S3 review chain, each rule checked in one function."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from sqlalchemy.orm import Session

from perfbudget.errors import Forbidden, RuleViolation, Unprocessable
from perfbudget.principal import Actor
from perfbudget.versioning import check_version

S = TypeVar("S", bound=StrEnum)


def check_transition(
    table: Mapping[S, frozenset[S]], entity_en: str, entity_zh: str, current: S, target: S
) -> None:
    if target not in table.get(current, frozenset()):
        raise RuleViolation(
            "INVALID_TRANSITION",
            f"A {entity_en} cannot go from {current.value} to {target.value}.",
            f"{entity_zh}不能从“{_label(current)}”变为“{_label(target)}”。",
            extra={"from": current.value, "to": target.value},
        )


def check_reviewer(
    entity_en: str, entity_zh: str, reviewer_id: int | None, author_ids: Iterable[int | None]
) -> None:
    """S3: each review is someone else's check, so whoever wrote the object does not decide
    on it at any step. An unrecorded author or reviewer (the CLI, older rows) matches no one."""
    if reviewer_id is not None and reviewer_id in set(author_ids):
        raise Forbidden(
            "SAME_PERSON_REVIEW",
            f"Whoever prepared a {entity_en} does not review it; another reviewer decides (S3).",
            f"{entity_zh}的编报人不得审核本人编报的材料，须由他人审核（S3）。",
        )


def _label(state: StrEnum) -> str:
    return getattr(state, "label_zh", state.value)


def require_reason(
    reason: str | None,
    en: str = "Give the reasons for returning it.",
    zh: str = "退回须说明理由。",
) -> str:
    """S3: what is returned goes back with the reasons; the reason, stripped."""
    if not (reason or "").strip():
        raise Unprocessable("REASON_REQUIRED", en, zh)
    return (reason or "").strip()


class Recorder(Protocol):
    """How a move is put on the audit trail: ``audit.service.record``, handed in by the stage
    that declares the chain (the core imports no stage)."""

    def __call__(
        self,
        session: Session,
        actor: Actor,
        action: str,
        *,
        entity_type: str,
        entity_id: int,
        changes: dict[str, Any],
    ) -> object: ...


S_co = TypeVar("S_co", bound=StrEnum, covariant=True)


class Stated(Protocol[S_co]):
    """An object in one of a chain's states, at a version (stored or about to be)."""

    @property
    def status(self) -> S_co: ...
    @property
    def version(self) -> int: ...


class Reviewed(Protocol[S]):
    """An object a chain moves: its id and status (and, once returned, the reasons)."""

    id: Any
    status: S
    version: int
    return_reason: str | None


class Trail(NamedTuple):
    """What a move's audit event carries beside the status: more of the state after the
    move (a report's light, an evaluation's scores), and what the object belongs to."""

    after: Mapping[str, Any]
    details: Mapping[str, Any]


@dataclass(frozen=True)
class ReviewChain(Generic[S]):
    """The S3 review chain of one kind of object, declared by its states and outcomes: the
    owner's draft (or returned) object goes to its parent department when a unit files, else
    to finance; the department passes it on to finance or returns it; finance decides one of
    the outcomes (or returns it). Who wrote it never reviews it. The chain checks each step,
    makes it and puts it on the audit trail."""

    entity_en: str
    entity_zh: str
    # the status enum: its members draft, returned, department_review and finance_review
    # (and submitted, where the owner's submission stops before it is routed) are the chain's
    states: type[S]
    outcomes: tuple[S, ...]
    finance_returns: bool = True
    # steps after an outcome (an approved target set is superseded by the next approval)
    onward: Mapping[S, frozenset[S]] = field(default_factory=dict)
    # the model whose ``__audit_entity__`` (and ``__audit_actions__``) name the trail's events
    # of a move, ``<actions>.<action>`` on the entity, and who records them
    audited: type | None = None
    recorder: Recorder | None = None
    trail: Callable[[Any], Trail] | None = None
    draft: S = field(init=False)
    returned: S = field(init=False)
    submitted: S | None = field(init=False)
    department_review: S = field(init=False)
    finance_review: S = field(init=False)
    transitions: Mapping[S, frozenset[S]] = field(init=False)

    def __post_init__(self) -> None:
        for name in ("draft", "returned", "department_review", "finance_review"):
            object.__setattr__(self, name, self.states[name])
        object.__setattr__(self, "submitted", self.states.__members__.get("submitted"))
        object.__setattr__(self, "transitions", self._transitions())

    def _transitions(self) -> dict[S, frozenset[S]]:
        routes = frozenset({self.department_review, self.finance_review})
        owner = frozenset({self.submitted}) if self.submitted is not None else routes
        table = {self.draft: owner, self.returned: owner}
        if self.submitted is not None:
            table[self.submitted] = routes
        table[self.department_review] = frozenset({self.finance_review, self.returned})
        returns = {self.returned} if self.finance_returns else set()
        table[self.finance_review] = frozenset({*self.outcomes, *returns})
        for outcome in self.outcomes:
            table[outcome] = self.onward.get(outcome, frozenset())
        return {**table, **{s: t for s, t in self.onward.items() if s not in table}}

    def check(self, current: S, target: S) -> None:
        check_transition(self.transitions, self.entity_en, self.entity_zh, current, target)

    def check_reviewer(self, reviewer_id: int | None, *author_ids: int | None) -> None:
        check_reviewer(self.entity_en, self.entity_zh, reviewer_id, author_ids)

    def route(self, by_unit: bool) -> S:
        return self.department_review if by_unit else self.finance_review

    def check_submission(self, obj: Stated[S], *, by_unit: bool, expected_version: int | None) -> S:
        """Where the owner's submission goes (the parent department when a unit files, else
        finance), once the move and the version read are checked."""
        route = self.route(by_unit)
        self.check(obj.status, route)
        check_version(obj.version, expected_version)
        return route

    def step_to(self, obj: Reviewed[S], target: S) -> S:
        """Check the step and set ``obj.status``, nothing more (a move that follows another
        object's, recorded there); the state it left."""
        self.check(obj.status, target)
        previous = obj.status
        obj.status = target
        return previous

    def move_to(
        self,
        session: Session,
        actor: Actor,
        obj: Reviewed[S],
        target: S,
        action: str,
        *,
        reason: str | None = None,
        changes: dict[str, Any] | None = None,
        journal: Callable[[S], object] | None = None,
    ) -> S:
        """Check the step, set ``obj.status``, flush, and record the move; the state it left.

        The event's changes: the status before and after, what the chain's ``trail`` adds, and
        the reason; ``changes`` replaces them all. ``journal`` is called with
        the state left, before the flush (what else the stage writes of a move)."""
        trail = self.trail(obj) if self.trail is not None else Trail({}, {})
        previous = self.step_to(obj, target)
        if journal is not None:
            journal(previous)
        session.flush()
        if changes is None:
            changes = {
                "before": {"status": previous.value},
                "after": {"status": target.value, **trail.after},
                **trail.details,
                "reason": reason,
            }
        entity: str = getattr(self.audited, "__audit_entity__", "")
        if self.recorder is not None:
            self.recorder(
                session,
                actor,
                f"{getattr(self.audited, '__audit_actions__', entity)}.{action}",
                entity_type=entity,
                entity_id=obj.id,
                changes=changes,
            )
        return previous

    def send_back(
        self,
        session: Session,
        actor: Actor,
        obj: Reviewed[S],
        returned: S,
        action: str,
        reason: str | None,
        *,
        changes: dict[str, Any] | None = None,
        journal: Callable[[S], object] | None = None,
    ) -> S:
        """S3 "return with reasons": refuse a blank reason, keep it on ``obj.return_reason``
        (as given) and move to ``returned``; the state it left."""
        require_reason(reason)
        self.check(obj.status, returned)
        obj.return_reason = reason
        return self.move_to(
            session,
            actor,
            obj,
            returned,
            action,
            reason=reason,
            changes=changes,
            journal=journal,
        )

    def decide_as_department(
        self,
        session: Session,
        actor: Actor,
        obj: Reviewed[S],
        *,
        approve: bool,
        reason: str | None,
        expected_version: int | None,
        authors: Iterable[int | None],
    ) -> S:
        """S3: the parent department passes a unit's object on to finance, or returns it with
        the reasons; never its own author. The state it left."""
        self.check_reviewer(actor.user_id, *authors)
        target = self.finance_review if approve else self.returned
        self.check(obj.status, target)
        check_version(obj.version, expected_version)
        if approve:
            return self.move_to(session, actor, obj, target, "department_approved", reason=reason)
        returned = (reason or "").strip()
        return self.send_back(session, actor, obj, target, "department_returned", returned)

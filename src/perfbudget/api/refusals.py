"""A refused write leaves its record in the refusals trail: who, what, and the answer."""

from fastapi import Request
from sqlalchemy.orm import Session

from perfbudget.api.problems import refusal_of
from perfbudget.audit import refusals
from perfbudget.config import get_settings
from perfbudget.principal import Actor, RequestMeta


def record_refusal(session: Session, request: Request, exc: Exception) -> None:
    answer = refusal_of(exc)
    if answer is None:
        return
    # who: the principal the token named, if authentication got that far
    actor = getattr(request.state, "actor", None)
    if actor is None:
        client = request.client.host if request.client else None
        actor = Actor.anonymous(RequestMeta(getattr(request.state, "request_id", None), client))
    refused = refusals.Refused(request.method, request.url.path, *answer)
    refusals.on_refusal(session, get_settings(), actor, refused)

"""Supervision and accountability (S4.3): the finance bureau records leads referred to the
discipline inspection and supervision organs (纪检监察机关) and requests to the county
government to hold a shirking department's leaders to account. Finance and oversight only."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from perfbudget.accountability import repository
from perfbudget.accountability.models import Referral, ReferralStatus
from perfbudget.accountability.schemas import (
    ReferralAction,
    ReferralClose,
    ReferralCreate,
    ReferralFilter,
    ReferralRead,
    ReferralUpdate,
)
from perfbudget.audit import service as audit
from perfbudget.errors import RuleViolation, Unprocessable, not_found
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.overview.schemas import ItemRef
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.versioning import check_version
from perfbudget.workflow import check_transition

TRANSITIONS = {
    ReferralStatus.draft: frozenset({ReferralStatus.referred}),
    ReferralStatus.referred: frozenset({ReferralStatus.closed}),
    ReferralStatus.closed: frozenset[ReferralStatus](),
}


def _reads(session: Session, referrals: Sequence[Referral]) -> list[ReferralRead]:
    """Referrals with their items, organisations and years: three statements at most."""
    items = repository.items(session, (i for r in referrals for i in r.item_ids))
    organisations = repository.organisations(
        session, (o for r in referrals for o in r.organisation_ids)
    )
    years = repository.fiscal_years(
        session, (r.fiscal_year_id for r in referrals if r.fiscal_year_id is not None)
    )
    return [
        ReferralRead(
            id=r.id,
            kind=r.kind,
            fiscal_year=years.get(r.fiscal_year_id) if r.fiscal_year_id else None,
            title=r.title,
            facts=r.facts,
            items=[
                ItemRef(id=items[i].id, code=items[i].code, name=items[i].name)
                for i in r.item_ids
                if i in items
            ],
            organisations=[
                OrganisationRef.model_validate(organisations[o])
                for o in r.organisation_ids
                if o in organisations
            ],
            status=r.status,
            outcome=r.outcome,
            created_by_id=r.created_by_id,
            created_at=r.created_at,
            updated_at=r.updated_at,
            version=r.version,
        )
        for r in referrals
    ]


def _read(session: Session, referral: Referral) -> ReferralRead:
    return _reads(session, [referral])[0]


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _check_links(session: Session, item_ids: list[int], organisation_ids: list[int]) -> None:
    if not item_ids and not organisation_ids:
        raise Unprocessable(
            "REFERRAL_SUBJECT_REQUIRED",
            "Name the items or organisations the referral concerns (S4.3).",
            "须列明移送事项涉及的项目或部门单位（S4.3）。",
        )
    missing_items = sorted(set(item_ids) - set(repository.items(session, item_ids)))
    if missing_items:
        raise Unprocessable(
            "UNKNOWN_ITEMS",
            f"No such budget items: {missing_items}.",
            f"以下预算项目不存在：{missing_items}。",
            extra={"item_ids": missing_items},
        )
    known = repository.organisations(session, organisation_ids)
    missing_orgs = sorted(set(organisation_ids) - set(known))
    if missing_orgs:
        raise Unprocessable(
            "UNKNOWN_ORGANISATIONS",
            f"No such organisations: {missing_orgs}.",
            f"以下部门单位不存在：{missing_orgs}。",
            extra={"organisation_ids": missing_orgs},
        )


def _fiscal_year_id(session: Session, year: int | None) -> int | None:
    if year is None:
        return None
    fiscal_year_id = repository.fiscal_year_id(session, year)
    if fiscal_year_id is None:
        raise Unprocessable(
            "UNKNOWN_FISCAL_YEAR",
            f"There is no fiscal year {year}.",
            f"预算年度 {year} 不存在。",
        )
    return fiscal_year_id


def create_referral(session: Session, actor: Actor, body: ReferralCreate) -> ReferralRead:
    item_ids, organisation_ids = _unique(body.item_ids), _unique(body.organisation_ids)
    _check_links(session, item_ids, organisation_ids)
    referral = Referral(
        fiscal_year_id=_fiscal_year_id(session, body.fiscal_year),
        kind=body.kind,
        title=body.title,
        facts=body.facts,
        item_ids=item_ids,
        organisation_ids=organisation_ids,
        status=ReferralStatus.draft,
        created_by_id=actor.user_id,
    )
    repository.add(session, referral)
    audit.record_edit(session, actor, "created", referral, None)
    return _read(session, referral)


def _get(session: Session, referral_id: int) -> Referral:
    referral = repository.get(session, referral_id)
    if referral is None:
        raise not_found("Referral", "问责移送")
    return referral


def get_referral(session: Session, referral_id: int) -> ReferralRead:
    return _read(session, _get(session, referral_id))


def list_referrals(session: Session, filters: ReferralFilter) -> Page[ReferralRead]:
    rows, total = repository.list_page(session, filters)
    return Page[ReferralRead](
        items=_reads(session, rows), total=total, limit=filters.limit, offset=filters.offset
    )


def update_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    body: ReferralUpdate,
    expected_version: int | None,
) -> ReferralRead:
    """A draft is edited freely; once referred, what was sent stays as sent."""
    referral = _get(session, referral_id)
    check_version(referral.version, expected_version)
    if referral.status is not ReferralStatus.draft:
        raise RuleViolation(
            "REFERRAL_NOT_EDITABLE",
            "Only a draft referral can be edited; a referred one stays as it was sent.",
            "仅拟移送状态可修改；已移送的内容保持移送时原样。",
        )
    before = audit.state(referral)
    item_ids = _unique(referral.item_ids if body.item_ids is None else body.item_ids)
    organisation_ids = _unique(
        referral.organisation_ids if body.organisation_ids is None else body.organisation_ids
    )
    _check_links(session, item_ids, organisation_ids)
    for field in ("kind", "title", "facts"):
        if (value := getattr(body, field)) is not None:
            setattr(referral, field, value)
    referral.item_ids = item_ids
    referral.organisation_ids = organisation_ids
    audit.record_edit(session, actor, "updated", referral, before)
    return _read(session, referral)


def _move(
    session: Session,
    actor: Actor,
    referral_id: int,
    target: ReferralStatus,
    body: ReferralAction | ReferralClose,
    expected_version: int | None,
) -> ReferralRead:
    referral = _get(session, referral_id)
    check_version(referral.version, expected_version)
    check_transition(TRANSITIONS, "referral", "问责移送", referral.status, target)
    before = audit.state(referral)
    referral.status = target
    if isinstance(body, ReferralClose):
        referral.outcome = body.outcome
    audit.record_edit(session, actor, target.value, referral, before)
    return _read(session, referral)


def refer(
    session: Session,
    actor: Actor,
    referral_id: int,
    body: ReferralAction,
    expected_version: int | None,
) -> ReferralRead:
    """Send the referral (draft → referred)."""
    return _move(session, actor, referral_id, ReferralStatus.referred, body, expected_version)


def close(
    session: Session,
    actor: Actor,
    referral_id: int,
    body: ReferralClose,
    expected_version: int | None,
) -> ReferralRead:
    """Record the outcome (referred → closed)."""
    return _move(session, actor, referral_id, ReferralStatus.closed, body, expected_version)

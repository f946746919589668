"""Public disclosure (S4.4), the finance side: a department's approved targets with the
budget, its evaluation results with the final accounts, and the year's circular (S3).

A publication freezes an allow-listed snapshot (schemas.Public*); a new revision withdraws
the earlier ones, and the stable public id always names the current snapshot.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit_service
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.clock import utcnow
from perfbudget.congress import repository as congress_repository
from perfbudget.disclosure import repository
from perfbudget.disclosure.models import Publication, PublicationKind
from perfbudget.disclosure.schemas import (
    CircularContent,
    PublicationCreate,
    PublicationFilter,
    PublicationRead,
    PublicIndicator,
    PublicOrganisationRef,
    PublicRankingEntry,
    PublicResultItem,
    PublicTargetItem,
    ResultsContent,
    TargetsContent,
)
from perfbudget.errors import Conflict, RuleViolation, Unprocessable, not_found
from perfbudget.events import service as events
from perfbudget.events.models import EventType
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.pagination import Page
from perfbudget.principal import Actor


def _ref(organisation: Organisation) -> PublicOrganisationRef:
    return PublicOrganisationRef(code=organisation.code, name=organisation.name_zh)


def _department(session: Session, organisation_id: int) -> Organisation:
    organisation = repository.get_organisation(session, organisation_id)
    if organisation is None:
        raise not_found("Organisation", "单位")
    if organisation.kind is not OrganisationKind.department or organisation.parent_id is not None:
        raise Unprocessable(
            "NOT_A_DEPARTMENT",
            "Targets and results are published per department, with its budget (S4.4).",
            "绩效信息按部门随部门预决算公开，请选择主管部门（S4.4）。",
        )
    return organisation


def _nothing_to_publish(what_en: str, what_zh: str) -> RuleViolation:
    return RuleViolation(
        "NOTHING_TO_PUBLISH",
        f"The department has no {what_en} this year to publish (S4.4).",
        f"该部门本年度没有可公开的{what_zh}（S4.4）。",
    )


def _within(item: BudgetItem, department: Organisation) -> bool:
    return item.organisation.path.startswith(department.path)


def _targets_items(
    session: Session, fiscal_year: FiscalYear, department: Organisation
) -> list[PublicTargetItem]:
    # published with the budget: only targets in force on items that were funded (S2.2.2)
    return [
        PublicTargetItem(
            code=item.code,
            name=item.name,
            kind=item.kind,
            budget_book=item.budget_book,
            organisation=_ref(item.organisation),
            approved_amount=item.approved_amount,
            overall_goal=target_set.overall_goal,
            indicators=[PublicIndicator.model_validate(line) for line in target_set.lines],
        )
        for item, target_set in congress_repository.approved_target_sets(session, fiscal_year.id)
        if item.status is ItemStatus.funded
        and item.approved_amount is not None
        and _within(item, department)
    ]


def _result_items(
    session: Session, fiscal_year: FiscalYear, department: Organisation
) -> list[PublicResultItem]:
    return [
        PublicResultItem(
            code=item.code,
            name=item.name,
            kind=item.kind,
            budget_book=item.budget_book,
            organisation=_ref(item.organisation),
            approved_amount=item.approved_amount,
            final_score=evaluation.final_score,
            grade=evaluation.grade,
        )
        for evaluation, item in repository.graded_evaluations(session, fiscal_year.id)
        if _within(item, department)
        and evaluation.final_score is not None
        and evaluation.grade is not None
    ]


def _archive(
    session: Session, earlier: Sequence[Publication], public_id: str, now: datetime
) -> None:
    """Withdraw the earlier revisions; the current one gives up the stable id to its successor."""
    for old in earlier:
        if old.public_id == public_id:
            old.public_id = f"{public_id}~r{old.content.get('revision', old.id)}"
        old.withdrawn_at = old.withdrawn_at or now
    session.flush()


def _store(
    session: Session,
    actor: Actor,
    fiscal_year: FiscalYear,
    kind: PublicationKind,
    organisation: Organisation | None,
    build: Callable[[str, int], dict[str, Any]],
) -> PublicationRead:
    """Publish a new revision: earlier ones are withdrawn and archived under a suffixed id,
    so the stable public id always names the current snapshot."""
    owner = organisation.code if organisation else None
    public_id = "-".join(str(part) for part in (fiscal_year.year, owner, kind.value) if part)
    now = utcnow()
    earlier = repository.revisions(
        session, fiscal_year.id, kind, organisation.id if organisation else None
    )
    _archive(session, earlier, public_id, now)
    revision = len(earlier) + 1
    publication = Publication(
        public_id=public_id,
        fiscal_year_id=fiscal_year.id,
        organisation_id=organisation.id if organisation else None,
        kind=kind,
        content=build(public_id, revision),
        published_at=now,
        published_by_id=actor.user_id,
    )
    session.add(publication)
    session.flush()
    audit_service.record(
        session,
        actor,
        "publication.publish",
        entity_type="publication",
        entity_id=publication.id,
        changes={"public_id": public_id, "kind": kind.value, "revision": revision},
    )
    return _read(publication, fiscal_year.year)


def publish(session: Session, actor: Actor, year: int, body: PublicationCreate) -> PublicationRead:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    department = _department(session, body.organisation_id)
    kind = PublicationKind(body.kind)
    now = utcnow()
    content: TargetsContent | ResultsContent
    if kind is PublicationKind.targets:
        target_items = _targets_items(session, fiscal_year, department)
        if not target_items:
            raise _nothing_to_publish("approved targets of funded items", "已批复绩效目标")
        content = TargetsContent(
            public_id="",
            revision=0,
            year=year,
            published_at=now,
            organisation=_ref(department),
            approved_total=sum((i.approved_amount for i in target_items), Decimal(0)),
            items=target_items,
        )
    else:
        result_items = _result_items(session, fiscal_year, department)
        if not result_items:
            raise _nothing_to_publish("graded self-evaluations", "已评定等级的绩效评价结果")
        content = ResultsContent(
            public_id="",
            revision=0,
            year=year,
            published_at=now,
            organisation=_ref(department),
            items=result_items,
        )

    def build(public_id: str, revision: int) -> dict[str, Any]:
        return content.model_copy(update={"public_id": public_id, "revision": revision}).model_dump(
            mode="json"
        )

    return _announced(session, _store(session, actor, fiscal_year, kind, department, build))


def _ranking_entry(entry: Any, organisations: dict[int, Organisation]) -> PublicRankingEntry:
    """One entry of the circular's frozen ranking (results.circular._ranking), keeping only
    public fields: rank, the department's code and name, the total score."""
    data: dict[str, Any] = entry if isinstance(entry, dict) else {}
    department: dict[str, Any] = data.get("department") or {}
    organisation = organisations.get(department.get("id") or -1)
    code = organisation.code if organisation else department.get("code")
    name = organisation.name_zh if organisation else department.get("name_zh")
    score = data.get("total_score")
    return PublicRankingEntry(
        rank=data.get("rank"),
        organisation=PublicOrganisationRef(code=str(code or ""), name=str(name or "")),
        score=Decimal(str(score)) if score is not None else None,
    )


def publish_circular(session: Session, actor: Actor, year: int) -> PublicationRead:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    circular = repository.published_circular(session, fiscal_year.id)
    if circular is None:
        raise RuleViolation(
            "CIRCULAR_NOT_PUBLISHED",
            "The year's department assessment circular has not been published (S3, S4.4).",
            "本年度部门绩效管理工作考核通报尚未印发（S3、S4.4）。",
        )
    ids = {
        int(entry["organisation_id"])
        for entry in circular.ranking
        if isinstance(entry, dict) and isinstance(entry.get("organisation_id"), int)
    }
    organisations = congress_repository.organisations(session, ids)
    ranking = [_ranking_entry(entry, organisations) for entry in circular.ranking]
    now = utcnow()

    def build(public_id: str, revision: int) -> dict[str, Any]:
        return CircularContent(
            public_id=public_id,
            revision=revision,
            year=year,
            published_at=now,
            title=circular.title,
            ranking=ranking,
        ).model_dump(mode="json")

    publication = _store(session, actor, fiscal_year, PublicationKind.circular, None, build)
    return _announced(session, publication)


def _announced(session: Session, publication: PublicationRead) -> PublicationRead:
    events.emit(
        session,
        EventType.disclosure_published,
        {
            "public_id": publication.public_id,
            "kind": publication.kind.value,
            "year": publication.year,
            "organisation_id": publication.organisation_id,
            "revision": publication.revision,
        },
    )
    return publication


def _read(publication: Publication, year: int) -> PublicationRead:
    return PublicationRead(
        id=publication.id,
        public_id=publication.public_id,
        kind=publication.kind,
        year=year,
        organisation_id=publication.organisation_id,
        revision=int(publication.content.get("revision", 1)),
        status="withdrawn" if publication.withdrawn_at else "current",
        published_at=publication.published_at,
        published_by_id=publication.published_by_id,
        withdrawn_at=publication.withdrawn_at,
        content=publication.content,
    )


def list_publications(
    session: Session, year: int, filters: PublicationFilter
) -> Page[PublicationRead]:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    rows, total = repository.publications_page(session, fiscal_year.id, filters)
    return Page[PublicationRead](
        items=[_read(row, year) for row in rows],
        total=total,
        limit=filters.limit,
        offset=filters.offset,
    )


def withdraw(session: Session, actor: Actor, publication_id: int, reason: str) -> PublicationRead:
    publication = repository.get(session, publication_id)
    if publication is None:
        raise not_found("Publication", "公开信息")
    if publication.withdrawn_at is not None:
        raise Conflict(
            "ALREADY_WITHDRAWN",
            "The publication is already withdrawn or superseded.",
            "该公开信息已撤回或已被新版本替代。",
        )
    publication.withdrawn_at = utcnow()
    session.flush()
    audit_service.record(
        session,
        actor,
        "publication.withdraw",
        entity_type="publication",
        entity_id=publication.id,
        changes={"public_id": publication.public_id, "reason": reason},
    )
    year = int(publication.content.get("year", 0))
    return _read(publication, year)

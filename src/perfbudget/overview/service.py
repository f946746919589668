"""What the finance bureau sees of a month's monitoring (S2.3, S3 考核、通报): reports owed,
submitted and overdue, lights, money against time, holds and rectifications."""

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Row, RowMapping
from sqlalchemy.orm import Session

from perfbudget import figures
from perfbudget.budget_items.models import ItemKind
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.monitoring import schedule
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.overview import repository
from perfbudget.overview.repository import MonthScope
from perfbudget.overview.schemas import (
    DepartmentOverview,
    HoldCounts,
    ItemRef,
    LightCounts,
    MonitoringOverview,
    OverviewFigures,
    QueueFilter,
    QueueRow,
    RectificationCounts,
    ReportCounts,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor

# Money figures cover projects and policies: a department's overall budget (S1.1) contains
# them, and adding it would count the same money twice.
MONEY_KINDS = (ItemKind.project, ItemKind.policy)
CENT = Decimal("0.01")


def _month(session: Session, year: int, month: int) -> tuple[MonthScope, dict[ItemKind, date]]:
    """Which items owe a report for ``month`` (S2.3.1: overall budgets in June only), when
    each kind falls due, and which of those dates have passed."""
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    parameters = fiscal_year_service.rule_parameters(fiscal_year)
    due = {
        kind: schedule.due_date(parameters, year, month, kind)
        for kind in ItemKind
        if month in schedule.report_months(kind)
    }
    today = schedule.local_today()  # the county keeps Beijing time, as monitoring does
    month_end = schedule.after_month(year, month)
    scope = MonthScope(
        fiscal_year_id=fiscal_year.id,
        month=month,
        kinds=tuple(due),
        money_kinds=MONEY_KINDS,
        overdue_kinds=tuple(kind for kind, due_on in due.items() if today > due_on),
        funded_before=schedule.funded_by_month_end(year, month),
        paid_before=month_end,
        today=today,
    )
    return scope, due


def _department_of(organisation: Row[Any] | Organisation) -> int:
    """The top of the materialised path: "/4/5/" → 4."""
    top = organisation.path.strip("/").split("/")[0]
    return int(top) if top.isdigit() else int(organisation.id)


def _money(cents: Decimal) -> Decimal:
    return (cents / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """A ratio as shown, by the one rounding rule (``figures``)."""
    return figures.shown(figures.percent(part, whole)) if whole else None


def _figures(tally: Counter[str], month: int) -> OverviewFigures:
    approved = _money(Decimal(tally["approved"]))
    disbursed = _money(Decimal(tally["disbursed"]))
    # without a plan, time progress is the straight m ÷ 12 line (§3)
    unplanned = Decimal(tally["unplanned"]) * schedule.straight_time_progress(month)
    planned = _money(Decimal(tally["planned"]) + unplanned)
    return OverviewFigures(
        items=tally["items"],
        reports=ReportCounts(
            due=tally["due"],
            submitted=tally["submitted"],
            overdue=tally["overdue"],
            late=tally["late"],
            funded_after_month=tally["funded_after_month"],
        ),
        lights=LightCounts(
            green=tally["green"], blue=tally["blue"], yellow=tally["yellow"], red=tally["red"]
        ),
        approved=approved,
        disbursed=disbursed,
        planned=planned,
        execution_rate=_percent(disbursed, approved),
        time_progress=_percent(planned, approved),
        execution_ratio=_percent(disbursed, planned),
        holds=HoldCounts(suspended=tally["suspended"], stopped=tally["stopped"]),
        rectifications=RectificationCounts(
            open=tally["rectifications_open"], overdue=tally["rectifications_overdue"]
        ),
    )


def monitoring_overview(
    session: Session, actor: Actor, year: int, month: int
) -> MonitoringOverview:
    scope, due = _month(session, year, month)
    organisations = {org.id: org for org in repository.organisations(session)}
    department_of = {org.id: _department_of(org) for org in organisations.values()}
    sums: dict[int, dict[str, int]] = {}
    for tally in (
        repository.item_figures(session, actor, scope),
        repository.active_holds(session, actor, scope),
        repository.open_rectifications(session, actor, scope),
    ):
        width = len(tally.names)
        per_department: dict[int, list[int]] = {}
        for organisation_id, figures_of in tally.rows.items():
            department = department_of[organisation_id]
            summed = per_department.setdefault(department, [0] * width)
            for index in range(width):
                summed[index] += figures_of[index]
        for department, summed in per_department.items():
            sums.setdefault(department, {}).update(zip(tally.names, summed, strict=True))
    tallies = {department: Counter(figures) for department, figures in sums.items()}
    shown = [
        org
        for org in organisations.values()
        if org.id in tallies or (org.parent_id is None and org.kind is OrganisationKind.department)
    ]
    county: Counter[str] = Counter()
    for department_figures in tallies.values():
        county.update(department_figures)
    return MonitoringOverview(
        fiscal_year=year,
        month=month,
        as_of=scope.today,
        due_on=due[ItemKind.project],
        overall_due_on=due.get(ItemKind.department_overall),
        county=_figures(county, month),
        departments=[
            DepartmentOverview.model_validate(
                {
                    "department": OrganisationRef.model_validate(org),
                    **dict(_figures(tallies.get(org.id, Counter()), month)),
                }
            )
            for org in sorted(shown, key=lambda org: org.code)
        ],
    )


# --- compliance --------------------------------------------------------------------------


def _item(row: RowMapping) -> ItemRef:
    return ItemRef(**_item_data(row))


def _owner(row: RowMapping) -> OrganisationRef:
    return OrganisationRef(**_owner_data(row))


def monitoring_compliance(session: Session, actor: Actor, year: int, month: int) -> dict[str, Any]:
    """S2.3.1: the month's missing and late reports, listed per organisation: the data of a
    ``MonitoringCompliance``, as plain values (the listing runs to thousands of entries;
    ``answers.json_answer`` writes it without validating it again)."""
    scope, due = _month(session, year, month)
    missing = repository.missing_reports(session, actor, scope)
    late = repository.late_reports(session, actor, scope)
    listed: dict[int, dict[str, Any]] = {}

    def entry(row: RowMapping) -> dict[str, Any]:
        owner = row["organisation_id"]
        if owner not in listed:
            listed[owner] = {"organisation": _owner_data(row), "missing": [], "late": []}
        return listed[owner]

    for row in missing:
        entry(row)["missing"].append(
            {
                "item": _item_data(row),
                "kind": row["kind"],
                "due_on": row["due_on"] or due[row["kind"]],
                "report_id": row["report_id"],
                "report_status": row["report_status"],
            }
        )
    for row in late:
        entry(row)["late"].append(
            {
                "item": _item_data(row),
                "kind": row["kind"],
                "due_on": row["due_on"],
                "report_id": row["report_id"],
                "report_status": row["report_status"],
                "submitted_at": row["submitted_at"],
            }
        )
    return {
        "fiscal_year": year,
        "month": month,
        "as_of": scope.today,
        "missing_total": len(missing),
        "late_total": len(late),
        "organisations": sorted(listed.values(), key=lambda found: found["organisation"]["code"]),
    }


def _item_data(row: RowMapping) -> dict[str, Any]:
    return {"id": row["item_id"], "code": row["item_code"], "name": row["item_name"]}


def _owner_data(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["organisation_id"],
        "code": row["organisation_code"],
        "name_zh": row["organisation_name_zh"],
    }


# --- the finance queue ---------------------------------------------------------------------


def _queue_row(row: RowMapping) -> QueueRow:
    return QueueRow(
        id=row["id"],
        fiscal_year=row["fiscal_year"],
        month=row["month"],
        item=_item(row),
        organisation=_owner(row),
        status=row["status"],
        item_light=row["item_light"],
        execution_light=row["execution_light"],
        submitted_at=row["submitted_at"],
        late=row["late"],
        due_on=row["due_on"],
        version=row["version"],
    )


def report_queue(session: Session, actor: Actor, filters: QueueFilter) -> Page[QueueRow]:
    rows, total = repository.queue_page(session, actor, filters)
    return Page[QueueRow](
        items=[_queue_row(row) for row in rows],
        total=total,
        limit=filters.limit,
        offset=filters.offset,
    )

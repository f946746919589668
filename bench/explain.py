"""Issue 16's EXPLAIN evidence: the overview's, compliance's, finance queue's and item list's
statements before and after the read model ``item_month_figures``.

    python -m bench.explain --database-url URL [--year Y --month M] [--sql]

On a generated county (``bench.generate``), for the month (default: December of the year
being executed), signed in as finance:

- before: the statements as they were before issue 16, rebuilt here from the old
  ``overview.repository`` and ``budget_items.repository`` (kept for comparison only; the
  application no longer runs them): the overview's item figures joined from each funded item
  to its month's report and spending-plan month, its disbursements summed apart, the open
  rectifications driven from the items, compliance's missing and late reports from the
  items, the finance queue's count and page joined to the items, and the item list's year
  filtered by ``IN`` (page and count);
- after: the application's own statements, captured as executed (``before_cursor_execute``)
  from ``overview.repository`` (``item_figures``, ``open_rectifications``,
  ``missing_reports``, ``late_reports``, ``queue_page``) and
  ``budget_items.repository.list_page``.

Each statement is compiled with its values inlined, timed (median of 9 runs, ms), its rows
counted, and its plan printed (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN (ANALYZE,
BUFFERS)`` on PostgreSQL); a summary table ends the output. Everything runs in one
read-only transaction that is rolled back: the database is left as it was.
"""

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Select

    from perfbudget.overview.repository import MonthScope
    from perfbudget.principal import Actor

REPEAT = 9
BEFORE, AFTER = "before", "after"

# summary rows: (key, label); the statements of both sides are filed under these keys
ROWS = (
    ("figures", "overview: item figures"),
    ("disbursed", "overview: disbursed"),
    ("rectifications", "overview: open rectifications"),
    ("missing", "compliance: missing reports"),
    ("late", "compliance: late reports"),
    ("queue_count", "finance queue: count"),
    ("queue_ids", "finance queue: page ids"),
    ("queue_details", "finance queue: details"),
    ("items_page", "item list: page"),
    ("items_count", "item list: count"),
)
# what a request runs, for the totals under the summary
TOTALS = (
    ("overview: item figures + disbursed", ("figures", "disbursed")),
    ("finance queue: count + page ids", ("queue_count", "queue_ids")),
    ("item list: page + count", ("items_page", "items_count")),
)


@dataclasses.dataclass(frozen=True)
class Measured:
    key: str
    side: str
    title: str
    median_ms: float
    rows: int


# --- before: the pre-issue-16 statements, kept for comparison ------------------------------


def before_statements(actor: "Actor", scope: "MonthScope", year: int) -> dict[str, "Select[Any]"]:
    """The statements issue 16 replaced, as commit 8838cfa's
    ``overview/repository.py`` and ``budget_items/repository.py`` built them, for ``scope``
    and ``actor``. Not the application's code any more: kept here to measure against."""
    from sqlalchemy import (
        BigInteger,
        ColumnElement,
        and_,
        case,
        cast,
        false,
        func,
        not_,
        or_,
        select,
    )

    from perfbudget.budget_items.models import BudgetItem, ItemKind, ItemStatus
    from perfbudget.budget_items.repository import _readable, visible
    from perfbudget.fiscal_years.models import FiscalYear
    from perfbudget.monitoring.models import (
        UNSUBMITTED,
        Light,
        MonitoringReport,
        Rectification,
        RectificationStatus,
    )
    from perfbudget.orgs.models import Organisation
    from perfbudget.overview.schemas import QueueFilter
    from perfbudget.pagination import sort_order
    from perfbudget.payments.models import Disbursement, SpendingPlanMonth

    def cents(column: Any) -> ColumnElement[int]:
        return cast(func.round(column * 100), BigInteger)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(case((condition, 1)))

    def total(condition: ColumnElement[bool], value: ColumnElement[int]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    def seen(query: Any) -> "Select[Any]":
        """``visible``, for selects of several columns (as the old ``_visible``)."""
        result: Select[Any] = visible(query, actor)
        return result

    def funded(kinds: Iterable[ItemKind]) -> ColumnElement[bool]:
        kinds = tuple(kinds)
        return and_(
            BudgetItem.fiscal_year_id == scope.fiscal_year_id,
            BudgetItem.status == ItemStatus.funded,
            BudgetItem.kind.in_(kinds) if kinds else false(),
        )

    owes = or_(BudgetItem.decided_at.is_(None), BudgetItem.decided_at < scope.funded_before)
    filed = and_(MonitoringReport.id.is_not(None), MonitoringReport.status.not_in(UNSUBMITTED))
    overdue = and_(
        BudgetItem.kind.in_(scope.overdue_kinds) if scope.overdue_kinds else false(),
        or_(MonitoringReport.id.is_(None), MonitoringReport.status.in_(UNSUBMITTED)),
    )
    month_report = and_(
        MonitoringReport.item_id == BudgetItem.id,
        MonitoringReport.fiscal_year_id == scope.fiscal_year_id,
        MonitoringReport.month == scope.month,
    )
    statements: dict[str, Select[Any]] = {}

    # the overview: every funded item of the year ⟕ its month's report ⟕ its plan month
    submitted = and_(owes, filed)
    money = BudgetItem.kind.in_(scope.money_kinds)
    planned = SpendingPlanMonth.id.is_not(None)
    statements["figures"] = seen(
        select(
            BudgetItem.organisation_id,
            func.count(BudgetItem.id).label("items"),
            count(owes).label("due"),
            count(not_(owes)).label("funded_after_month"),
            count(submitted).label("submitted"),
            count(and_(owes, overdue)).label("overdue"),
            count(and_(submitted, MonitoringReport.late.is_(True))).label("late"),
            *(
                count(and_(submitted, MonitoringReport.item_light == light)).label(light.value)
                for light in Light
            ),
            total(money, cents(BudgetItem.approved_amount)).label("approved"),
            total(and_(money, planned), cents(SpendingPlanMonth.cumulative_amount)).label(
                "planned"
            ),
            total(and_(money, ~planned), cents(BudgetItem.approved_amount)).label("unplanned"),
        )
        .outerjoin(MonitoringReport, month_report)
        .outerjoin(
            SpendingPlanMonth,
            and_(
                SpendingPlanMonth.item_id == BudgetItem.id,
                SpendingPlanMonth.month == scope.month,
            ),
        )
        .where(funded(scope.kinds))
        .group_by(BudgetItem.organisation_id),
    )
    # ... and every disbursement of the year's funded projects and policies, summed apart
    statements["disbursed"] = seen(
        select(
            BudgetItem.organisation_id,
            func.coalesce(func.sum(cents(Disbursement.amount)), 0).label("disbursed"),
        )
        .join(Disbursement, Disbursement.item_id == BudgetItem.id)
        .where(funded(scope.money_kinds), Disbursement.paid_on < scope.paid_before)
        .group_by(BudgetItem.organisation_id),
    )
    waiting = Rectification.status.in_((RectificationStatus.open, RectificationStatus.rejected))
    statements["rectifications"] = seen(
        select(
            BudgetItem.organisation_id,
            func.count(Rectification.id).label("rectifications_open"),
            count(and_(waiting, Rectification.deadline < scope.today)).label(
                "rectifications_overdue"
            ),
        )
        .join(Rectification, Rectification.item_id == BudgetItem.id)
        .where(
            BudgetItem.fiscal_year_id == scope.fiscal_year_id,
            Rectification.status != RectificationStatus.accepted,
        )
        .group_by(BudgetItem.organisation_id),
    )

    # compliance: the year's funded items ⟕ their month's reports
    def listing(*columns: Any) -> "Select[Any]":
        query = (
            select(
                BudgetItem.id.label("item_id"),
                BudgetItem.code.label("item_code"),
                BudgetItem.name.label("item_name"),
                BudgetItem.kind,
                Organisation.id.label("organisation_id"),
                Organisation.code.label("organisation_code"),
                Organisation.name_zh.label("organisation_name_zh"),
                MonitoringReport.id.label("report_id"),
                MonitoringReport.status.label("report_status"),
                MonitoringReport.due_on,
                *columns,
            )
            .join(Organisation, Organisation.id == BudgetItem.organisation_id)
            .order_by(Organisation.code, BudgetItem.id)
        )
        return seen(query)

    statements["missing"] = (
        listing()
        .outerjoin(MonitoringReport, month_report)
        .where(funded(scope.kinds), owes, overdue)
    )
    statements["late"] = (
        listing(MonitoringReport.submitted_at)
        .join(MonitoringReport, month_report)
        .where(funded(scope.kinds), owes, filed, MonitoringReport.late.is_(True))
    )

    # the finance queue: the reports in the status joined to their items, for finance too
    queue = QueueFilter(limit=100)
    reports = visible(
        select(MonitoringReport.id).join(BudgetItem, BudgetItem.id == MonitoringReport.item_id),
        actor,
    ).where(MonitoringReport.status == queue.status)
    statements["queue_count"] = select(func.count()).select_from(reports.subquery())
    statements["queue_ids"] = (
        reports.order_by(
            *sort_order(
                queue.sort, {"submitted_at": MonitoringReport.submitted_at}, MonitoringReport.id
            )
        )
        .limit(queue.limit)
        .offset(queue.offset)
    )

    # the item list: the year by IN, a page in id order, then the count
    def of_year(query: "Select[Any]") -> "Select[Any]":
        result: Select[Any] = visible(query, actor).where(
            BudgetItem.fiscal_year_id.in_(select(FiscalYear.id).where(FiscalYear.year == year))
        )
        return result

    statements["items_page"] = (
        of_year(_readable())
        .order_by(*sort_order("id", {"id": BudgetItem.id}, BudgetItem.id))
        .limit(100)
        .offset(0)
    )
    statements["items_count"] = select(func.count()).select_from(
        of_year(select(BudgetItem.id)).subquery()
    )
    return statements


BEFORE_TITLES = {
    "figures": "pre-issue-16 overview.repository.item_figures: funded items ⟕ month's report"
    " ⟕ spending-plan month",
    "disbursed": "pre-issue-16 overview.repository.disbursed: funded items ⋈ disbursements",
    "rectifications": "pre-issue-16 overview.repository.open_rectifications: status != accepted",
    "missing": "pre-issue-16 overview.repository.missing_reports: funded items ⟕ month's report",
    "late": "pre-issue-16 overview.repository.late_reports: funded items ⋈ month's report",
    "queue_count": "pre-issue-16 queue_page count: reports ⋈ budget_items, finance_review",
    "queue_ids": "pre-issue-16 queue_page page ids: reports ⋈ budget_items, finance_review",
    "items_page": "pre-issue-16 budget_items list_page: fiscal_year_id IN (…) ORDER BY id"
    " LIMIT 100",
    "items_count": "pre-issue-16 budget_items count: fiscal_year_id IN (…)",
}


# --- measuring --------------------------------------------------------------------------


def plan(connection: "Connection", sql: str, postgres: bool) -> list[str]:
    if postgres:
        return [
            str(row[0]) for row in connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        ]
    lines, depth = [], {0: -1}
    for node, parent, _, detail in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql):
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


def measure(
    connection: "Connection", key: str, side: str, title: str, sql: str, show_sql: bool
) -> Measured:
    postgres = connection.dialect.name == "postgresql"
    samples, rows = [], 0
    for _ in range(REPEAT):
        started = time.perf_counter()
        rows = len(connection.exec_driver_sql(sql).all())
        samples.append((time.perf_counter() - started) * 1000)
    measured = Measured(key, side, title, statistics.median(samples), rows)
    print(f"### [{side}] {dict(ROWS)[key]}")
    print(f"{title}")
    print(f"median {measured.median_ms:.1f} ms of {REPEAT}, {rows} rows")
    if show_sql:
        shown = sql.replace("%%", "%") if postgres else sql  # psycopg's escaping, undone
        print("\n".join("  | " + line for line in shown.splitlines()))
    print("\n".join("    " + line for line in plan(connection, sql, postgres)))
    print()
    return measured


def literal(engine: "Engine", statement: Any) -> str:
    return str(statement.compile(engine, compile_kwargs={"literal_binds": True}))


def summary(measured: list[Measured]) -> None:
    found = {(entry.key, entry.side): entry for entry in measured}

    def cell(keys: Iterable[str], side: str, value: Callable[[Measured], float]) -> str:
        entries = [found[key, side] for key in keys if (key, side) in found]
        if not entries:
            return "—"
        figure = sum(value(entry) for entry in entries)
        return f"{figure:.1f}" if isinstance(figure, float) else str(figure)

    print("## summary (median ms; rows returned)")
    print()
    print("| statement | before ms | after ms | before rows | after rows |")
    print("|---|---:|---:|---:|---:|")
    for key, label in ROWS:
        print(
            f"| {label} | {cell([key], BEFORE, lambda e: e.median_ms)}"
            f" | {cell([key], AFTER, lambda e: e.median_ms)}"
            f" | {cell([key], BEFORE, lambda e: e.rows)} | {cell([key], AFTER, lambda e: e.rows)} |"
        )
    for label, keys in TOTALS:
        print(
            f"| **{label}** | {cell(keys, BEFORE, lambda e: e.median_ms)}"
            f" | {cell(keys, AFTER, lambda e: e.median_ms)} | | |"
        )
    print()
    print(
        "after, —: disbursed is a column of item_figures; the item list's total rides in its"
        " page; the queue's details statement did not change."
    )


# --- the run -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.explain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--year", type=int, help="Default: the year being executed")
    parser.add_argument("--month", type=int, default=12)
    parser.add_argument("--sql", action="store_true", help="Print each statement too")
    args = parser.parse_args(argv)
    os.environ["PERFBUDGET_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PERFBUDGET_SECRET_KEY", "bench-explain-" + "x" * 40)

    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    import perfbudget.models  # noqa: F401 - every table registered on the metadata
    from perfbudget.budget_items import repository as items_repository
    from perfbudget.budget_items.schemas import BudgetItemFilter
    from perfbudget.db import SQLITE_READING, make_engine
    from perfbudget.overview import repository, service
    from perfbudget.overview.schemas import QueueFilter
    from perfbudget.principal import Actor, Role

    engine = make_engine(args.database_url)
    postgres = engine.dialect.name == "postgresql"
    finance = dataclasses.replace(Actor.system("bench"), role=Role.finance)
    captured: list[Any] = []

    def capture(*arguments: Any) -> None:
        context = arguments[4]
        compiled = getattr(context, "compiled", None)
        if compiled is not None and getattr(compiled.statement, "is_select", False):
            captured.append(compiled.statement)

    measured: list[Measured] = []
    with Session(engine) as session:
        # a reading transaction: BEGIN (not IMMEDIATE) on SQLite, READ ONLY on PostgreSQL
        connection = session.connection(execution_options={SQLITE_READING: True})
        connection.exec_driver_sql(
            "SET TRANSACTION READ ONLY" if postgres else "PRAGMA query_only = ON"
        )
        try:
            year = args.year or session.scalar(
                text("SELECT max(year) FROM fiscal_years WHERE status = 'executing'")
            )
            if year is None:
                parser.error("no fiscal year is being executed: give --year")
            scope, _ = service._month(session, int(year), args.month)
            print(f"# {engine.dialect.name}, {year}-{args.month:02d}, as finance")
            print(
                f"kinds monitored {[kind.value for kind in scope.kinds]}, overdue"
                f" {[kind.value for kind in scope.overdue_kinds]}, today {scope.today}"
            )
            print()

            print("## before: the pre-issue-16 statements, rebuilt here for comparison")
            print()
            for key, statement in before_statements(finance, scope, int(year)).items():
                sql = literal(engine, statement)
                measured.append(measure(connection, key, BEFORE, BEFORE_TITLES[key], sql, args.sql))

            print("## after: the application's statements, as executed")
            print()
            calls: list[tuple[tuple[str, ...], str, Callable[[], object]]] = [
                (
                    ("figures",),
                    "overview.repository.item_figures (read model)",
                    lambda: repository.item_figures(session, finance, scope),
                ),
                (
                    ("rectifications",),
                    "overview.repository.open_rectifications",
                    lambda: repository.open_rectifications(session, finance, scope),
                ),
                (
                    ("missing",),
                    "overview.repository.missing_reports",
                    lambda: repository.missing_reports(session, finance, scope),
                ),
                (
                    ("late",),
                    "overview.repository.late_reports",
                    lambda: repository.late_reports(session, finance, scope),
                ),
                (
                    ("queue_count", "queue_ids", "queue_details"),
                    "overview.repository.queue_page, QueueFilter(limit=100)",
                    lambda: repository.queue_page(session, finance, QueueFilter(limit=100)),
                ),
                (
                    ("items_page", "items_count"),
                    f"budget_items.repository.list_page, BudgetItemFilter(fiscal_year={year},"
                    " limit=100)",
                    lambda: items_repository.list_page(
                        session, finance, BudgetItemFilter(fiscal_year=int(year), limit=100)
                    ),
                ),
            ]
            event.listen(engine, "before_cursor_execute", capture)
            try:
                for keys, title, call in calls:
                    captured.clear()
                    call()
                    statements = list(captured)
                    if len(statements) > len(keys):
                        raise RuntimeError(f"{title}: {len(statements)} statements, not {keys}")
                    for index, statement in enumerate(statements):
                        sql = literal(engine, statement)
                        number = f", statement {index + 1} of {len(statements)}"
                        measured.append(
                            measure(
                                connection,
                                keys[index],
                                AFTER,
                                title + (number if len(statements) > 1 else ""),
                                sql,
                                args.sql,
                            )
                        )
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            summary(measured)
        finally:
            session.rollback()
    engine.dispose()  # closes the connection, and its query_only with it
    return 0


if __name__ == "__main__":
    sys.exit(main())

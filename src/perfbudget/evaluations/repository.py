"""Self-evaluation queries. An evaluation is reached through its budget item, so it is seen
exactly by those who may see the item (``budget_items.repository.visible``)."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from perfbudget.db import insert_many, replace_children, update_many
from perfbudget.evaluations.models import EvaluationLine, EvaluationStatus, SelfEvaluation
from perfbudget.monitoring.models import MonitoringReport, ReportLine
from perfbudget.users.models import User


def add(session: Session, evaluation: SelfEvaluation) -> None:
    session.add(evaluation)


def of_item(session: Session, item_id: int) -> SelfEvaluation | None:
    return session.scalars(select(SelfEvaluation).where(SelfEvaluation.item_id == item_id)).first()


def graded_for_items(session: Session, item_ids: Sequence[int]) -> dict[int, SelfEvaluation]:
    """The graded self-evaluations of these items, by item id, in one statement (S2.5);
    their lines load only if touched."""
    if not item_ids:
        return {}
    rows = session.scalars(
        select(SelfEvaluation)
        .options(lazyload(SelfEvaluation.lines))
        .where(
            SelfEvaluation.item_id.in_(item_ids),
            SelfEvaluation.status == EvaluationStatus.graded,
        )
    )
    return {row.item_id: row for row in rows}


def graded_actuals(session: Session, item_id: int) -> dict[int, Decimal]:
    """The final actuals of the item's graded self-evaluation, by target line, in one
    statement (what last year reached, for next year's filing checks)."""
    rows = session.execute(
        select(EvaluationLine.target_line_id, EvaluationLine.final_actual)
        .join(SelfEvaluation, SelfEvaluation.id == EvaluationLine.evaluation_id)
        .where(
            SelfEvaluation.item_id == item_id,
            SelfEvaluation.status == EvaluationStatus.graded,
            EvaluationLine.final_actual.is_not(None),
        )
    )
    return {line_id: actual for line_id, actual in rows if actual is not None}


def monitoring_history(session: Session, item_id: int) -> dict[int, list[tuple[int, Decimal]]]:
    """Cumulative actuals the item's submitted monthly reports gave, by target line and
    month (for the plausibility check)."""
    return monitoring_histories(session, [item_id]).get(item_id, {})


def monitoring_histories(
    session: Session, item_ids: Sequence[int]
) -> dict[int, dict[int, list[tuple[int, Decimal]]]]:
    """``monitoring_history`` of many items, by item, in one statement."""
    histories: dict[int, dict[int, list[tuple[int, Decimal]]]] = {}
    if not item_ids:
        return histories
    rows = session.execute(
        select(
            MonitoringReport.item_id,
            ReportLine.target_line_id,
            MonitoringReport.month,
            ReportLine.actual,
        )
        .join(MonitoringReport, MonitoringReport.id == ReportLine.report_id)
        .where(
            MonitoringReport.item_id.in_(item_ids),
            MonitoringReport.submitted_at.is_not(None),
            ReportLine.actual.is_not(None),
        )
        .order_by(MonitoringReport.item_id, MonitoringReport.month)
    )
    for item_id, line_id, month, actual in rows:
        if actual is not None:
            histories.setdefault(item_id, {}).setdefault(line_id, []).append((month, actual))
    return histories


def of_items(
    session: Session, item_ids: Sequence[int], *, lock: bool = False
) -> dict[int, SelfEvaluation]:
    """The self-evaluations of these items, without their lines, in one statement; with
    ``lock`` they stay locked until the commit (PostgreSQL)."""
    if not item_ids:
        return {}
    query = (
        select(SelfEvaluation)
        .options(lazyload(SelfEvaluation.lines))
        .where(SelfEvaluation.item_id.in_(item_ids))
        .order_by(SelfEvaluation.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return {row.item_id: row for row in session.scalars(query)}


def insert_evaluations(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """New self-evaluations by one bulk statement; their ids in the order of ``rows``."""
    return insert_many(session, SelfEvaluation, rows)


def update_evaluations(session: Session, rows: list[dict[str, Any]]) -> None:
    """Stored self-evaluations changed (each row names ``id`` and the ``version`` read)."""
    update_many(session, SelfEvaluation, rows)


def replace_lines(
    session: Session, evaluation_ids: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    """The evaluations' lines are ``rows`` (each naming its ``evaluation_id``) and no others."""
    replace_children(session, EvaluationLine, EvaluationLine.evaluation_id, evaluation_ids, rows)


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)

"""Self-evaluation queries. An evaluation is reached through its budget item, so it is seen
exactly by those who may see the item (``budget_items.repository.visible``)."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
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


def monitoring_history(session: Session, item_id: int) -> dict[int, list[tuple[int, Decimal]]]:
    """Cumulative actuals the item's submitted monthly reports gave, by target line and
    month (for the plausibility check)."""
    rows = session.execute(
        select(ReportLine.target_line_id, MonitoringReport.month, ReportLine.actual)
        .join(MonitoringReport, MonitoringReport.id == ReportLine.report_id)
        .where(
            MonitoringReport.item_id == item_id,
            MonitoringReport.submitted_at.is_not(None),
            ReportLine.actual.is_not(None),
        )
        .order_by(MonitoringReport.month)
    )
    history: dict[int, list[tuple[int, Decimal]]] = {}
    for line_id, month, actual in rows:
        if actual is not None:
            history.setdefault(line_id, []).append((month, actual))
    return history


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)

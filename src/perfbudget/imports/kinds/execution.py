"""Execution uploads: the treasury's disbursements (S2.3.2) and monthly monitoring (S2.3.1)."""

from collections.abc import Sequence
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from perfbudget.auth.policy import Permission
from perfbudget.bulk import Batch
from perfbudget.imports.kinds.base import (
    Column,
    ImportKind,
    Kind,
    Options,
    Requests,
    Row,
    RowErrors,
    per_object,
    per_row,
)
from perfbudget.monitoring import batch as monitoring_batch
from perfbudget.monitoring.models import QualitativeStatus
from perfbudget.monitoring.schemas import ReportDraft, ReportLineIn
from perfbudget.payments import batch as payment_batch
from perfbudget.payments.models import DisbursementSource
from perfbudget.payments.schemas import DisbursementCreate
from perfbudget.principal import Actor
from perfbudget.schemas import Money, RowId, Text

# --- disbursements (the treasury feed, S2.3.2) --------------------------------------------


class DisbursementRow(DisbursementCreate):
    item_id: RowId
    source: DisbursementSource = DisbursementSource.treasury


def _payments(rows: Sequence[Row], options: Options, errors: RowErrors) -> Requests:
    return per_row(
        rows,
        lambda number, row: payment_batch.Entry(
            number,
            row.item_id,
            DisbursementCreate.model_validate(row.model_dump(exclude={"item_id"})),
        ),
    )


def _check_payments(
    session: Session, actor: Actor, entries: Sequence[Any], options: Options, lock: bool
) -> Batch[Any]:
    return payment_batch.plan(session, actor, entries, lock=lock)


DISBURSEMENTS = Kind(
    ImportKind.disbursements,
    "拨款记录",
    Permission.payment_write,
    DisbursementRow,
    (
        Column("item_id", "项目编号", 1, required=True),
        Column("amount", "拨款金额（元）", "150000.00", required=True),
        Column("paid_on", "拨款日期", "2027-03-15", required=True),
        Column("purpose", "用途", "拨付项目首期资金", required=True),
        Column("external_reference", "国库支付凭证号", "GK2027-000123"),
        Column("source", "来源", "treasury", choices=DisbursementSource),
    ),
    {
        "NOT_FOUND": "item_id",
        "ITEM_NOT_FUNDED": "item_id",
        "ITEM_STOPPED": "item_id",
        "PAYMENT_HOLD": "item_id",
        "DISBURSEMENT_DATE_OUTSIDE_YEAR": "paid_on",
        "DUPLICATE_REFERENCE": "external_reference",
        "BUDGET_EXCEEDED": "amount",
    },
    requests=_payments,
    check=_check_payments,
)


# --- monthly monitoring reports (S2.3.1): one row per target line -----------------------

REPORT_FIELDS = (
    "cumulative_execution",
    "target_expected",
    "deviation_reasons",
    "corrective_measures",
)
LINE_FIELDS = ("target_line_id", "actual", "qualitative_status", "year_target_expected", "note")


class MonitoringRow(ReportLineIn):
    item_id: RowId
    month: int = Field(ge=1, le=12)
    version: RowId | None = Field(default=None, ge=1)
    cumulative_execution: Money | None = Field(default=None, ge=0)
    target_expected: bool = True
    deviation_reasons: Text = Field(default="", max_length=20000)
    corrective_measures: Text = Field(default="", max_length=20000)


def _draft(rows: list[MonitoringRow]) -> ReportDraft:
    return ReportDraft(
        version=rows[0].version,
        lines=[
            ReportLineIn.model_validate(row.model_dump(include=set(LINE_FIELDS))) for row in rows
        ],
        **{name: getattr(rows[0], name) for name in REPORT_FIELDS},
    )


def _report_key(row: Any) -> tuple[int, int]:
    return (row.item_id, row.month)


def _reports(rows: Sequence[Row], options: Options, errors: RowErrors) -> Requests:
    return per_object(
        rows,
        errors,
        key=_report_key,
        shared=(*REPORT_FIELDS, "version"),
        build=_draft,
        entry=lambda key, draft: monitoring_batch.Entry(key, key[0], key[1], draft),
    )


def _check_reports(
    session: Session, actor: Actor, entries: Sequence[Any], options: Options, lock: bool
) -> Batch[Any]:
    return monitoring_batch.plan(session, actor, entries, submit=options.submit, lock=lock)


MONITORING_REPORTS = Kind(
    ImportKind.monitoring_reports,
    "月度绩效监控报告",
    Permission.monitoring_write,
    MonitoringRow,
    (
        Column("item_id", "项目编号", 1, required=True),
        Column("month", "月份", 6, required=True),
        Column("cumulative_execution", "累计执行数（元）", "500000.00"),
        Column("target_expected", "预计完成年度目标", "是", boolean=True),
        Column("deviation_reasons", "偏差原因", ""),
        Column("corrective_measures", "纠偏措施", ""),
        Column("target_line_id", "绩效指标编号", 1, required=True),
        Column("actual", "累计实际值", "250"),
        Column("qualitative_status", "定性指标达成情况", "", choices=QualitativeStatus),
        Column("year_target_expected", "该指标预计全年达成", "是", boolean=True),
        Column("note", "备注", ""),
        Column("version", "报告版本号", ""),
    ),
    {
        "NOT_FOUND": "item_id",
        "REPORT_NOT_APPLICABLE": "month",
        "MONTH_NOT_ENDED": "month",
        "EXECUTION_EXCEEDS_APPROVED": "cumulative_execution",
        "TARGET_LINE_UNKNOWN": "target_line_id",
        "TARGET_LINE_DUPLICATE": "target_line_id",
        "LINE_VALUE_MISMATCH": "target_line_id",
        "NEGATIVE_ACTUAL": "actual",
        "VERSION_CONFLICT": "version",
        "VERSION_REQUIRED": "version",
    },
    requests=_reports,
    check=_check_reports,
)

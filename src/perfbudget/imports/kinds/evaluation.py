"""Self-evaluation uploads."""

from collections.abc import Sequence
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from perfbudget.auth.policy import Permission
from perfbudget.bulk import Batch
from perfbudget.evaluations import batch as evaluation_batch
from perfbudget.evaluations.schemas import EvaluationDraft, EvaluationLineIn, Sections
from perfbudget.imports.kinds.base import (
    Column,
    ImportKind,
    Kind,
    Options,
    Requests,
    Row,
    RowErrors,
    by_item,
    per_object,
)
from perfbudget.monitoring.models import QualitativeStatus
from perfbudget.principal import Actor
from perfbudget.schemas import Money, RowId, Text

# --- self-evaluation (S2.4): the year's final actuals, one row per target line ------------

SECTION_FIELDS = tuple(Sections.model_fields)
EVALUATION_FIELDS = ("final_execution", *SECTION_FIELDS, "version")


class EvaluationRow(EvaluationLineIn):
    item_id: RowId
    final_execution: Money | None = Field(default=None, ge=0)
    overview: Text = Field(default="", max_length=20000)
    achievements: Text = Field(default="", max_length=20000)
    problems: Text = Field(default="", max_length=20000)
    improvements: Text = Field(default="", max_length=20000)
    version: RowId | None = Field(default=None, ge=1)


def _draft(rows: list[EvaluationRow]) -> EvaluationDraft:
    first = rows[0]
    return EvaluationDraft(
        version=first.version,
        final_execution=first.final_execution,
        sections=Sections.model_validate(first.model_dump(include=set(SECTION_FIELDS))),
        lines=[
            EvaluationLineIn.model_validate(
                row.model_dump(include=set(EvaluationLineIn.model_fields))
            )
            for row in rows
        ],
    )


def _evaluations(rows: Sequence[Row], options: Options, errors: RowErrors) -> Requests:
    return per_object(
        rows,
        errors,
        key=by_item,
        shared=EVALUATION_FIELDS,
        build=_draft,
        entry=lambda item_id, data: evaluation_batch.Entry(item_id, item_id, data),
    )


def _check_evaluations(
    session: Session, actor: Actor, entries: Sequence[Any], options: Options, lock: bool
) -> Batch[Any]:
    return evaluation_batch.plan(session, actor, entries, submit=options.submit, lock=lock)


SELF_EVALUATION_ACTUALS = Kind(
    ImportKind.self_evaluation_actuals,
    "绩效自评实际值",
    Permission.evaluation_write,
    EvaluationRow,
    (
        Column("item_id", "项目编号", 1, required=True),
        Column("final_execution", "全年执行数（元）", "950000.00"),
        Column("overview", "项目概况", "项目按计划实施"),
        Column("achievements", "绩效目标完成情况", "完成培训任务"),
        Column("problems", "存在的问题及原因", ""),
        Column("improvements", "改进措施", ""),
        Column("target_line_id", "绩效指标编号", 1, required=True),
        Column("final_actual", "全年实际值", "500"),
        Column("qualitative_status", "定性指标达成情况", "", choices=QualitativeStatus),
        Column("qualitative_share", "定性指标得分比例（%）", ""),
        Column("explanation", "偏差说明", ""),
        Column("version", "自评版本号", ""),
    ),
    {
        "NOT_FOUND": "item_id",
        "EVALUATION_NOT_EDITABLE": "item_id",
        "EXECUTION_EXCEEDS_APPROVED": "final_execution",
        "EVALUATION_NOT_OPEN": "item_id",
        "EVALUATION_NOT_APPLICABLE": "item_id",
        "EXPLANATION_REQUIRED": "explanation",
        "QUALITATIVE_SHARE_OUT_OF_BAND": "qualitative_share",
        "NEGATIVE_ACTUAL": "final_actual",
        "TARGET_LINE_UNKNOWN": "target_line_id",
        "TARGET_LINE_DUPLICATE": "target_line_id",
        "LINE_VALUE_MISMATCH": "target_line_id",
        "VERSION_CONFLICT": "version",
        "VERSION_REQUIRED": "version",
    },
    requests=_evaluations,
    check=_check_evaluations,
)

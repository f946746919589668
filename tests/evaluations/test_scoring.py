"""The scoring formulas of DOMAIN §3, table-driven, exact to the cent."""

from decimal import Decimal

import pytest

from perfbudget.evaluations import scoring
from perfbudget.evaluations.models import Grade
from perfbudget.evaluations.review import consequence
from perfbudget.fiscal_years.parameters import GradeBands, Plausibility, QualitativeBands
from perfbudget.indicators.models import Direction
from perfbudget.monitoring.models import QualitativeStatus as Q

D = Decimal
BANDS = QualitativeBands()
THRESHOLD = D("120")


def line(direction: str, target: str | None, actual: str | None, weight: str = "30", **kw):
    return scoring.LineAnswer(
        target_line_id=1,
        name="指标",
        direction=Direction(direction),
        weight=D(weight),
        target_value=None if target is None else D(target),
        final_actual=None if actual is None else D(actual),
        **kw,
    )


@pytest.mark.parametrize(
    ("direction", "target", "actual", "points", "below", "over"),
    [
        # positive: actual ≥ target full, else actual ÷ target × weight
        ("gte", "500", "500", "30.00", False, False),
        ("gte", "500", "700", "30.00", False, True),
        ("gte", "500", "599", "30.00", False, False),  # 119.8 %: below the threshold
        ("gte", "500", "600", "30.00", False, True),  # 120 %: from the threshold
        ("gte", "500", "599.98", "30.00", False, True),  # 119.996 % is shown 120.00 %
        ("gte", "500", "599.97", "30.00", False, False),  # 119.994 % is shown 119.99 %
        ("gte", "500", "250", "15.00", True, False),
        ("gt", "3", "1", "10.00", True, False),  # 10 exactly
        ("gte", "3", "2", "20.00", True, False),  # 19.999… rounds half-up to 20.00
        ("gte", "600", "1", "0.05", True, False),  # 0.05
        ("gte", "800", "1", "0.04", True, False),  # 0.0375 → 0.04 (half-up)
        ("gte", "1600", "1", "0.02", True, False),  # 0.01875 → 0.02
        ("gte", "2400", "1", "0.01", True, False),  # 0.0125 → 0.01
        ("eq", "100", "90", "27.00", True, False),
        ("eq", "100", "100", "30.00", False, False),
        ("gte", "500", "-5", "0.00", True, False),  # never below 0
        ("gte", "0", "0", "30.00", False, False),
        ("gte", "0", "-1", "0.00", True, False),
        # reverse: ≤ target full; up to 2 × target linear; from 2 × target 0
        ("lte", "100", "100", "30.00", False, False),
        ("lte", "100", "80", "30.00", False, False),
        ("lte", "100", "110", "27.00", True, False),
        ("lt", "100", "150", "15.00", True, False),
        ("lte", "100", "199", "0.30", True, False),
        ("lte", "100", "200", "0.00", True, False),
        ("lte", "100", "350", "0.00", True, False),
        ("lte", "3", "4", "20.00", True, False),  # (1 − 1/3) × 30 = 19.999…
        # target 0 with = or reverse: full when actual ≤ 0, else 0
        ("eq", "0", "0", "30.00", False, False),
        ("eq", "0", "0.0001", "0.00", True, False),
        ("lte", "0", "0", "30.00", False, False),
        ("lt", "0", "-2", "30.00", False, False),
        ("lte", "0", "1", "0.00", True, False),
    ],
)
def test_quantitative_lines(direction, target, actual, points, below, over):
    result = scoring.line_score(line(direction, target, actual), BANDS, THRESHOLD)
    assert result.points == D(points)
    assert (result.below_target, result.over_achieved) == (below, over)
    assert scoring.needs_explanation(result) is (below or over)
    assert result.formula_zh and result.formula_en and result.inputs["actual"]


def test_a_score_floored_at_0_or_capped_at_the_weight_says_so():
    floored = scoring.line_score(line("gte", "500", "-5"), BANDS, THRESHOLD)
    assert floored.points == D("0.00")
    assert floored.formula_en == "actual ÷ target × weight = -5 ÷ 500 × 30 = -0.30 → 0.00"
    assert "a score is never below 0: -0.30 counts as 0" in floored.explanation_en
    assert "得分不低于 0 分：计算值 -0.30 按 0 分计" in floored.explanation_zh
    capped = scoring.execution_score(D("10"), D("1200000.00"), D("1000000.00"))
    assert capped.points == D("10.00")
    assert capped.formula_zh == "执行数 ÷ 批复数 × 分值 = 1200000 ÷ 1000000 × 10 = 12.00 → 10.00"
    assert "得分不超过分值 10：计算值 12.00 按 10.00 分计" in capped.explanation_zh
    plain = scoring.line_score(line("gte", "500", "250"), BANDS, THRESHOLD)
    assert "→" not in plain.formula_en and "never" not in plain.explanation_en


def test_an_unanswered_line_is_scored_only_in_a_preview():
    unanswered = line("gte", "500", None)
    with pytest.raises(ValueError, match="unanswered"):
        scoring.line_score(unanswered, BANDS, THRESHOLD)
    listed = scoring.line_score(unanswered, BANDS, THRESHOLD, preview=True)
    assert (listed.points, listed.answered, listed.below_target) == (D("0.00"), False, False)


@pytest.mark.parametrize(
    ("status", "share", "points"),
    [
        (Q.achieved, "100", "30.00"),
        (Q.achieved, "80", "24.00"),
        (Q.partially_achieved, "80", "24.00"),
        (Q.partially_achieved, "60", "18.00"),
        (Q.partially_achieved, "66.67", "20.00"),  # 20.001 → 20.00
        (Q.not_achieved, "60", "18.00"),
        (Q.not_achieved, "0", "0.00"),
        (Q.not_achieved, "33.35", "10.01"),  # 10.005 → 10.01 (half-up)
    ],
)
def test_qualitative_lines_score_the_share_in_band(status, share, points):
    answer = line("qualitative", None, None, qualitative_status=status, qualitative_share=D(share))
    result = scoring.line_score(answer, BANDS, THRESHOLD)
    assert result.points == D(points)
    assert result.below_target is (status is not Q.achieved)


@pytest.mark.parametrize(
    ("status", "share"),
    [
        (Q.achieved, "79.99"),
        (Q.partially_achieved, "80.01"),
        (Q.partially_achieved, "59.99"),
        (Q.not_achieved, "60.01"),
    ],
)
def test_a_share_outside_its_band_is_refused(status, share):
    answer = line("qualitative", None, None, qualitative_status=status, qualitative_share=D(share))
    with pytest.raises(scoring.ShareOutOfBand):
        scoring.line_score(answer, BANDS, THRESHOLD)


@pytest.mark.parametrize(
    ("execution", "approved", "points"),
    [
        ("1000000", "1000000", "10.00"),
        ("900000", "1000000", "9.00"),
        ("0", "1000000", "0.00"),
        ("333333.33", "1000000", "3.33"),
        ("666666.67", "1000000", "6.67"),
        ("1", "0", "0.00"),
        ("1200000", "1000000", "10.00"),  # never more than the weight
    ],
)
def test_budget_execution(execution, approved, points):
    assert scoring.execution_score(D("10"), D(execution), D(approved)).points == D(points)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", Grade.excellent),
        ("90.00", Grade.excellent),
        ("89.99", Grade.good),
        ("80.00", Grade.good),
        ("79.99", Grade.fair),
        ("60.00", Grade.fair),
        ("59.99", Grade.poor),
        ("0", Grade.poor),
    ],
)
def test_grade_boundaries(score, grade):
    assert scoring.grade_of(D(score), GradeBands()) is grade


def test_grade_bands_come_from_the_parameters():
    bands = GradeBands(excellent_from=D("95"), good_from=D("85"), fair_from=D("70"))
    assert scoring.grade_of(D("94.99"), bands) is Grade.good
    assert scoring.grade_of(D("69.99"), bands) is Grade.poor


@pytest.mark.parametrize(
    ("grade", "result"),
    [
        (Grade.excellent, "support"),
        (Grade.good, "support"),
        (Grade.fair, "rectify"),
        (Grade.poor, "reduce_or_cancel"),
    ],
)
def test_consequences(grade, result):
    assert consequence(grade).value == result


def test_the_total_is_the_sum_of_the_rounded_lines():
    # three lines of 19.999… each: exactly 59.99…, but 3 × 20.00 = 60.00 by the rule
    answers = [line("gte", "3", "2", "30") for _ in range(3)]
    card = scoring.score(
        execution_weight=D("10"),
        final_execution=D("0"),
        approved=D("100"),
        lines=answers,
        bands=BANDS,
        grade_bands=GradeBands(),
        over_achievement_threshold=THRESHOLD,
    )
    assert card.indicator_points == D("60.00")
    assert card.total == D("60.00")
    assert card.grade is Grade.fair
    document = card.document()
    assert document["total"] == "60.00" and document["grade"] == "fair"
    assert "rounded half up to 0.01" in document["rounding"]
    assert [entry["points"] for entry in document["lines"]] == ["20.00"] * 3


def _card(execution: str, *answers: scoring.LineAnswer) -> scoring.Scorecard:
    return scoring.score(
        execution_weight=D("10"),
        final_execution=D(execution),
        approved=D("1000"),
        lines=answers,
        bands=BANDS,
        grade_bands=GradeBands(),
        over_achievement_threshold=THRESHOLD,
    )


def _codes(card, answers=(), history=None, execution="1000"):
    flags = scoring.plausibility_flags(
        card,
        parameters=Plausibility(),
        final_execution=D(execution),
        approved=D("1000"),
        answers=list(answers),
        history=history or {},
    )
    return [flag["code"] for flag in flags]


@pytest.mark.parametrize(
    ("execution", "codes"),
    [
        ("1000", []),
        ("950", []),  # indicators 100 %, execution 95 %: gap 5, not more
        ("949", ["SCORE_OUT_OF_LINE_WITH_EXECUTION"]),  # 94.9 %: gap 5.1
        ("800", ["SCORE_OUT_OF_LINE_WITH_EXECUTION"]),  # unspent 20 %: not more
        ("799", ["SCORE_OUT_OF_LINE_WITH_EXECUTION", "LARGE_UNSPENT_SHARE"]),
    ],
)
def test_plausibility_of_score_and_execution(execution, codes):
    answer = line("gte", "10", "10", "90")
    assert _codes(_card(execution, answer), execution=execution) == codes


def test_plausibility_against_the_monitoring_history():
    positive = line("gte", "500", "300", "45")
    reverse = scoring.LineAnswer(2, "成本", Direction.lte, D("45"), D("100"), D("90"))
    card = _card("1000", positive, reverse)
    history = {1: [(3, D("200")), (6, D("320"))], 2: [(6, D("95"))]}
    assert _codes(card, [positive, reverse], history) == ["FINAL_CONTRADICTS_MONITORING"]
    history = {1: [(6, D("300"))], 2: [(6, D("80"))]}
    flags = scoring.plausibility_flags(
        card,
        parameters=Plausibility(),
        final_execution=D("1000"),
        approved=D("1000"),
        answers=[positive, reverse],
        history=history,
    )
    assert [(flag["code"], flag["inputs"]["target_line_id"]) for flag in flags] == [
        ("FINAL_CONTRADICTS_MONITORING", 2)
    ]

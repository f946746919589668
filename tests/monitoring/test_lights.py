"""The lights of DOMAIN §3 at every threshold, as pure functions (the API tests follow)."""

from decimal import Decimal

import pytest

from perfbudget.fiscal_years.parameters import ExecutionLight, IndicatorLight
from perfbudget.indicators.models import Direction
from perfbudget.monitoring import lights
from perfbudget.monitoring.models import Light, QualitativeStatus

D = Decimal
EXECUTION = ExecutionLight()
INDICATOR = IndicatorLight()


@pytest.mark.parametrize(
    ("month", "executed", "approved", "planned", "expected", "ratio"),
    [
        # straight line, June: time progress 50 %; the light is read from the ratio shown
        # (rounded half up to 0.01), so a ratio shown as 60.00 is never red
        (6, "300000.00", "1000000.00", None, Light.yellow, "60.00"),  # exactly 60 %
        (6, "299999.99", "1000000.00", None, Light.yellow, "60.00"),  # 59.999998 → 60.00
        (6, "299975.00", "1000000.00", None, Light.yellow, "60.00"),  # 59.995 → 60.00
        (6, "299974.99", "1000000.00", None, Light.red, "59.99"),  # 59.994998 → 59.99
        (6, "400000.00", "1000000.00", None, Light.green, "80.00"),  # exactly 80 %
        (6, "399999.99", "1000000.00", None, Light.green, "80.00"),  # 79.999998 → 80.00
        (6, "399975.00", "1000000.00", None, Light.green, "80.00"),  # 79.995 → 80.00
        (6, "399974.99", "1000000.00", None, Light.yellow, "79.99"),  # 79.994998 → 79.99
        (6, "0.00", "1000000.00", None, Light.red, "0.00"),
        (6, "1000000.00", "1000000.00", None, Light.green, "200.00"),
        # m ÷ 12 that does not terminate: 35 % ÷ 58.33… % is exactly 60 %, not 59.99…
        (7, "420000.00", "1200000.00", None, Light.yellow, "60.00"),
        (7, "419965.00", "1200000.00", None, Light.yellow, "60.00"),  # 59.995
        (7, "419964.99", "1200000.00", None, Light.red, "59.99"),
        (1, "50000.00", "1000000.00", None, Light.yellow, "60.00"),
        (11, "733333.33", "1000000.00", None, Light.green, "80.00"),  # 79.99999…
        (11, "733287.50", "1000000.00", None, Light.green, "80.00"),  # 79.995 exactly
        (11, "733287.49", "1000000.00", None, Light.yellow, "79.99"),
        # a spending plan sets time progress: 600,000 of 1,000,000 planned by the month
        (6, "360000.00", "1000000.00", "600000.00", Light.yellow, "60.00"),
        (6, "359970.00", "1000000.00", "600000.00", Light.yellow, "60.00"),  # 59.995
        (6, "359969.99", "1000000.00", "600000.00", Light.red, "59.99"),
        (6, "480000.00", "1000000.00", "600000.00", Light.green, "80.00"),
        (6, "479970.00", "1000000.00", "600000.00", Light.green, "80.00"),  # 79.995
        (6, "479969.99", "1000000.00", "600000.00", Light.yellow, "79.99"),
        # a plan that is behind the straight line makes the same spending green
        (6, "300000.00", "1000000.00", "350000.00", Light.green, "85.71"),
        # nothing planned yet: no progress is due
        (3, "0.00", "1000000.00", "0.00", Light.green, None),
    ],
)
def test_execution_light(month, executed, approved, planned, expected, ratio):
    result = lights.execution_light(
        EXECUTION,
        month=month,
        cumulative_execution=D(executed),
        approved_amount=D(approved),
        planned_cumulative=None if planned is None else D(planned),
    )
    assert result.light is expected
    assert result.document()["ratio"] == ratio
    assert result.parameters == {"red_below": "60", "yellow_below": "80"}
    assert result.inputs["time_progress_basis"] == ("plan" if planned is not None else "straight")


def test_execution_formula_reads_as_the_rule():
    result = lights.execution_light(
        EXECUTION,
        month=6,
        cumulative_execution=D("450000.00"),
        approved_amount=D("1000000.00"),
    )
    document = result.document()
    assert document["formula"]["zh"] == "执行率 ÷ 时间进度（6 ÷ 12）= 45.00% ÷ 50.00% = 90.00%"
    assert "execution rate ÷ time progress" in document["formula"]["en"]
    assert document["inputs"]["execution_rate"] == "45.00"
    assert document["inputs"]["time_progress"] == "50.00"
    assert document["light"] == "green"
    assert "绿灯" in document["explanation"]["zh"]


def test_a_ratio_shown_at_the_threshold_takes_its_band_and_says_why():
    # 399,980 of 1,000,000 by June: 39.998 % ÷ 50 % = 79.996 %, shown (half up) as 80.00 %
    document = lights.execution_light(
        EXECUTION,
        month=6,
        cumulative_execution=D("399980.00"),
        approved_amount=D("1000000.00"),
    ).document()
    assert document["ratio"] == "80.00"
    assert document["light"] == "green"
    assert document["formula"]["zh"] == "执行率 ÷ 时间进度（6 ÷ 12）= 40.00% ÷ 50.00% = 80.00%"
    assert document["explanation"] == {
        "zh": "80.00% 不低于 80.00%：绿灯（比率和得分四舍五入保留两位小数，档次按显示的数值判定）",
        "en": "80.00% is at least 80.00%: green (ratios and scores are rounded half up to 0.01; "
        "bands are read from the figure shown)",
    }


def test_execution_thresholds_come_from_the_parameters():
    strict = ExecutionLight(red_below=D("70"), yellow_below=D("90"))
    result = lights.execution_light(
        strict, month=6, cumulative_execution=D("400000"), approved_amount=D("1000000")
    )
    assert result.light is Light.yellow
    assert result.parameters == {"red_below": "70", "yellow_below": "90"}


@pytest.mark.parametrize(
    ("month", "direction", "target", "actual", "expected"),
    [
        # target 500 by the year, June: 250 expected so far
        # the light is read from the ratio shown, rounded half up to 0.01
        (6, Direction.gte, "500", "150", Light.yellow),  # exactly 60 %
        (6, Direction.gte, "500", "149.9875", Light.yellow),  # 59.995 → 60.00
        (6, Direction.gte, "500", "149.9874", Light.red),  # 59.99496 → 59.99
        (6, Direction.gte, "500", "200", Light.green),  # exactly 80 %
        (6, Direction.gte, "500", "199.9875", Light.green),  # 79.995 → 80.00
        (6, Direction.gte, "500", "199.9874", Light.yellow),
        (6, Direction.gte, "500", "300", Light.blue),  # exactly 120 %
        (6, Direction.gte, "500", "299.9875", Light.blue),  # 119.995 → 120.00
        (6, Direction.gte, "500", "299.9874", Light.green),
        (6, Direction.gt, "500", "150", Light.yellow),
        (6, Direction.eq, "500", "300", Light.blue),
        # 12 × 7 ÷ 12 = 7 expected; 4.2 is exactly 60 %
        (7, Direction.gte, "12", "4.2", Light.yellow),
        (1, Direction.gte, "100", "5", Light.yellow),  # 8.33… expected
        (1, Direction.gte, "100", "10", Light.blue),  # 120 % of 8.33…
        # a target of 0 with "=": met when nothing happened
        (6, Direction.eq, "0", "0", Light.green),
        (6, Direction.eq, "0", "-1", Light.green),
        (6, Direction.eq, "0", "0.0001", Light.red),
        # reverse: within the target green, else red; ≤ and < differ at equality
        (6, Direction.lte, "10", "10", Light.green),
        (6, Direction.lte, "10", "10.0001", Light.red),
        (6, Direction.lt, "10", "10", Light.red),
        (6, Direction.lt, "10", "9.9999", Light.green),
        (6, Direction.lte, "0", "0", Light.green),
        (6, Direction.lt, "0", "0", Light.red),
    ],
)
def test_quantitative_indicator_light(month, direction, target, actual, expected):
    result = lights.indicator_light(
        INDICATOR, month=month, direction=direction, target_value=D(target), actual=D(actual)
    )
    assert result.light is expected, result.document()


def test_positive_indicator_document():
    document = lights.indicator_light(
        INDICATOR, month=6, direction=Direction.gte, target_value=D("500"), actual=D("300")
    ).document()
    assert document["light"] == "blue"
    assert document["ratio"] == "120.00"
    assert (
        document["formula"]["zh"] == "实际值 ÷ (目标值 × 6 ÷ 12) = 300 ÷ (500 × 6 ÷ 12) = 120.00%"
    )
    assert document["parameters"] == {"red_below": "60", "yellow_below": "80", "blue_from": "120"}
    assert document["inputs"]["expected_to_date"] == "250"
    assert "复核目标" in document["explanation"]["zh"]


def test_reverse_indicator_has_no_ratio():
    document = lights.indicator_light(
        INDICATOR, month=6, direction=Direction.lt, target_value=D("10"), actual=D("10")
    ).document()
    assert document["ratio"] is None
    assert document["explanation"]["en"] == "outside the target: red"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (QualitativeStatus.achieved, Light.green),
        (QualitativeStatus.partially_achieved, Light.yellow),
        (QualitativeStatus.not_achieved, Light.red),
    ],
)
def test_qualitative_indicator_light(status, expected):
    result = lights.indicator_light(
        INDICATOR, month=6, direction=Direction.qualitative, qualitative_status=status
    )
    assert result.light is expected
    assert result.inputs == {"qualitative_status": status.value}


def test_indicator_thresholds_come_from_the_parameters():
    lenient = IndicatorLight(red_below=D("50"), yellow_below=D("70"), blue_from=D("150"))
    result = lights.indicator_light(
        lenient, month=6, direction=Direction.gte, target_value=D("500"), actual=D("300")
    )
    assert result.light is Light.green
    assert result.parameters["blue_from"] == "150"


def test_a_light_needs_its_input():
    with pytest.raises(ValueError, match="needs its status"):
        lights.indicator_light(INDICATOR, month=6, direction=Direction.qualitative)
    with pytest.raises(ValueError, match="needs its target and actual"):
        lights.indicator_light(INDICATOR, month=6, direction=Direction.gte, target_value=D("1"))


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([Light.green, Light.green], Light.green),
        ([Light.green, Light.blue], Light.blue),
        ([Light.blue, Light.yellow], Light.yellow),
        ([Light.yellow, Light.red, Light.blue], Light.red),
    ],
)
def test_the_item_light_is_the_worst(parts, expected):
    result = lights.item_light(
        [(f"k{i}", f"灯{i}", f"light {i}", light) for i, light in enumerate(parts)]
    )
    assert result.light is expected
    assert result.inputs == {f"k{i}": light.value for i, light in enumerate(parts)}


# --- through the API ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("execution", "light"),
    [
        ("400000.00", "green"),  # exactly 80 % of June's 50 %
        ("399975.00", "green"),  # 79.995 %: shown 80.00 %
        ("399974.99", "yellow"),  # 79.994998 %: shown 79.99 %
        ("299974.99", "red"),  # shown 59.99 %
    ],
)
def test_execution_light_through_the_api(monitor, execution, light):
    item = monitor.funded()
    draft = monitor.save(item["id"], cumulative_execution=execution).json()
    assert draft["lights"]["execution"]["light"] == light
    assert draft["lights"]["item"]["light"] == light


@pytest.mark.parametrize(
    ("actual", "light"),
    [("299.9874", "green"), ("299.9875", "blue"), ("149.9874", "red"), ("149.9875", "yellow")],
)
def test_indicator_light_through_the_api(monitor, actual, light):
    item = monitor.funded()
    draft = monitor.save(item["id"], lines=monitor.answers(item["id"], 培训教师人数=actual)).json()
    (line,) = [x for x in draft["lights"]["indicators"] if x["name"] == "培训教师人数"]
    assert line["light"] == light
    assert draft["lights"]["item"]["light"] == light


def test_the_rounding_rule_is_stated_with_the_held_numbers(monitor):
    item = monitor.funded()
    draft = monitor.save(
        item["id"],
        cumulative_execution="399980.00",  # 79.996 % of June's time progress
        lines=monitor.answers(item["id"], 培训教师人数="199.99"),  # 79.996 % of 250
    ).json()
    execution = draft["lights"]["execution"]
    assert (execution["ratio"], execution["light"]) == ("80.00", "green")
    assert execution["inputs"]["execution_rate"] == "40.00"  # 39.998 % shown half up
    assert execution["explanation"]["en"] == (
        "80.00% is at least 80.00%: green (ratios and scores are rounded half up to 0.01; bands "
        "are read from the figure shown)"
    )
    (line,) = [x for x in draft["lights"]["indicators"] if x["name"] == "培训教师人数"]
    assert (line["ratio"], line["light"]) == ("80.00", "green")
    assert line["formula"]["en"] == (
        "actual ÷ (target × 6 ÷ 12) = 199.99 ÷ (500 × 6 ÷ 12) = 80.00%"
    )
    assert "四舍五入保留两位小数" in line["explanation"]["zh"]


def test_the_fiscal_years_thresholds_are_used_and_shown(monitor, client, auth):
    year = client.get("/api/v1/fiscal-years/2027", headers=auth("finance")).json()
    parameters = {
        **year["parameters"],
        "execution_light": {"red_below": "50", "yellow_below": "70"},
    }
    updated = client.put(
        "/api/v1/fiscal-years/2027/parameters",
        json={"parameters": parameters, "version": year["version"]},
        headers=auth("finance"),
    )
    assert updated.status_code == 200, updated.text
    item = monitor.funded()
    draft = monitor.save(item["id"], cumulative_execution="360000.00").json()  # 72 %
    execution = draft["lights"]["execution"]
    assert execution["light"] == "green"
    assert execution["parameters"] == {"red_below": "50", "yellow_below": "70"}

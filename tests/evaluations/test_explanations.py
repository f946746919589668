"""Explanations with the numbers (issue 17): each line's formula with the held numbers filled
in, the parameters and the clause; a draft that shows what submitting will; the refusals
of a negative actual and of a share outside its band, named in points."""

from tests.evaluations.conftest import by_name, url
from tests.problems import assert_problem

RULE_ZH = "比率和得分四舍五入保留两位小数，档次按显示的数值判定"
RULE_EN = "ratios and scores are rounded half up to 0.01; bands are read from the figure shown"


def test_each_line_explains_its_points_with_the_numbers_held(evaluator):
    item = evaluator.funded()
    lines = evaluator.final_answers(
        item["id"],
        培训教师人数="600",  # 120 % of 500: over-achieved
        按期完成率="85",  # 85 of 100
        教学质量提升=("achieved", "85"),
    )
    for line in lines:
        line["explanation"] = "说明"
    read = evaluator.filed(item["id"], lines=lines, final_execution="850000.00")
    scoring = read["scoring"]
    assert scoring["execution"]["formula"] == {
        "zh": "执行数 ÷ 批复数 × 分值 = 850000 ÷ 1000000 × 10 = 8.50",
        "en": "final execution ÷ approved × weight = 850000 ÷ 1000000 × 10 = 8.50",
    }
    assert scoring["execution"]["explanation"]["en"] == (
        f"§3 budget execution scores the rate × the weight, at most 10: execution rate 85.00%; "
        f"{RULE_EN}."
    )
    assert scoring["execution"]["parameters"] == {"weight": "10"}
    scored = by_name(read)
    over = scored["培训教师人数"]
    assert over["formula"]["zh"] == "实际值 ≥ 目标值：600 ≥ 500，得满分 30.00 分"
    assert over["explanation"]["zh"] == (
        "§3 正向指标达到目标值得满分；完成率 120.00% 达到超额完成阈值 120%，须说明原因；"
        f"{RULE_ZH}。"
    )
    assert (over["achievement"], over["over_achieved"]) == ("120.00", True)
    assert over["parameters"]["over_achievement_threshold"] == "120"
    share = scored["按期完成率"]
    assert share["formula"]["en"] == "actual ÷ target × weight = 85 ÷ 100 × 20 = 17.00"
    assert share["points"] == "17.00"
    quality = scored["教学质量提升"]
    assert quality["formula"]["en"] == "share × weight = 85% × 30 = 25.50"
    assert quality["parameters"] == {
        "weight": "30",
        "band_low": "80",
        "band_high": "100",
        "band_points": "24.00–30.00",
    }
    assert (
        "achieved: 80%–100%, 24.00–30.00 points of this line's 30" in (quality["explanation"]["en"])
    )
    assert all(line["explanation"]["zh"].endswith(f"{RULE_ZH}。") for line in scoring["lines"])
    assert all(line["answered"] for line in scoring["lines"])
    assert RULE_EN in scoring["rounding"].lower()


def test_a_draft_shows_what_submitting_will_show(evaluator):
    item = evaluator.funded()
    answers = evaluator.final_answers(item["id"], 培训教师人数="250")[:2]
    answers[0]["explanation"] = "培训场地不足"
    saved = evaluator.file(item["id"], lines=answers, final_execution="700000.00")
    assert saved.status_code == 200, saved.text
    draft = saved.json()
    scoring = draft["scoring"]
    assert scoring["preview"] is True
    listed = {line["name"]: line for line in scoring["lines"]}
    # every approved line, the unanswered ones with 0 points and marked so
    assert {name: (line["points"], line["answered"]) for name, line in listed.items()} == {
        "培训教师人数": ("15.00", True),
        "按期完成率": ("20.00", True),
        "教学质量提升": ("0.00", False),
        "参训教师满意度": ("0.00", False),
    }
    assert listed["教学质量提升"]["formula"] == {
        "zh": "未填报：0 分",
        "en": "not answered: 0 points",
    }
    assert scoring["indicator_points"] == "35.00" and scoring["total"] == "42.00"
    assert {line["name"]: line["computed_points"] for line in draft["lines"]} == {
        "培训教师人数": "15.00",
        "按期完成率": "20.00",
    }
    # the flags submitting would raise: 30 % left unspent, more than 20 %
    assert [flag["code"] for flag in draft["plausibility_flags"]] == ["LARGE_UNSPENT_SHARE"]
    assert draft["plausibility_flags"][0]["inputs"] == {"unspent_share": "30.00"}
    # the read says the same as the save
    read = evaluator.evaluation(item["id"], "department")
    assert read["scoring"] == scoring
    assert read["plausibility_flags"] == draft["plausibility_flags"]

    # once complete and submitted, the kept score is what the draft showed
    full = evaluator.final_answers(item["id"], 培训教师人数="250")
    full[0]["explanation"] = "培训场地不足"
    evaluator.file(item["id"], lines=full, final_execution="700000.00", version=read["version"])
    preview = evaluator.evaluation(item["id"], "department")
    submitted = evaluator.do(item["id"], "submit", "department").json()
    assert {k: v for k, v in submitted["scoring"].items() if k != "preview"} == {
        k: v for k, v in preview["scoring"].items() if k != "preview"
    }
    assert submitted["plausibility_flags"] == preview["plausibility_flags"]
    assert [line["computed_points"] for line in submitted["lines"]] == [
        line["computed_points"] for line in preview["lines"]
    ]


def test_a_negative_actual_is_refused_naming_the_line(evaluator):
    item = evaluator.funded()
    lines = evaluator.final_answers(item["id"], 培训教师人数="-5")
    response = evaluator.client.put(
        url(item["id"]),
        json={"final_execution": "1000000.00", "lines": lines},
        headers={**evaluator.auth("department"), "Accept-Language": "en"},
    )
    body = assert_problem(response, 422, "NEGATIVE_ACTUAL")
    line_id = evaluator.lines(item["id"])["培训教师人数"]
    assert body["target_line_ids"] == [line_id]
    assert body["lines"] == [{"target_line_id": line_id, "name": "培训教师人数", "actual": "-5"}]
    assert (
        body["detail"] == "A quantitative indicator's actual cannot be negative: '培训教师人数' -5."
    )
    zh = assert_problem(evaluator.file(item["id"], lines=lines), 422, "NEGATIVE_ACTUAL")
    assert zh["detail"] == "定量指标的实际值不能为负数：“培训教师人数” -5。"
    zero = evaluator.final_answers(item["id"], 培训教师人数="0")
    zero[0]["explanation"] = "未开展培训"
    assert evaluator.file(item["id"], lines=zero).status_code == 200


def test_a_share_outside_its_band_is_named_in_points(evaluator):
    item = evaluator.funded()
    lines = evaluator.final_answers(item["id"], 教学质量提升=("achieved", "79.99"))
    response = evaluator.client.put(
        url(item["id"]),
        json={"final_execution": "1000000.00", "lines": lines},
        headers={**evaluator.auth("department"), "Accept-Language": "en"},
    )
    body = assert_problem(response, 422, "QUALITATIVE_SHARE_OUT_OF_BAND")
    assert body["detail"] == (
        "'教学质量提升': the share 79.99% of the weight lies outside its level's band — "
        "achieved: 80%–100%, 24.00–30.00 points of this line's 30 (§3)."
    )
    assert body["band"] == {
        "low": "80",
        "high": "100",
        "low_points": "24.00",
        "high_points": "30.00",
        "weight": "30.00",
    }
    zh = assert_problem(
        evaluator.file(item["id"], lines=lines), 422, "QUALITATIVE_SHARE_OUT_OF_BAND"
    )
    assert zh["detail"] == (
        "“教学质量提升”：评价比例 79.99% 不在该达成等级的区间内——达成：80%–100%，"
        "即本项 30 分中的 24.00–30.00 分（§3）。"
    )

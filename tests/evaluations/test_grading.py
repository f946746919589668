"""Finance's check and grade: adjustments, overrides, returns, third parties, and the
graded results other stages read."""

from perfbudget.evaluations import repository
from perfbudget.evaluations.models import Grade
from perfbudget.principal import Role
from tests.evaluations.conftest import url
from tests.factories import make_user
from tests.problems import assert_problem


def _me(evaluator, username: str) -> int:
    return int(
        evaluator.client.get("/api/v1/auth/me", headers=evaluator.auth(username)).json()["id"]
    )


def test_a_grade_override_needs_a_reason_and_is_kept(evaluator):
    item = evaluator.funded(execute=False)
    other = evaluator.funded()
    evaluator.filed(item["id"])
    graded = evaluator.do(
        item["id"],
        "grade",
        "finance",
        decision="approve",
        finding="目标设定偏低",
        grade_override="good",
        override_reason="目标值明显偏低",
    )
    assert graded.status_code == 200, graded.text
    read = graded.json()
    assert (read["final_score"], read["grade"]) == ("100.00", "good")
    assert read["grade_override_reason"] == "目标值明显偏低"
    # the same grade as the score's needs no reason
    evaluator.filed(other["id"])
    same = evaluator.do(
        other["id"],
        "grade",
        "finance",
        decision="approve",
        finding="属实",
        grade_override="excellent",
    )
    assert same.status_code == 200 and same.json()["grade_override_reason"] is None


def test_finance_returns_with_its_finding(evaluator):
    item = evaluator.funded()
    evaluator.filed(item["id"])
    returned = evaluator.do(
        item["id"], "grade", "finance", decision="return", finding="缺少佐证材料"
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "缺少佐证材料"
    again = evaluator.filed(item["id"], version=returned.json()["version"])
    assert again["status"] == "finance_review"


def test_adjustments_set_the_final_score_and_are_audited(evaluator):
    item = evaluator.funded()
    read = evaluator.filed(item["id"])
    lines = evaluator.lines(item["id"])
    for name, points in (("培训教师人数", "0"), ("按期完成率", "9.99")):
        response = evaluator.do(
            item["id"], f"lines/{lines[name]}/adjustment", "finance", points=points, reason="核减"
        )
        assert response.status_code == 200, response.text
    adjusted = evaluator.evaluation(item["id"])
    assert adjusted["computed_score"] == "100.00"
    assert adjusted["adjusted_score"] == "59.99"
    line = next(x for x in adjusted["lines"] if x["name"] == "按期完成率")
    assert (line["computed_points"], line["adjusted_points"]) == ("20.00", "9.99")
    assert line["adjustment_reason"] == "核减"
    graded = evaluator.do(item["id"], "grade", "finance", decision="approve", finding="核减后")
    assert (graded.json()["final_score"], graded.json()["grade"]) == ("59.99", "poor")
    assert evaluator.audit(read["id"]).count("self_evaluation.line_adjusted") == 2


def test_a_commissioned_third_party_evaluates_and_finance_adopts(evaluator, db):
    item = evaluator.funded()
    evaluator.filed(item["id"])
    uncommissioned = evaluator.client.put(
        url(item["id"], "/third-party-evaluation"),
        json={"score": "70", "report": "x", "version": 1},
        headers=evaluator.auth("thirdparty"),
    )
    assert_problem(uncommissioned, 404, "NOT_FOUND")
    third_party = _me(evaluator, "thirdparty")
    commissioned = evaluator.do(item["id"], "third-party", "finance", third_party_id=third_party)
    assert commissioned.status_code == 200, commissioned.text
    assert evaluator.evaluation(item["id"], user="thirdparty")["third_party_id"] == third_party
    body = {"score": "78.50", "report": "第三方评价报告", "version": commissioned.json()["version"]}
    saved = evaluator.client.put(
        url(item["id"], "/third-party-evaluation"), json=body, headers=evaluator.auth("thirdparty")
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["third_party_score"] == "78.50"
    assert saved.json()["third_party_submitted_at"] is not None
    assert (
        evaluator.client.put(
            url(item["id"], "/third-party-evaluation"), json=body, headers=evaluator.auth("finance")
        ).status_code
        == 403
    )
    adopted = evaluator.do(item["id"], "adopt-third-party", "finance")
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["final_score"] == "78.50" and adopted.json()["third_party_adopted"]
    graded = evaluator.do(item["id"], "grade", "finance", decision="approve", finding="采纳第三方")
    assert (graded.json()["final_score"], graded.json()["grade"]) == ("78.50", "fair")
    actions = evaluator.audit(graded.json()["id"])
    assert actions[-4:] == [
        "self_evaluation.third_party_commissioned",
        "self_evaluation.third_party_evaluated",
        "self_evaluation.third_party_adopted",
        "self_evaluation.graded",
    ]
    found = repository.graded_for_items(db, [item["id"]])
    assert found[item["id"]].grade is Grade.fair


def test_an_inactive_or_replaced_third_party(evaluator, db):
    item = evaluator.funded()
    evaluator.filed(item["id"])
    inactive = make_user(db, role=Role.third_party)
    inactive.is_active = False
    db.commit()
    assert_problem(
        evaluator.do(item["id"], "third-party", "finance", third_party_id=inactive.id),
        409,
        "NOT_A_THIRD_PARTY",
    )
    evaluator.do(item["id"], "third-party", "finance", third_party_id=_me(evaluator, "thirdparty"))
    other = make_user(db, role=Role.third_party)
    assert (
        evaluator.do(item["id"], "third-party", "finance", third_party_id=other.id).status_code
        == 200
    )
    response = evaluator.client.get(url(item["id"]), headers=evaluator.auth("thirdparty"))
    assert_problem(response, 404, "NOT_FOUND")


def test_graded_for_items_reads_graded_ones_only(evaluator, db, count_queries):
    first = evaluator.funded(execute=False)
    second = evaluator.funded()
    evaluator.filed(first["id"])
    evaluator.filed(second["id"])
    evaluator.do(first["id"], "grade", "finance", decision="approve", finding="属实")
    count_queries.statements.clear()
    found = repository.graded_for_items(db, [first["id"], second["id"], 999999])
    assert list(found) == [first["id"]]
    assert count_queries.count == 1
    assert repository.graded_for_items(db, []) == {}

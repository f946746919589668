"""Who sees a self-evaluation: its owner's side, finance, oversight, and a commissioned third
party for its item only; everyone else gets 404 as for a missing one."""

from tests.evaluations.conftest import url
from tests.problems import assert_problem


def test_other_departments_and_third_parties_do_not_see_it(evaluator):
    item = evaluator.funded(execute=False)
    other = evaluator.funded()
    evaluator.filed(item["id"])
    evaluator.filed(other["id"])
    for user in ("health", "thirdparty", "expert"):
        assert_problem(
            evaluator.client.get(url(item["id"]), headers=evaluator.auth(user)), 404, "NOT_FOUND"
        )
    assert_problem(evaluator.file(item["id"], user="health"), 404, "NOT_FOUND")
    for user in ("department", "finance", "oversight"):
        assert (
            evaluator.client.get(url(item["id"]), headers=evaluator.auth(user)).status_code == 200
        )
    third_party = evaluator.client.get("/api/v1/auth/me", headers=evaluator.auth("thirdparty"))
    evaluator.do(item["id"], "third-party", "finance", third_party_id=third_party.json()["id"])
    assert (
        evaluator.client.get(url(item["id"]), headers=evaluator.auth("thirdparty")).status_code
        == 200
    )
    assert_problem(
        evaluator.client.get(url(other["id"]), headers=evaluator.auth("thirdparty")),
        404,
        "NOT_FOUND",
    )
    # the commissioned third party sees the item's history too
    history = evaluator.client.get(
        f"/api/v1/budget-items/{item['id']}/monitoring-reports",
        headers=evaluator.auth("thirdparty"),
    )
    assert history.status_code == 200


def test_a_unit_does_not_see_its_departments_items(evaluator):
    item = evaluator.funded()
    evaluator.filed(item["id"])
    assert_problem(
        evaluator.client.get(url(item["id"]), headers=evaluator.auth("unit")), 404, "NOT_FOUND"
    )

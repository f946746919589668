"""Budget items: who prepares them, when, and what they may contain (S1.1, S1.3)."""

from tests.budget_items.conftest import ITEMS
from tests.problems import assert_problem, invalid_fields


def test_a_department_starts_a_draft_request(flow):
    item = flow.create(
        budget_book="government_fund", fund_category="ppp", new_major=True, requested_amount=1234.5
    )
    assert item["status"] == "draft"
    assert item["fiscal_year"] == 2027
    assert item["organisation"]["code"] == "201"
    assert item["requested_amount"] == "1234.50"
    assert item["approved_amount"] is None
    assert (item["budget_book"], item["fund_category"], item["new_major"]) == (
        "government_fund",
        "ppp",
        True,
    )
    assert item["targets"] is None
    assert item["gates"]["passed"] is False


def test_a_unit_prepares_for_itself_and_a_department_for_its_units(flow):
    assert flow.create("unit", "201001")["organisation"]["code"] == "201001"
    assert flow.create("department", "201002")["organisation"]["code"] == "201002"


def test_no_request_for_someone_elses_organisation(flow):
    for user, org in (("department", "202"), ("unit", "201"), ("unit", "201002")):
        response = flow.client.post(
            ITEMS,
            json={
                "fiscal_year": 2027,
                "organisation_id": flow.org_id(org),
                "name": "越权项目",
                "kind": "project",
                "requested_amount": "10.00",
            },
            headers=flow.auth(user),
        )
        assert_problem(response, 404, "NOT_FOUND")


def test_only_departments_prepare_requests(flow):
    body = {
        "fiscal_year": 2027,
        "organisation_id": flow.org_id("201"),
        "name": "财政代编",
        "kind": "project",
        "requested_amount": "10.00",
    }
    for user in ("finance", "admin", "expert", "thirdparty", "investment", "oversight"):
        response = flow.client.post(ITEMS, json=body, headers=flow.auth(user))
        assert_problem(response, 403, "PERMISSION_DENIED")


def test_amounts_are_validated(flow):
    body = {
        "fiscal_year": 2027,
        "organisation_id": flow.org_id("201"),
        "name": "零元项目",
        "kind": "project",
    }
    for amount in ("0", "-5", "1.234", "1" * 17 + ".00", "abc"):
        response = flow.client.post(
            ITEMS, json={**body, "requested_amount": amount}, headers=flow.auth("department")
        )
        assert "body.requested_amount" in invalid_fields(response), amount


def test_status_and_version_cannot_be_mass_assigned(flow):
    item = flow.create()
    response = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        json={"version": item["version"], "status": "funded", "approved_amount": "9"},
        headers=flow.auth("department"),
    )
    assert invalid_fields(response) == {"body.status", "body.approved_amount"}
    assert flow.get(item["id"])["status"] == "draft"


def test_annual_requests_only_while_preparing_mid_year_only_while_executing(flow):
    response = flow.client.post(
        ITEMS,
        json={
            "fiscal_year": 2027,
            "organisation_id": flow.org_id("201"),
            "name": "年中追加",
            "kind": "project",
            "requested_amount": "10.00",
            "mid_year_addition": True,
        },
        headers=flow.auth("department"),
    )
    assert_problem(response, 409, "MID_YEAR_ADDITION_NOT_OPEN")
    started = flow.client.post(
        "/api/v1/fiscal-years/2027/start-execution",
        json={"version": 1},
        headers=flow.auth("finance"),
    )
    assert started.status_code == 200
    response = flow.client.post(
        ITEMS,
        json={
            "fiscal_year": 2027,
            "organisation_id": flow.org_id("201"),
            "name": "迟到的年度申请",
            "kind": "project",
            "requested_amount": "10.00",
        },
        headers=flow.auth("department"),
    )
    assert_problem(response, 409, "FISCAL_YEAR_NOT_PREPARING")
    addition = flow.create(mid_year_addition=True, name="秋季学期追加")
    assert addition["mid_year_addition"] is True


def test_edits_only_while_draft_or_returned(flow):
    item = flow.create()
    edited = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        json={"version": item["version"], "name": "教师培训项目（修订）", "serves_public": True},
        headers=flow.auth("department"),
    )
    assert edited.status_code == 200
    assert edited.json()["name"] == "教师培训项目（修订）"
    stale = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        json={"version": item["version"], "name": "旧版本"},
        headers=flow.auth("department"),
    )
    assert_problem(stale, 409, "VERSION_CONFLICT")
    assert flow.save_targets(item["id"]).status_code == 200
    assert flow.post(item["id"], "submit", "department").status_code == 200
    late = flow.client.patch(
        f"{ITEMS}/{item['id']}",
        json={"version": flow.get(item["id"])["version"], "name": "提交后修改"},
        headers=flow.auth("department"),
    )
    assert_problem(late, 409, "ITEM_NOT_EDITABLE")


def test_a_continued_item_must_be_from_an_earlier_year(flow):
    item = flow.create()
    response = flow.client.post(
        ITEMS,
        json={
            "fiscal_year": 2027,
            "organisation_id": flow.org_id("201"),
            "name": "自我延续",
            "kind": "project",
            "requested_amount": "10.00",
            "continues_item_id": item["id"],
        },
        headers=flow.auth("department"),
    )
    assert_problem(response, 422, "CONTINUED_ITEM_INVALID")


def test_visibility_per_role(flow):
    own = flow.create()
    capital = flow.create(org="201002", capital_construction=True, name="教学楼建设")
    other = flow.create("department", "201")
    ids = {own["id"], capital["id"], other["id"]}

    def listed(user):
        response = flow.client.get(f"{ITEMS}?limit=100", headers=flow.auth(user))
        assert response.status_code == 200
        return {row["id"] for row in response.json()["items"]} & ids

    assert listed("finance") == ids
    assert listed("oversight") == ids
    assert listed("department") == ids
    assert listed("unit") == set()
    assert listed("investment") == {capital["id"]}
    assert listed("expert") == set()
    assert listed("thirdparty") == set()
    assert_problem(
        flow.client.get(f"{ITEMS}/{own['id']}", headers=flow.auth("investment")), 404, "NOT_FOUND"
    )
    assert_problem(
        flow.client.get(f"{ITEMS}/{own['id']}", headers=flow.auth("expert")), 404, "NOT_FOUND"
    )
    assert_problem(
        flow.client.get(f"{ITEMS}", headers=flow.auth("admin")), 403, "PERMISSION_DENIED"
    )


def test_filters(flow):
    flow.create(name="乡村学校少年宫", kind="policy")
    flow.create(name="营养改善计划", budget_book="government_fund")
    headers = flow.auth("finance")
    by_kind = flow.client.get(f"{ITEMS}?kind=policy", headers=headers).json()
    assert {row["name"] for row in by_kind["items"]} >= {"乡村学校少年宫"}
    assert all(row["kind"] == "policy" for row in by_kind["items"])
    by_book = flow.client.get(
        f"{ITEMS}?budget_book=government_fund&search=营养", headers=headers
    ).json()
    assert [row["name"] for row in by_book["items"]] == ["营养改善计划"]
    assert_problem(
        flow.client.get(f"{ITEMS}?colour=red", headers=headers), 422, "VALIDATION_FAILED"
    )


def test_listing_runs_a_fixed_number_of_statements(flow, count_queries):
    """100 items with target summaries and gate state cost what 10 do."""
    for n in range(100):
        item = flow.create(
            name=f"批量项目{n}", new_major=n % 2 == 0, capital_construction=n % 4 == 0
        )
        if n % 3 == 0:
            assert flow.save_targets(item["id"]).status_code == 200
        if n % 5 == 0:
            flow.assessment(item["id"], role="investment" if n % 4 == 0 else "department")

    def statements(limit):
        flow.db.expire_all()
        count_queries.statements.clear()
        response = flow.client.get(f"{ITEMS}?limit={limit}", headers=flow.auth("finance"))
        assert response.status_code == 200
        page = response.json()["items"]
        assert len(page) == limit
        assert all(row["gates"] is not None for row in page)
        assert sum(row["targets"] is not None for row in page) >= limit // 3
        return count_queries.count

    small, large = statements(10), statements(100)
    assert small == large == EXPECTED_STATEMENTS


# the user with its organisation (token check); the page with its target figures, assessment,
# payment holds, predecessor's graded result and, riding along, the total
EXPECTED_STATEMENTS = 2


def test_a_page_past_the_end_still_counts_the_items(flow, count_queries):
    """The total rides along with the page's rows; a page past the end has no row to carry
    it, and counts in a statement of its own."""
    created = [flow.create(name=f"翻页项目{n}")["id"] for n in range(3)]
    finance = flow.auth("finance")
    full = flow.client.get(ITEMS, params={"fiscal_year": 2027, "limit": 100}, headers=finance)
    assert full.status_code == 200
    total = full.json()["total"]
    assert total >= 3 and set(created) <= {row["id"] for row in full.json()["items"]}

    count_queries.statements.clear()
    past = flow.client.get(
        ITEMS, params={"fiscal_year": 2027, "limit": 10, "offset": total}, headers=finance
    )
    assert past.status_code == 200
    assert (past.json()["items"], past.json()["total"]) == ([], total)
    assert count_queries.count == EXPECTED_STATEMENTS + 1


def test_a_year_lists_its_own_items_in_id_order_only(flow):
    """The year's filter reads from the year's first item on (ix_budget_items_year_id): a
    later year's items, created before and after, are not on its pages."""
    finance = flow.auth("finance")
    opened = flow.client.post("/api/v1/fiscal-years", json={"year": 2028}, headers=finance)
    assert opened.status_code == 201, opened.text
    before = flow.create(name="明年项目甲", fiscal_year=2028)["id"]
    mine = [flow.create(name=f"本年项目{n}")["id"] for n in range(2)]
    after = flow.create(name="明年项目乙", fiscal_year=2028)["id"]
    body = flow.client.get(
        ITEMS, params={"fiscal_year": 2027, "limit": 100}, headers=finance
    ).json()
    ids = [row["id"] for row in body["items"]]
    assert ids == sorted(ids) and set(mine) <= set(ids)
    assert {row["fiscal_year"] for row in body["items"]} == {2027}
    assert before not in ids and after not in ids
    assert body["total"] == len(ids)
    later = flow.client.get(
        ITEMS, params={"fiscal_year": 2028, "limit": 100}, headers=finance
    ).json()
    assert {before, after} <= {row["id"] for row in later["items"]}
    assert not set(mine) & {row["id"] for row in later["items"]}

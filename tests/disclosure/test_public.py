"""The anonymous /public/v1: only current publications, only allow-listed fields (S4.4)."""

import csv
import io
import json
from typing import Any

from sqlalchemy import select

from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.evaluations.models import Grade
from perfbudget.indicators.models import IndicatorCategory
from perfbudget.main import PUBLIC_PATHS
from perfbudget.orgs.models import Organisation
from perfbudget.results.models import RectificationPlan
from perfbudget.targets.models import TargetSet
from perfbudget.users.models import User
from tests.disclosure.conftest import YEAR, Disclosure
from tests.problems import assert_problem

PUBLIC = "/public/v1"
# every key the public may ever read, written out here independently of the code
ALLOWED_KEYS = {
    "year",
    "kind",
    "publications",
    "public_id",
    "revision",
    "published_at",
    "organisation",
    "code",
    "name",
    "parent_code",
    "approved_total",
    "items",
    "budget_book",
    "approved_amount",
    "overall_goal",
    "indicators",
    "first_level",
    "category",
    "direction",
    "target_value",
    "unit",
    "qualitative_standard",
    "final_score",
    "grade",
    "title",
    "ranking",
    "rank",
    "score",
    # a page's envelope (the organisations list)
    "total",
    "limit",
    "offset",
}
MARK = "泄露标记"


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for inner in value.values() for key in _keys(inner)}
    if isinstance(value, list):
        return {key for inner in value for key in _keys(inner)}
    return set()


def _mark(db: Any, obj: Any, **fields: str) -> None:
    for name, text in fields.items():
        setattr(obj, name, f"{MARK}-{text}")
    db.commit()


def test_no_unpublished_or_internal_field_reaches_the_public(disclosure: Disclosure):
    db = disclosure.db
    flow = disclosure.flow
    published = disclosure.funded(code="JY-2027-001")
    returned = flow.submitted(code="JY-2027-009", name="退回过的项目")
    health = disclosure.funded(user="health", org="202", code="WJ-2027-001")
    disclosure.set_goal(health, f"{MARK}-goal")
    item = db.get(BudgetItem, published["id"])
    assert item is not None
    _mark(db, item, return_reason="item-return", decision_reason="decision", description="desc")
    _mark(db, db.get(BudgetItem, returned["id"]), return_reason="returned")
    target_set = db.scalars(select(TargetSet).where(TargetSet.item_id == published["id"])).one()
    _mark(db, target_set, return_reason="targets-return", adjustment_reason="adjustment")
    finance = db.scalars(select(User).where(User.username == "finance")).one()
    _mark(db, finance, display_name="finance-user")
    health_item = db.get(BudgetItem, health["id"])
    assert health_item is not None
    _mark(db, health_item, name="unpublished-department")
    disclosure.graded(
        published,
        "65.00",
        Grade.fair,
        finance_finding=f"{MARK}-finding",
        grade_override_reason=f"{MARK}-override",
        return_reason=f"{MARK}-eval-return",
        third_party_report=f"{MARK}-third-party",
        sections={"problems": f"{MARK}-problems"},
    )
    db.add(
        RectificationPlan(
            item_id=published["id"], plan=f"{MARK}-rectification", filed_at=item.created_at
        )
    )
    db.commit()
    disclosure.circular(
        [
            {
                "rank": 1,
                "department": {"id": flow.org_id("201"), "code": "201", "name_zh": "县教育局"},
                "computed_score": "87.50",
                "total_score": "90",
                "note": f"{MARK}-rank",
            }
        ],
        body=f"{MARK}-circular-body",
    )
    for kind in ("targets", "results"):
        disclosure.published("201", kind)
    assert disclosure.publish_circular().status_code == 201

    bodies: list[str] = []
    documents = [
        "/organisations",
        f"/fiscal-years/{YEAR}/targets",
        f"/fiscal-years/{YEAR}/targets?organisation=201",
        f"/fiscal-years/{YEAR}/targets?organisation=202",
        f"/fiscal-years/{YEAR}/results",
        f"/fiscal-years/{YEAR}/circular",
        *(f"/open-data/{YEAR}/{kind}.json" for kind in ("targets", "results", "circular")),
    ]
    public_ids: set[str] = set()
    for path in documents:
        response = disclosure.client.get(PUBLIC + path)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        assert _keys(body) <= ALLOWED_KEYS, (path, _keys(body) - ALLOWED_KEYS)
        public_ids |= (
            {p["public_id"] for p in body.get("publications", [])}
            if isinstance(body, dict)
            else set()
        )
        bodies.append(response.text)
    assert public_ids == {f"{YEAR}-201-targets", f"{YEAR}-201-results", f"{YEAR}-circular"}
    for public_id in public_ids:
        response = disclosure.client.get(f"{PUBLIC}/publications/{public_id}")
        assert response.status_code == 200
        assert _keys(response.json()) <= ALLOWED_KEYS
        bodies.append(response.text)
    for kind in ("targets", "results", "circular"):
        response = disclosure.client.get(f"{PUBLIC}/open-data/{YEAR}/{kind}.csv")
        assert response.status_code == 200
        bodies.append(response.content.decode("utf-8-sig"))

    everything = "\n".join(bodies)
    assert MARK not in everything
    assert "WJ-2027-001" not in everything and "JY-2027-009" not in everything
    assert "JY-2027-001" in everything  # the crawl did read the published item
    assert '"published_by_id"' not in everything and '"id"' not in everything


def test_csv_has_a_bom_chinese_headers_and_no_formulas(disclosure: Disclosure):
    item = disclosure.funded(code="JY-2027-001")
    disclosure.set_goal(item, '=HYPERLINK("http://x")')
    disclosure.published("201", "targets")

    response = disclosure.client.get(f"{PUBLIC}/open-data/{YEAR}/targets.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["公开编号", "主管部门编码", "主管部门", "单位编码"]
    assert "三级指标" in rows[0]
    assert len(rows) == 1 + 4  # one row per indicator line
    goal = rows[1][rows[0].index("总体目标")]
    assert goal == '\'=HYPERLINK("http://x")'
    assert rows[1][rows[0].index("项目类型")] == ItemKind.project.label_zh
    assert rows[1][rows[0].index("二级指标")] == IndicatorCategory.quantity.label_zh


def test_open_data_json_has_stable_identifiers(disclosure: Disclosure):
    disclosure.funded(code="JY-2027-001")
    disclosure.published("201", "targets")
    body = disclosure.client.get(f"{PUBLIC}/open-data/{YEAR}/targets.json").json()
    assert body["kind"] == "targets" and body["year"] == YEAR
    [publication] = body["publications"]
    assert publication["public_id"] == f"{YEAR}-201-targets"
    assert publication["items"][0]["code"] == "JY-2027-001"
    assert_problem(
        disclosure.client.get(f"{PUBLIC}/open-data/{YEAR}/secrets.json"), 422, "VALIDATION_FAILED"
    )


def test_responses_are_cacheable_with_etag_and_304(disclosure: Disclosure):
    client = disclosure.client
    for path in (
        "/organisations",
        f"/open-data/{YEAR}/targets.csv",
        f"/fiscal-years/{YEAR}/targets",
    ):
        first = client.get(PUBLIC + path)
        assert first.headers["cache-control"] == "public, max-age=300"
        etag = first.headers["etag"]
        again = client.get(PUBLIC + path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    before = client.get(f"{PUBLIC}/fiscal-years/{YEAR}/targets").headers["etag"]
    disclosure.funded(code="JY-2027-001")
    disclosure.published("201", "targets")
    changed = client.get(f"{PUBLIC}/fiscal-years/{YEAR}/targets", headers={"If-None-Match": before})
    assert changed.status_code == 200 and changed.headers["etag"] != before


def test_anonymous_reads_and_no_writes(disclosure: Disclosure):
    client = disclosure.client
    public_paths = sorted(path for path in PUBLIC_PATHS if path.startswith(PUBLIC))
    assert len(public_paths) == 7
    for path in public_paths:
        concrete = (
            path.replace("{year}", str(YEAR))
            .replace("{kind}", "targets")
            .replace("{public_id}", "x")
        )
        assert client.get(concrete).status_code in (200, 404), concrete
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert client.request(method, concrete, json={}).status_code == 405, (method, concrete)
    response = client.post(f"/api/v1/fiscal-years/{YEAR}/publications", json={})
    assert_problem(response, 401, "NOT_AUTHENTICATED")


def test_public_organisations_are_the_active_ones(disclosure: Disclosure):
    organisation = disclosure.db.scalars(
        select(Organisation).where(Organisation.code == "204001")
    ).one()
    organisation.is_active = False
    disclosure.db.commit()
    body = disclosure.client.get(f"{PUBLIC}/organisations", params={"limit": 100}).json()
    assert body["total"] == len(body["items"])
    by_code = {row["code"]: row for row in body["items"]}
    assert "204001" not in by_code
    assert by_code["201001"] == {
        "code": "201001",
        "name": "县第一中学",
        "kind": "unit",
        "parent_code": "201",
    }
    assert json.dumps(body).count('"id"') == 0


def test_public_organisations_page_by_code(disclosure: Disclosure):
    def page(**params: Any) -> Any:
        return disclosure.client.get(f"{PUBLIC}/organisations", params=params)

    whole = page(limit=100).json()
    codes = [row["code"] for row in whole["items"]]
    assert codes == sorted(codes) and whole["total"] == len(codes) > 4
    first, second = page(limit=2).json(), page(limit=2, offset=2).json()
    assert (first["total"], first["limit"], first["offset"]) == (len(codes), 2, 0)
    assert [row["code"] for row in first["items"] + second["items"]] == codes[:4]
    assert page().json()["limit"] == 20
    assert_problem(page(limit=101), 422, "VALIDATION_FAILED")


def test_nothing_published_reads_as_empty_or_404(disclosure: Disclosure):
    client = disclosure.client
    assert client.get(f"{PUBLIC}/fiscal-years/{YEAR}/targets").json() == {
        "year": YEAR,
        "publications": [],
    }
    assert client.get(f"{PUBLIC}/fiscal-years/1999/results").json()["publications"] == []
    assert_problem(client.get(f"{PUBLIC}/fiscal-years/{YEAR}/circular"), 404, "NOT_FOUND")
    assert_problem(client.get(f"{PUBLIC}/publications/{YEAR}-201-targets"), 404, "NOT_FOUND")
    assert_problem(
        client.get(f"{PUBLIC}/fiscal-years/{YEAR}/targets?secret=1"), 422, "VALIDATION_FAILED"
    )

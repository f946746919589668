"""Past uploads are a page, newest first, within the list limits (at most 100 a page)."""

from tests.imports.conftest import IMPORTS
from tests.problems import invalid_fields


def test_runs_page_newest_first(flow, send):
    for code in ("931", "932"):
        rows = [{"code": code, "name_zh": f"分页导入局{code}", "kind": "部门", "parent_code": ""}]
        assert send("organisations", rows, user="admin").status_code == 201

    def page(**params):
        return flow.client.get(f"{IMPORTS}/runs", params=params, headers=flow.auth("admin"))

    first = page(limit=1).json()
    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    second = page(limit=1, offset=1).json()
    assert first["items"][0]["id"] > second["items"][0]["id"]
    assert page().json()["limit"] == 20
    assert invalid_fields(page(limit=500)) == {"query.limit"}
    assert invalid_fields(page(limit=0)) == {"query.limit"}

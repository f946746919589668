"""Self-evaluation actuals (S2.4): one row per target line, one draft per item."""

from datetime import date

import pytest

from tests.imports.conftest import FORMATS
from tests.problems import assert_problem

SECTIONS = {"overview": "项目按计划实施", "achievements": "完成培训任务"}
FULL = {"培训教师人数": "500", "按期完成率": "100", "参训教师满意度": "95"}


def evaluation_rows(monitor, item_id: int) -> list[dict[str, object]]:
    rows = []
    for line in monitor.calendar(item_id)["lines"]:
        qualitative = line["direction"] == "qualitative"
        rows.append(
            {
                "item_id": item_id,
                "final_execution": "1000000.00",
                **SECTIONS,
                "target_line_id": line["target_line_id"],
                "final_actual": "" if qualitative else FULL[line["name"]],
                "qualitative_status": "达成" if qualitative else "",
                "qualitative_share": "100" if qualitative else "",
            }
        )
    return rows


@pytest.fixture
def year_closed(monitor, set_today):
    item = monitor.funded()
    set_today(date(2028, 1, 20))
    return item


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_files_the_draft(monitor, send, year_closed, fmt):
    item_id = year_closed["id"]
    response = send(
        "self-evaluation-actuals", evaluation_rows(monitor, item_id), fmt, user="department"
    )
    assert response.status_code == 201, response.text
    read = monitor.client.get(
        f"/api/v1/budget-items/{item_id}/self-evaluation", headers=monitor.auth("department")
    ).json()
    assert read["status"] == "draft"
    assert read["sections"]["overview"] == "项目按计划实施"


def test_submit_scores_it(monitor, send, year_closed):
    item_id = year_closed["id"]
    rows = evaluation_rows(monitor, item_id)
    for row in rows:
        row.update(problems="无", improvements="持续改进")
    response = send("self-evaluation-actuals", rows, user="department", params={"submit": "true"})
    assert response.status_code == 201, response.text
    read = monitor.client.get(
        f"/api/v1/budget-items/{item_id}/self-evaluation", headers=monitor.auth("finance")
    ).json()
    assert read["status"] != "draft"
    assert read["scoring"]["total"] == "100.00"


def test_a_bad_line_is_named_and_nothing_is_filed(monitor, send, year_closed):
    item_id = year_closed["id"]
    rows = evaluation_rows(monitor, item_id)
    rows[0]["target_line_id"] = 999999
    body = assert_problem(
        send("self-evaluation-actuals", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "target_line_id", "TARGET_LINE_UNKNOWN")
    ]
    response = monitor.client.get(
        f"/api/v1/budget-items/{item_id}/self-evaluation", headers=monitor.auth("finance")
    )
    assert response.status_code == 200 and response.json()["saved"] is False  # none filed
    refused = send("self-evaluation-actuals", rows, user="finance")
    assert_problem(refused, 403, "PERMISSION_DENIED")


def test_a_negative_final_actual_is_named_on_its_row(monitor, send, year_closed):
    item_id = year_closed["id"]
    rows = evaluation_rows(monitor, item_id)
    (row,) = [number for number, row in enumerate(rows) if row["final_actual"] == "500"]
    rows[row]["final_actual"] = "-1"
    body = assert_problem(
        send("self-evaluation-actuals", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (row + 2, "final_actual", "NEGATIVE_ACTUAL")
    ]
    assert body["errors"][0]["message_en"] == (
        "A quantitative indicator's actual cannot be negative: '培训教师人数' -1."
    )


def test_a_share_outside_its_band_is_named_in_points_on_its_row(monitor, send, year_closed):
    item_id = year_closed["id"]
    rows = evaluation_rows(monitor, item_id)
    (row,) = [number for number, row in enumerate(rows) if row["qualitative_share"]]
    rows[row]["qualitative_share"] = "79"
    body = assert_problem(
        send("self-evaluation-actuals", rows, user="department"), 422, "IMPORT_REJECTED"
    )
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (row + 2, "qualitative_share", "QUALITATIVE_SHARE_OUT_OF_BAND")
    ]
    assert "24.00–30.00 points of this line's 30" in body["errors"][0]["message_en"]

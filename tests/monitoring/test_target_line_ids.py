"""Target lines carry the id that reports answer (issue 17): a front end files a month's
report from the targets it read, without the monitoring calendar, and an adjustment's
lines are new ids while the version before keeps its own."""

from tests.budget_items.test_targets import ITEMS
from tests.workflow import valid_lines


def _targets(monitor, item_id: int, path: str = "targets", user: str = "department") -> dict:
    response = monitor.client.get(f"{ITEMS}/{item_id}/{path}", headers=monitor.auth(user))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_report_is_filed_from_the_ids_the_targets_read_gives(monitor):
    item = monitor.funded()
    approved = _targets(monitor, item["id"])
    ids = {line["name"]: line["target_line_id"] for line in approved["lines"]}
    assert len(set(ids.values())) == 4
    assert ids == monitor.lines(item["id"])  # the calendar names the same lines

    answers = []
    for line in approved["lines"]:
        answer = {"target_line_id": line["target_line_id"]}
        if line["direction"] == "qualitative":
            answer["qualitative_status"] = "achieved"
        else:
            answer["actual"] = line["target_value"]
        answers.append(answer)
    saved = monitor.save(item["id"], lines=answers)
    assert saved.status_code == 200, saved.text
    assert {line["target_line_id"] for line in saved.json()["lines"]} == set(ids.values())

    versions = _targets(monitor, item["id"], "targets/versions", user="oversight")["items"]
    assert [line["target_line_id"] for line in versions[0]["lines"]] == [
        line["target_line_id"] for line in approved["lines"]
    ]


def test_an_adjustment_has_lines_of_its_own_and_the_old_version_keeps_its_ids(monitor):
    flow = monitor.flow
    item = flow.targets_approved()
    first = _targets(monitor, item["id"])
    first_ids = [line["target_line_id"] for line in first["lines"]]

    adjusted = flow.target_post(item["id"], "adjustments", "department", reason="上级追加任务")
    assert adjusted.status_code == 200, adjusted.text
    lines = valid_lines()
    lines[0]["target_value"] = "650"
    saved = flow.save_targets(item["id"], lines=lines, version=adjusted.json()["version"])
    assert saved.status_code == 200, saved.text
    draft_ids = [line["target_line_id"] for line in saved.json()["lines"]]
    assert set(draft_ids).isdisjoint(first_ids)

    version_one = _targets(monitor, item["id"], "targets/versions/1", user="oversight")
    assert [line["target_line_id"] for line in version_one["lines"]] == first_ids

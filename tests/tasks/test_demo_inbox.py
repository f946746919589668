"""The whole demo county (README "Demo users"), loaded on a fresh database as `make run`
does: every demo user's inbox answers, and finance, the education bureau and the expert
have work waiting. The demo is placed around today's date, so this asserts the inbox's
shape, not its years or counts."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from perfbudget.demo.loader import USERS
from tests.isolated import served_county, sign_in

TASKS = "/api/v1/me/tasks"


@pytest.fixture(scope="module")
def demo_county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with served_county(tmp_path_factory.mktemp("demo"), "tasks_demo", workflow=True) as county:
        yield county[0]


def test_every_demo_user_reads_an_inbox_and_the_workers_have_work(demo_county):
    totals = {}
    for username, *_ in USERS:
        headers = sign_in(demo_county, username)
        read = demo_county.get(TASKS, params={"limit": 100}, headers=headers)
        assert read.status_code == 200, (username, read.text)
        summary = demo_county.get(f"{TASKS}/summary", headers=headers)
        assert summary.status_code == 200, (username, summary.text)
        inbox, counts = read.json(), summary.json()
        assert [(g["kind"], g["total"]) for g in inbox["groups"]] == [
            (k["kind"], k["total"]) for k in counts["kinds"]
        ]
        for group in inbox["groups"]:
            assert len(group["items"]) == min(group["total"], 100)
            for task in group["items"]:
                assert task["path"].startswith("/api/v1/"), task
                if task["object_id"] is None and task["kind"] != "publication":
                    continue  # not started: its path is where the first save goes
                answer = demo_county.get(task["path"], headers=headers)
                assert answer.status_code == 200, (username, task, answer.text)
        totals[username] = inbox["total"]
    for username in ("finance", "department", "expert"):
        assert totals[username] > 0, totals
    assert totals["oversight"] == totals["admin"] == 0

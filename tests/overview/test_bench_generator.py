"""The benchmark county (bench/generate.py): deterministic, and readable by the overview."""

from sqlalchemy.orm import Session

from bench.generate import TABLES, build, generate, migrate
from perfbudget.auth.principal import Actor, RequestMeta
from perfbudget.db import make_engine
from perfbudget.overview import service
from perfbudget.users.models import Role
from tests.isolated import fresh_database_url

START = dict.fromkeys(TABLES, 1)
READER = Actor(None, "bench", Role.oversight, None, None, RequestMeta())


def test_the_same_seed_gives_the_same_county():
    first = build(organisations=40, items=150, seed=7, year=2025, next_ids=START)
    again = build(organisations=40, items=150, seed=7, year=2025, next_ids=START)
    other = build(organisations=40, items=150, seed=8, year=2025, next_ids=START)
    assert first.rows == again.rows
    assert first.rows["budget_items"] != other.rows["budget_items"]
    assert len(first.rows["organisations"]) == 40
    assert len(first.rows["budget_items"]) == 150
    lines = {}
    for line in first.rows["target_lines"]:
        lines[line["target_set_id"]] = lines.get(line["target_set_id"], 0) + 1
    assert len(lines) == 150 and set(lines.values()) <= set(range(6, 13))
    assert {row["budget_book"] for row in first.rows["budget_items"]} == {
        "general_public",
        "government_fund",
        "state_capital",
        "social_insurance",
    }


def test_a_generated_county_reads_through_the_overview(tmp_path):
    with fresh_database_url(tmp_path, "bench") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            county = generate(engine, organisations=30, items=120, seed=3, year=2025)
            reports = len(county.rows["monitoring_reports"])
            with Session(engine) as session:
                december = service.monitoring_overview(session, READER, 2025, 12)
                june = service.monitoring_overview(session, READER, 2025, 6)
        finally:
            engine.dispose()
    overall = sum(row["kind"] == "department_overall" for row in county.rows["budget_items"])
    assert december.county.items == 120 - overall
    assert june.county.items == 120
    assert december.county.reports.due > 0 and reports > 10 * december.county.reports.due
    assert sum(department.items for department in december.departments) == 120 - overall
    assert 0 < december.county.disbursed <= december.county.approved
    assert december.county.time_progress == 100

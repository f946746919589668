"""The benchmark county (bench/generate.py): deterministic, three fiscal years of which the
earlier two closed and graded, and readable by the overview and the results ledger."""

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from bench.generate import BENCH_PASSWORD, FINANCE_USER, TABLES, build, generate, migrate
from perfbudget.budget_items import gates
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.db import make_engine, request_session
from perfbudget.evaluations import reading, scoring
from perfbudget.evaluations.models import SelfEvaluation
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.main import create_app
from perfbudget.overview import service
from perfbudget.principal import Actor, RequestMeta, Role
from perfbudget.results.models import RectificationPlan
from tests.isolated import fresh_database_url

START = dict.fromkeys(TABLES, 1)
READER = Actor(None, "bench", Role.oversight, None, None, RequestMeta())
FINAL_REPORTS = {"accepted", "rectify", "suspended", "stopped"}
BANDS = RuleParameters().grade_bands


def by_year(county: Any, table: str, key: str = "fiscal_year_id") -> Counter[int]:
    years = {row["id"]: row["year"] for row in county.rows["fiscal_years"]}
    return Counter(years[row[key]] for row in county.rows.get(table, []))


def test_the_same_seed_gives_the_same_county():
    first = build(organisations=40, items=150, seed=7, year=2025, next_ids=START)
    again = build(organisations=40, items=150, seed=7, year=2025, next_ids=START)
    other = build(organisations=40, items=150, seed=8, year=2025, next_ids=START)
    assert first.rows == again.rows
    assert first.rows["budget_items"] != other.rows["budget_items"]
    assert len(first.rows["organisations"]) == 40
    assert {(row["year"], row["status"]) for row in first.rows["fiscal_years"]} == {
        (2023, "closed"),
        (2024, "closed"),
        (2025, "executing"),
    }
    assert by_year(first, "budget_items") == {2023: 150, 2024: 150, 2025: 150}
    lines = Counter(line["target_set_id"] for line in first.rows["target_lines"])
    assert len(lines) == 450 and set(lines.values()) <= set(range(6, 13))
    assert {row["budget_book"] for row in first.rows["budget_items"]} == {
        "general_public",
        "government_fund",
        "state_capital",
        "social_insurance",
    }
    assert len({row["code"] for row in first.rows["budget_items"]}) == 450
    one_year = build(organisations=40, items=150, seed=7, year=2025, next_ids=START, years=1)
    assert [row["status"] for row in one_year.rows["fiscal_years"]] == ["executing"]
    assert "self_evaluations" not in one_year.rows


def test_closed_years_are_graded_and_continued_as_the_rules_require():
    county = build(organisations=60, items=300, seed=11, year=2025, next_ids=START)
    rows = county.rows
    years = {row["id"]: row for row in rows["fiscal_years"]}
    items = {row["id"]: row for row in rows["budget_items"]}
    year_of = {item_id: years[item["fiscal_year_id"]]["year"] for item_id, item in items.items()}

    # closed years: every report final, every rectification order settled
    reports = Counter(
        (years[row["fiscal_year_id"]]["status"], row["status"])
        for row in rows["monitoring_reports"]
    )
    assert {status for (year, status) in reports if year == "closed"} <= FINAL_REPORTS
    assert {"draft", "finance_review"} <= {status for (year, status) in reports if year != "closed"}
    assert all(
        row["status"] in ("accepted", "rejected")
        for row in rows["rectifications"]
        if year_of[row["item_id"]] < 2025
    )

    # one graded self-evaluation per item of a closed year, a line per target line
    evaluations = {row["item_id"]: row for row in rows["self_evaluations"]}
    assert by_year(county, "self_evaluations") == {2023: 300, 2024: 300}
    assert {year_of[item_id] for item_id in evaluations} == {2023, 2024}
    sets = {row["id"]: row["item_id"] for row in rows["target_sets"]}
    targets: dict[int, dict[int, dict[str, Any]]] = {}
    for line in rows["target_lines"]:
        targets.setdefault(sets[line["target_set_id"]], {})[line["id"]] = line
    answers: dict[int, list[dict[str, Any]]] = {}
    for line in rows["self_evaluation_lines"]:
        answers.setdefault(line["evaluation_id"], []).append(line)
    for item_id, evaluation in evaluations.items():
        lines = answers[evaluation["id"]]
        assert {line["target_line_id"] for line in lines} == set(targets[item_id])
        assert evaluation["status"] == "graded" and evaluation["graded_by_id"] is not None
        assert evaluation["final_score"] == evaluation["computed_score"]
        assert scoring.grade_of(evaluation["final_score"], BANDS).value == evaluation["grade"]
        execution = Decimal(evaluation["scoring"]["execution_points"])
        points = sum((line["computed_points"] for line in lines), Decimal(0))
        assert execution + points == evaluation["final_score"]
        assert evaluation["final_execution"] <= items[item_id]["approved_amount"]
        for line in lines:
            target = targets[item_id][line["target_line_id"]]
            assert 0 <= line["computed_points"] <= target["weight"]
            short = (
                line["computed_points"] < target["weight"]
                if line["qualitative_status"] is None
                else line["qualitative_status"] != "achieved"
            )
            if short:
                assert line["explanation"]  # the service refuses a shortfall unexplained
    grades = Counter(row["grade"] for row in rows["self_evaluations"])
    assert grades["excellent"] + grades["good"] > 0.7 * len(evaluations)
    assert 0 < grades["poor"] < grades["fair"] < grades["good"]

    # continuations: last year's item of the same owner; after 差 less money (S2.5)
    continued = [item for item in items.values() if item["continues_item_id"] is not None]
    assert {year_of[item["id"]] for item in continued} == {2024, 2025}
    assert all(
        item["continues_item_id"] is not None
        for item in items.values()
        if item["kind"] == "department_overall" and year_of[item["id"]] > 2023
    )
    share = sum(item["kind"] != "department_overall" for item in continued) / sum(
        item["kind"] != "department_overall" and year_of[item["id"]] > 2023
        for item in items.values()
    )
    assert 0.5 < share < 0.75
    after_poor = 0
    for item in continued:
        predecessor = items[item["continues_item_id"]]
        assert predecessor["organisation_id"] == item["organisation_id"]
        assert year_of[predecessor["id"]] == year_of[item["id"]] - 1
        assert predecessor["kind"] == item["kind"]
        result = evaluations[predecessor["id"]]
        assert result["graded_at"] < item["decided_at"]  # the decision knew the grade
        if result["grade"] == "poor":
            after_poor += 1
            assert item["approved_amount"] < predecessor["approved_amount"]
    assert after_poor > 0
    plans = {row["item_id"] for row in rows["result_rectification_plans"]}
    fair = {item_id for item_id, row in evaluations.items() if row["grade"] == "fair"}
    assert plans < fair and len(plans) > len(fair) / 2


def _client(engine: Any) -> Iterator[TestClient]:
    """The application with its real request sessions, on the generated county."""
    app = create_app()
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def session_for(request: Request) -> Iterator[Session]:
        yield from request_session(request, sessions)

    app.state.session_scope = session_for
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": FINANCE_USER, "password": BENCH_PASSWORD}
        )
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


def test_a_generated_county_reads_through_the_overview_and_the_ledger(tmp_path):
    with fresh_database_url(tmp_path, "bench") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            county = generate(engine, organisations=30, items=120, seed=3, year=2025)
            with Session(engine) as session:
                december = service.monitoring_overview(session, READER, 2025, 12)
                june = service.monitoring_overview(session, READER, 2025, 6)
                decisions = _decisions_again(session)
                rescored = _scores_again(session)
            for client in _client(engine):
                ledger = client.get("/api/v1/fiscal-years/2024/results", params={"limit": 100})
                poor = client.get(
                    "/api/v1/fiscal-years/2024/results", params={"grade": "poor", "limit": 100}
                )
                by_organisation = client.get("/api/v1/fiscal-years/2024/results/by-organisation")
                listing = client.get(
                    "/api/v1/budget-items", params={"fiscal_year": 2025, "limit": 100}
                )
                first = ledger.json()["items"][0]["item"]["id"]
                evaluation = client.get(f"/api/v1/budget-items/{first}/self-evaluation")
                assessments = client.get("/api/v1/fiscal-years/2024/department-assessments")
        finally:
            engine.dispose()
    items = county.rows["budget_items"]
    overall = sum(row["kind"] == "department_overall" for row in items) // 3
    reports = sum(
        row["fiscal_year_id"] == county.rows["fiscal_years"][-1]["id"]
        for row in county.rows["monitoring_reports"]
    )
    # the executing year: the overview as before
    assert december.county.items == 120 - overall
    assert june.county.items == 120
    assert december.county.reports.due > 0 and reports > 10 * december.county.reports.due
    assert sum(department.items for department in december.departments) == 120 - overall
    assert 0 < december.county.disbursed <= december.county.approved
    assert december.county.time_progress == 100

    # the most recent closed year through the results ledger (S2.5)
    graded = Counter(
        row["grade"]
        for row in county.rows["self_evaluations"]
        if row["fiscal_year_id"] == county.rows["fiscal_years"][1]["id"]
    )
    assert ledger.status_code == 200 and ledger.json()["total"] == 120
    scores = [Decimal(row["final_score"]) for row in ledger.json()["items"]]
    assert scores == sorted(scores)  # lowest first: what needs acting on
    assert poor.json()["total"] == graded["poor"]
    assert {row["consequence"] for row in poor.json()["items"]} <= {"reduce_or_cancel"}
    assert by_organisation.json()["county"]["graded"] == 120
    assert by_organisation.json()["county"]["grades"] == {
        grade: graded[grade] for grade in ("excellent", "good", "fair", "poor")
    }
    # a generated evaluation reads as the service's own: scoring, lines, checklist
    assert evaluation.status_code == 200, evaluation.text
    body = evaluation.json()
    assert body["status"] == "graded" and body["scoring"]["preview"] is False
    assert body["scoring"]["total"] == body["final_score"]
    assert len(body["lines"]) == len(body["scoring"]["lines"]) >= 6
    assert [check["code"] for check in body["completeness"]][:3] == [
        "SECTIONS_FILLED",
        "LINES_ANSWERED",
        "EXPLANATIONS_PRESENT",
    ]
    assert len(assessments.json()["items"]) == 10  # every department assessed (S3)

    # continuations: the list shows the predecessor's grade, and the funding decision the
    # application would have taken again passes the S2.5 gates
    continuing = [row for row in listing.json()["items"] if row["continues_item_id"]]
    assert continuing and all(row["predecessor_grade"] for row in continuing)
    assert decisions["POOR_RESULT_REQUIRES_REDUCTION passed"] > 0
    assert "POOR_RESULT_REQUIRES_REDUCTION failed" not in decisions
    assert decisions["RECTIFICATION_PLAN_EXPECTED passed"] > decisions.get(
        "RECTIFICATION_PLAN_EXPECTED failed", 0
    )
    assert rescored == {"checked": 40, "differ": 0}


def _decisions_again(session: Session) -> dict[str, int]:
    """Each continuation's funding decision taken again with its approved amount, by the
    application's own gates: the S2.5 result gate (after a poor result, less than last
    year's approval) must pass; after a fair one the plan is mostly on file."""
    predecessor = aliased(BudgetItem)
    plan = exists(select(RectificationPlan.id).where(RectificationPlan.item_id == predecessor.id))
    rows = session.execute(
        select(BudgetItem, SelfEvaluation.grade, predecessor.approved_amount, plan)
        .join(predecessor, predecessor.id == BudgetItem.continues_item_id)
        .join(SelfEvaluation, SelfEvaluation.item_id == predecessor.id)
    ).all()
    tally: Counter[str] = Counter()
    for item, grade, approved, plan_on_file in rows:
        item.status = ItemStatus.finance_review  # in memory only: as before the decision
        context = gates.GateContext(
            item=item,
            targets_approved=True,
            assessment=None,
            predecessor_grade=grade,
            predecessor_approved=approved,
            rectification_plan_on_file=bool(plan_on_file),
        )
        for gate in gates.evaluate(context, item.approved_amount):
            if gate.code in ("POOR_RESULT_REQUIRES_REDUCTION", "RECTIFICATION_PLAN_EXPECTED"):
                tally[f"{gate.code} {'passed' if gate.satisfied else 'failed'}"] += 1
    session.rollback()
    return dict(tally)


def _scores_again(session: Session) -> dict[str, int]:
    """Score some generated self-evaluations again the way the service does at submission."""
    parameters = RuleParameters()
    evaluations = session.scalars(select(SelfEvaluation).order_by(SelfEvaluation.id).limit(40))
    checked = differ = 0
    for evaluation in evaluations:
        item = session.get_one(BudgetItem, evaluation.item_id)
        approved = reading.approved_lines(session, item)
        card = reading.scorecard(
            item, evaluation, reading.answers(evaluation, approved), parameters
        )
        checked += 1
        differ += (card.total, card.grade) != (evaluation.final_score, evaluation.grade)
    return {"checked": checked, "differ": differ}

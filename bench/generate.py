"""A county-sized data set for the benchmarks.

    python -m bench.generate --database-url URL \
        [--organisations 300 --items 6000 --years 3 --year 2025 --seed 42]

Migrates the database, then fills it with bulk Core inserts (not the API): a finance bureau
and a department/unit tree, and for each of ``--years`` fiscal years up to ``--year`` (the
earlier ones closed, ``--year`` executing) ``--items`` funded items in the four budget books,
approved targets of 6–12 lines, twelve months of monitoring reports with their lights,
spending plans, disbursements, payment holds and rectification orders. From the second year
on, most projects and policies and every department's overall budget continue last year's
item of the same owner, reduced below last year's approval after a poor result (S2.5). Each
item of a closed year has a graded self-evaluation, scored line by line by the application's
own scoring functions, and most items graded fair a rectification plan; each closed year gets
its department assessment computed through the service. The same seed gives the same
county. The database must hold no organisations yet.

Signs in for the benchmarks: ``bench_finance`` / ``bench_oversight`` with BENCH_PASSWORD.
"""

import argparse
import functools
import gc
import itertools
import math
import operator
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Engine, Table, exists, func, select, text
from sqlalchemy.exc import DBAPIError

from perfbudget.budget_items.models import ItemKind
from perfbudget.evaluations import scoring
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.indicators.models import Direction
from perfbudget.monitoring.models import QualitativeStatus
from perfbudget.monitoring.schedule import due_date, report_months

BENCH_PASSWORD = "Bench#County2026"
FINANCE_USER = "bench_finance"
OVERSIGHT_USER = "bench_oversight"
CHUNK = 5000
YEARS = 3
CONTINUED = 0.65  # chance that a project or policy continues one of its owner's last year

DEPARTMENTS = [
    "县教育局", "县卫生健康委员会", "县农业农村局", "县交通运输局", "县水利局", "县自然资源局",
    "县住房和城乡建设局", "县民政局", "县人力资源和社会保障局", "县文化体育广播电视和旅游局",
    "县市场监督管理局", "县生态环境局", "县应急管理局", "县公安局", "县司法局",
    "县林业和草原局", "县商务和工业信息化局", "县科学技术局", "县退役军人事务局",
    "县医疗保障局", "县统计局", "县审计局", "县乡村振兴局", "县城市管理局", "县档案馆",
    "县融媒体中心", "县妇女联合会", "县残疾人联合会", "县总工会", "县供销合作社", "县气象局",
    "县畜牧兽医局", "县粮食和物资储备局", "县机关事务管理局", "县信访局", "县人民法院",
    "县人民检察院", "县消防救援大队", "奇台镇人民政府", "老奇台镇人民政府",
    "半截沟镇人民政府", "吉布库镇人民政府", "东湾镇人民政府", "西地镇人民政府",
    "碧流河镇人民政府", "三个庄子镇人民政府", "西北湾镇人民政府", "坎尔孜乡人民政府",
    "五马场乡人民政府", "七户乡人民政府", "乔仁乡人民政府",
]  # fmt: skip
UNIT_KINDS = [
    "服务中心", "管理站", "监测站", "推广站", "综合执法大队", "中心学校", "卫生院", "养护站",
    "管理所", "事务中心", "研究所", "培训中心",
]  # fmt: skip
TOPICS = [
    "义务教育薄弱环节改善", "农村公路养护", "高标准农田建设", "基层医疗卫生服务能力提升",
    "城乡居民基本医疗保险补助", "农村饮水安全巩固提升", "森林草原防火", "公共文化服务体系建设",
    "就业创业补贴", "城镇老旧小区改造", "畜禽粪污资源化利用", "困难群众救助", "学前教育发展",
    "乡村振兴衔接资金", "河湖长制管理", "地质灾害防治", "农机购置补贴", "残疾人康复服务",
    "市场监管执法装备购置", "智慧城管平台运维", "生态环境监测", "应急物资储备", "退役军人优抚",
    "全民健身设施建设", "旅游基础设施建设", "政府购买养老服务", "污水处理厂运营",
    "国有企业资本金注入", "社会保险待遇支付", "专项债券园区基础设施",
]  # fmt: skip
# category → (name, direction, unit, target value); qualitative lines have no value
LINES: dict[str, list[tuple[str, str, str | None, str | None]]] = {
    "quantity": [
        ("完成建设任务数量", "gte", "个", "12"),
        ("受益人数", "gte", "人", "3500"),
        ("培训人次", "gte", "人次", "800"),
        ("改造面积", "gte", "平方米", "24000"),
    ],
    "quality": [("工程验收合格率", "gte", "%", "100"), ("设备完好率", "gte", "%", "95")],
    "timeliness": [("按期完成率", "gte", "%", "100"), ("资金拨付及时率", "gte", "%", "95")],
    "economic_cost": [("成本控制率", "lte", "%", "100"), ("单位里程成本", "lte", "万元", "85")],
    "social_effect": [("群众生产生活条件改善", "qualitative", None, None)],
    "economic_effect": [("带动群众增收", "gte", "万元", "300")],
    "ecological_effect": [("项目区植被覆盖率", "gte", "%", "45")],
    "sustainable_effect": [("长效管护机制建立", "qualitative", None, None)],
    "service_satisfaction": [("受益群众满意度", "gte", "%", "90")],
    "running_cost": [("公用经费控制率", "lte", "%", "100")],
    "management_efficiency": [("预算执行率", "gte", "%", "95")],
    "duty_performance": [("重点工作完成率", "gte", "%", "100")],
    "social_impact": [("社会公众认可度", "qualitative", None, None)],
    "sustainability": [("制度建设完善程度", "qualitative", None, None)],
    "beneficiary_satisfaction": [("服务对象满意度", "gte", "%", "90")],
}  # fmt: skip
OUTPUT = ("quantity", "quality", "timeliness")
EFFECT = ("social_effect", "economic_effect", "ecological_effect", "sustainable_effect")
ASPECTS = (
    "running_cost",
    "management_efficiency",
    "duty_performance",
    "social_impact",
    "sustainability",
    "beneficiary_satisfaction",
)
BOOKS = {"general_public": 72, "government_fund": 16, "state_capital": 4, "social_insurance": 8}
FUNDS = {
    "ordinary": 80,
    "government_procurement": 8,
    "purchase_of_services": 6,
    "government_debt": 3,
    "ppp": 2,
    "government_investment_fund": 1,
}
LIGHT_SEVERITY = {"green": 0, "blue": 1, "yellow": 2, "red": 3}
# cumulative weights, worked out once (random.choices gives the same draws either way)
BOOK_NAMES, BOOK_CHANCES = list(BOOKS), list(itertools.accumulate(BOOKS.values()))
FUND_NAMES, FUND_CHANCES = list(FUNDS), list(itertools.accumulate(FUNDS.values()))
INDICATOR_LIGHTS, INDICATOR_CHANCES = ("green", "blue", "yellow", "red"), (70, 76, 91, 100)
DIRECTIONS = {direction.value: direction for direction in Direction}
# why a line missed its target (the service refuses a submission without it, S2.4)
EXPLANATIONS = {
    "gte": "受实施条件影响，未完全达到年度目标值。",
    "lte": "材料和人工价格上涨，成本高于目标值。",
    "qualitative": "部分工作仍在推进，未全部达成预期。",
}


@functools.cache
def utc(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def split(total: int, parts: int) -> list[Decimal]:
    """``total`` points in ``parts`` weights with two decimals that add up exactly."""
    base = (Decimal(total) / parts).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [base] * (parts - 1) + [Decimal(total) - base * (parts - 1)]


@dataclass
class County:
    """The rows to insert, per table, and the ids already handed out."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step of generate()

    def add(self, table: str, **values: Any) -> int:
        row_id = self.next_ids[table]
        self.next_ids[table] = row_id + 1
        self.rows.setdefault(table, []).append({"id": row_id, **values})
        return row_id


@dataclass
class Org:
    id: int
    code: str
    name: str
    kind: str
    path: str
    children: int = 0


@dataclass
class Funded:
    """An item as the next year sees it: what may continue it, and its grade (S2.5)."""

    id: int
    owner: Org
    kind: str
    topic: str
    approved: Decimal
    grade: str | None = None


class Generator:
    def __init__(
        self, county: County, seed: int, year: int, password_hash: str, years: int = YEARS
    ) -> None:
        self.county = county
        self.password_hash = password_hash
        self.rng = random.Random(seed)
        self.first_year = year - years + 1
        self.last_year = year
        self.year = self.first_year
        self.closed = False
        self.now = datetime(self.first_year - 1, 11, 1, 9, tzinfo=UTC)  # when it was set up
        self.parameters = RuleParameters()
        self.finance_user = 0
        self.fiscal_year_id = 0
        self.funded: list[Funded] = []
        # last year's items: what this year's may continue
        self.previous: dict[int, list[Funded]] = {}
        self.previous_overall: dict[int, Funded] = {}

    # --- organisations and users ----------------------------------------------------------

    def organisation(self, code: str, name: str, kind: str, parent: Org | None) -> Org:
        row_id = self.county.next_ids["organisations"]
        path = f"{parent.path if parent else '/'}{row_id}/"
        self.county.add(
            "organisations",
            code=code,
            name_zh=name,
            name_en=None,
            kind=kind,
            parent_id=parent.id if parent else None,
            path=path,
            is_active=True,
            version=1,
            created_at=self.now,
            updated_at=self.now,
        )
        if parent:
            parent.children += 1
        return Org(row_id, code, name, kind, path)

    def organisations(self, total: int) -> tuple[list[Org], list[Org]]:
        finance = self.organisation("100", "县财政局", "bureau", None)
        self.organisation("110", "县发展和改革委员会", "bureau", None)
        oversight = self.organisation("120", "县人大常委会预算工作委员会", "bureau", None)
        count = max(10, total // 6)
        departments = [
            self.organisation(
                str(201 + n),
                DEPARTMENTS[n % len(DEPARTMENTS)] + ("" if n < len(DEPARTMENTS) else f"（{n}）"),
                "department",
                None,
            )
            for n in range(count)
        ]
        units: list[Org] = []
        first_level: list[Org] = []
        for _ in range(max(0, total - 3 - count)):
            # a fifth of the units hang under another unit: three levels, as in a real county
            nested = first_level and self.rng.random() < 0.2
            parent = self.rng.choice(first_level if nested else departments)
            code = f"{parent.code}{parent.children + 1:03d}"
            stem = parent.name.removeprefix("县").removesuffix("人民政府")
            unit = self.organisation(code, stem + self.rng.choice(UNIT_KINDS), "unit", parent)
            units.append(unit)
            if not nested:
                first_level.append(unit)
        self.users(finance, oversight)
        return departments, units

    def users(self, finance: Org, oversight: Org) -> None:
        for username, display, role, org in (
            (FINANCE_USER, "财政局绩效管理科（基准测试）", "finance", finance),
            (OVERSIGHT_USER, "人大预工委（基准测试）", "oversight", oversight),
        ):
            user_id = self.county.add(
                "users",
                username=username,
                display_name=display,
                role=role,
                organisation_id=org.id,
                password_hash=self.password_hash,
                is_active=True,
                must_change_password=False,
                token_version=1,
                failed_login_count=0,
                version=1,
                created_at=self.now,
                updated_at=self.now,
            )
            if role == "finance":
                self.finance_user = user_id

    # --- the years ----------------------------------------------------------------------

    def years(self, departments: list[Org], units: list[Org], items: int) -> None:
        """Every year in turn, the earlier ones closed: each continues the one before."""
        for year in range(self.first_year, self.last_year + 1):
            self.fiscal_year(year)
            self.funded = []
            self.items(departments, units, items)
            self.previous = {}
            self.previous_overall = {}
            for funded in self.funded:
                if funded.kind == "department_overall":
                    self.previous_overall[funded.owner.id] = funded
                else:
                    self.previous.setdefault(funded.owner.id, []).append(funded)

    def fiscal_year(self, year: int) -> None:
        self.year = year
        self.closed = year < self.last_year
        created = datetime(year - 1, 11, 1, 9, tzinfo=UTC)
        self.fiscal_year_id = self.county.add(
            "fiscal_years",
            year=year,
            status="closed" if self.closed else "executing",
            parameters=self.parameters.model_dump(mode="json"),
            # preparing → executing (→ closed, once its self-evaluations were graded)
            version=3 if self.closed else 2,
            created_at=created,
            updated_at=utc(date(year + 1, 2, 28)) if self.closed else created,
        )

    # --- items and targets --------------------------------------------------------------

    def items(self, departments: list[Org], units: list[Org], total: int) -> None:
        owners = departments + units
        weights = [1.0] * len(departments) + [0.6] * len(units)
        overall = departments[: min(len(departments), total)]
        chosen = self.rng.choices(owners, weights, k=total - len(overall))
        for n, owner in enumerate(chosen):
            predecessor = self.continued(owner)
            if predecessor is not None:
                kind = predecessor.kind
            else:
                kind = "policy" if self.rng.random() < 0.18 else "project"
            self.item(n, owner, kind, predecessor)
        for n, owner in enumerate(overall, start=len(chosen)):
            # a department's overall budget continues last year's, every year
            self.item(n, owner, "department_overall", self.previous_overall.get(owner.id))

    def continued(self, owner: Org) -> Funded | None:
        """Last year's project or policy of the same owner that this one continues, if any."""
        candidates = self.previous.get(owner.id)
        if not candidates or self.rng.random() >= CONTINUED:
            return None
        predecessor = candidates.pop(self.rng.randrange(len(candidates)))
        if predecessor.grade == "poor" and self.rng.random() < 0.4:
            return None  # S2.5: cancelled after a poor result; something new instead
        return predecessor

    def continued_amount(self, predecessor: Funded, kind: str) -> Decimal:
        """Around last year's approval; below it after a poor result, as S2.5 and the gate
        POOR_RESULT_REQUIRES_REDUCTION require (strictly less than last year's)."""
        poor = predecessor.grade == "poor"
        factor = self.rng.uniform(0.5, 0.9) if poor else self.rng.uniform(0.9, 1.15)
        amount = float(predecessor.approved) * factor
        if kind == "department_overall":
            approved = money(round(amount, -3))
        else:
            approved = money(min(6e7, max(2e4, round(amount, -2))))
        if poor and approved >= predecessor.approved:
            approved = predecessor.approved - 100
        return approved

    def item(self, n: int, owner: Org, kind: str, predecessor: Funded | None) -> None:
        rng = self.rng
        y = self.year
        topic = ""
        if kind == "department_overall":
            approved = money(round(rng.uniform(3e6, 8e7), -3))
            name = f"{owner.name}{y}年部门整体支出"
        else:
            approved = money(min(6e7, max(2e4, round(math.exp(rng.gauss(12.9, 1.1)), -2))))
            topic = predecessor.topic if predecessor else rng.choice(TOPICS)
            name = f"{y}年{topic}项目"
        if predecessor is not None:
            approved = self.continued_amount(predecessor, kind)
        mid_year = kind != "department_overall" and not predecessor and rng.random() < 0.05
        decided = date(y, rng.randint(3, 10), rng.randint(1, 28)) if mid_year else date(y, 1, 1)
        # after last year's self-evaluations were graded (by 5 January)
        decided += timedelta(days=0 if mid_year else rng.randint(5, 20))
        item_id = self.county.add(
            "budget_items",
            fiscal_year_id=self.fiscal_year_id,
            organisation_id=owner.id,
            code=f"{y}{owner.code}{n:05d}",
            name=name,
            kind=kind,
            budget_book=rng.choices(BOOK_NAMES, cum_weights=BOOK_CHANCES)[0],
            fund_category=rng.choices(FUND_NAMES, cum_weights=FUND_CHANCES)[0],
            new_major=rng.random() < 0.08 and predecessor is None,  # a continuation is not new
            capital_construction=rng.random() < 0.06,
            mid_year_addition=mid_year,
            serves_public=rng.random() < 0.4,
            requested_amount=money(float(approved) * rng.uniform(1.0, 1.2)),
            description="",
            continues_item_id=predecessor.id if predecessor else None,
            status="funded",
            submitted_at=utc(decided - timedelta(days=40)),
            approved_amount=approved,
            decision_reason=None,
            decided_by_id=self.finance_user,
            decided_at=utc(decided),
            created_by_id=None,
            version=3,
            created_at=utc(decided - timedelta(days=60)),
            updated_at=utc(decided),
        )
        lines = self.targets(item_id, kind, decided)
        execution = Execution(self, item_id, owner, kind, approved, decided)
        execution.run()
        grade = None
        if self.closed:
            grade = Evaluation(self, item_id, owner, name, kind, approved, execution, lines).run()
        self.funded.append(Funded(item_id, owner, kind, topic, approved, grade))

    def targets(self, item_id: int, kind: str, decided: date) -> list[dict[str, Any]]:
        rng = self.rng
        count = rng.randint(6, 12)
        if kind == "department_overall":
            categories = list(ASPECTS) + [rng.choice(ASPECTS) for _ in range(count - 6)]
            weights = split(90, count)
        else:
            effect = rng.randint(1, 3)
            cost = 1 if rng.random() < 0.5 else 0
            output = count - 1 - effect - cost
            categories = (
                [rng.choice(OUTPUT) for _ in range(output)]
                + ["economic_cost"] * cost
                + [rng.choice(EFFECT) for _ in range(effect)]
                + ["service_satisfaction"]
            )
            weights = split(50, output + cost) + split(30, effect) + split(10, 1)
        set_id = self.county.add(
            "target_sets",
            item_id=item_id,
            number=1,
            status="approved",
            overall_goal="按期保质完成年度建设任务，资金使用规范高效，受益群众满意。",
            adjustment_reason=None,
            return_reason=None,
            submitted_at=utc(decided - timedelta(days=40)),
            approved_at=utc(decided - timedelta(days=10)),
            approved_by_id=self.finance_user,
            created_by_id=None,
            version=3,
            created_at=utc(decided - timedelta(days=60)),
            updated_at=utc(decided - timedelta(days=10)),
        )
        lines = []
        for position, (category, weight) in enumerate(zip(categories, weights, strict=True)):
            name, direction, unit, value = rng.choice(LINES[category])
            self.county.add(
                "target_lines",
                target_set_id=set_id,
                position=position + 1,
                category=category,
                name=name,
                direction=direction,
                target_value=Decimal(value) if value else None,
                unit=unit,
                qualitative_standard="达到年度预期目标" if value is None else None,
                weight=weight,
                library_indicator_id=None,
                framework_indicator_id=None,
            )
            lines.append(self.county.rows["target_lines"][-1])
        return lines


class Execution:
    """One item's year: its plan, payments, monthly reports, holds and rectification orders."""

    def __init__(
        self, gen: Generator, item_id: int, owner: Org, kind: str, approved: Decimal, decided: date
    ) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.item_id = item_id
        self.owner = owner
        self.kind = kind
        self.approved = approved
        self.first_month = decided.month if decided.year == gen.year else 1
        self.paid = Decimal(0)
        self.plan: dict[int, Decimal] = {}
        rng = self.rng
        self.speed = rng.lognormvariate(0, 0.2) * (0.55 if rng.random() < 0.15 else 1.0)
        self.curve = rng.uniform(0.8, 1.6)  # above 1: spending back-loaded to December
        fate = rng.random()
        months = range(max(3, self.first_month), 12)
        self.stop_month = rng.choice(months) if fate < 0.005 and months else None
        self.suspend_month = rng.choice(months) if 0.005 <= fate < 0.02 and months else None
        self.paused_until = 0
        self.item_kind = ItemKind(kind)

    def progress(self, month: int) -> float:
        span = 12 - self.first_month + 1
        return float(max(0, month - self.first_month + 1)) / span

    def run(self) -> None:
        months = report_months(self.item_kind)
        if self.kind != "department_overall" and self.rng.random() < 0.25:
            shape = self.rng.uniform(0.7, 1.3)
            for month in range(1, 13):
                fraction = self.progress(month) ** shape
                self.plan[month] = money(float(self.approved) * fraction)
            self.plan[12] = self.approved
            for month, amount in self.plan.items():
                self.gen.county.add(
                    "spending_plan_months",
                    item_id=self.item_id,
                    month=month,
                    cumulative_amount=amount,
                )
        for month in range(self.first_month, 13):
            self.pay(month)
            if month in months:
                self.report(month)

    def pay(self, month: int) -> None:
        if self.kind == "department_overall" or month < self.first_month:
            return
        if (self.stop_month and month > self.stop_month) or month <= self.paused_until:
            return
        fraction = min(1.0, self.progress(month) ** self.curve * self.speed)
        delta = money(float(self.approved) * fraction) - self.paid
        if delta >= 100 and (self.rng.random() < 0.7 or month == 12):
            day = date(self.gen.year, month, self.rng.randint(1, 28))
            self.gen.county.add(
                "disbursements",
                item_id=self.item_id,
                amount=delta,
                paid_on=day,
                purpose=f"{month}月拨付项目资金",
                source="treasury",
                external_reference=f"GK{self.gen.year}-{self.gen.county.next_ids['disbursements']:07d}",
                recorded_by_id=self.gen.finance_user,
                recorded_at=utc(day, 16),
            )
            self.paid += delta

    def lights(self, month: int) -> tuple[str, str, dict[str, Any]]:
        """§3: execution rate against time progress (the plan's when there is one)."""
        parameters = self.gen.parameters.execution_light
        time_progress = (
            self.plan[month] / self.approved if self.plan else Decimal(month) / Decimal(12)
        )
        rate = self.paid / self.approved
        if self.kind == "department_overall":
            # the department's whole budget is paid outside these items: simulate its pace
            rate = money(min(1.0, 0.5 * self.speed))
        ratio = rate / time_progress * 100 if time_progress else Decimal(0)
        execution = (
            "red"
            if ratio < parameters.red_below
            else "yellow"
            if ratio < parameters.yellow_below
            else "green"
        )
        indicator = self.rng.choices(INDICATOR_LIGHTS, cum_weights=INDICATOR_CHANCES)[0]
        item = max(execution, indicator, key=LIGHT_SEVERITY.__getitem__)
        explanation = {
            "execution": {
                "formula": "execution_rate / time_progress",
                "execution_rate": f"{rate * 100:.2f}",
                "time_progress": f"{time_progress * 100:.2f}",
                "ratio": f"{ratio:.2f}",
                "light": execution,
            },
            "indicators": {"worst": indicator},
            "item": item,
        }
        return execution, item, explanation

    def status(self, month: int, light: str) -> str | None:
        """None: no report at all. The last two months are still in the pipeline."""
        roll = self.rng.random()
        if month == self.stop_month:
            return "stopped"
        if month == self.suspend_month:
            return "suspended"
        if self.gen.closed:
            # a closed year: every report filed and reviewed
            return "rectify" if light == "red" and self.rng.random() < 0.12 else "accepted"
        pipeline = {11: (0.04, 0.10, 0.13, 0.21, 0.51), 12: (0.08, 0.20, 0.23, 0.33, 0.78)}
        missing, draft, returned, department, finance = pipeline.get(
            month, (0.015, 0.025, 0.04, 0.04, 0.04)
        )
        if roll < missing:
            return None
        if roll < draft:
            return "draft"
        if roll < returned:
            return "returned"
        if roll < department:
            return "department_review" if self.owner.kind == "unit" else "finance_review"
        if roll < finance:
            return "finance_review"
        if light == "red" and self.rng.random() < 0.12:
            return "rectify"
        return "accepted"

    def report(self, month: int) -> None:
        rng = self.rng
        gen = self.gen
        execution, item_light, explanation = self.lights(month)
        status = self.status(month, item_light)
        if status is None:
            return
        due = due_date(gen.parameters, gen.year, month, self.item_kind)
        submitted = status != "draft"
        late = submitted and rng.random() < 0.08
        submitted_on = due + timedelta(days=rng.randint(1, 25) if late else -rng.randint(0, 9))
        reviewed = status not in ("draft", "department_review", "finance_review")
        reviewed_on = submitted_on + timedelta(days=rng.randint(1, 10))
        report_id = gen.county.add(
            "monitoring_reports",
            item_id=self.item_id,
            fiscal_year_id=gen.fiscal_year_id,
            organisation_id=self.owner.id,
            month=month,
            status=status,
            cumulative_execution=self.paid,
            target_expected=item_light != "red",
            deviation_reasons="资金拨付进度滞后于计划" if item_light in ("yellow", "red") else "",
            corrective_measures="加快项目实施和资金支付进度" if item_light == "red" else "",
            due_on=due,
            submitted_at=utc(submitted_on) if submitted else None,
            late=late,
            item_light=item_light if submitted else None,
            execution_light=execution if submitted else None,
            lights=explanation if submitted else {},
            return_reason="请补充偏差原因" if status == "returned" else None,
            review_reason="执行进度严重滞后"
            if status in ("rectify", "suspended", "stopped")
            else None,
            reviewed_by_id=gen.finance_user if reviewed else None,
            reviewed_at=utc(reviewed_on) if reviewed else None,
            created_by_id=None,
            version=2 if submitted else 1,
            created_at=utc(due - timedelta(days=9)),
            updated_at=utc(reviewed_on if reviewed else submitted_on),
        )
        if status in ("rectify", "suspended", "stopped"):
            self.consequence(status, report_id, reviewed_on)

    def consequence(self, status: str, report_id: int, reviewed_on: date) -> None:
        """S2.3.2: a rectification order, and for a suspension or a stop a payment hold."""
        rng = self.rng
        county = self.gen.county
        deadline = reviewed_on + timedelta(days=30)
        settled = deadline < date(self.gen.year, 11, 1)
        hold_id = None
        if status != "rectify":
            lifted = status == "suspended" and settled and rng.random() < 0.75
            hold_id = county.add(
                "payment_holds",
                item_id=self.item_id,
                kind="stop" if status == "stopped" else "suspend",
                reason="执行进度严重滞后，绩效目标难以实现",
                report_id=report_id,
                unspent_balance=self.approved - self.paid if status == "stopped" else None,
                placed_by_id=self.gen.finance_user,
                placed_at=utc(reviewed_on),
                lifted_at=utc(deadline) if lifted else None,
                lifted_by_id=self.gen.finance_user if lifted else None,
                lift_reason="整改到位" if lifted else None,
            )
            # no money while held: until the lift, or for the rest of the year
            self.paused_until = deadline.month if lifted else 12
            if status == "stopped":
                return
        open_states: tuple[tuple[str, ...], tuple[int, ...]] = (
            ("open", "answered", "rejected"),
            (50, 35, 15),
        )
        if self.gen.closed:
            # a closed year: every order answered and verified, a few found wanting
            open_states = ("rejected",), (1,)
        states: tuple[str, ...]
        chances: tuple[int, ...]
        if hold_id is not None:
            # verifying the rectification is what lifts a suspension
            held = self.paused_until == 12
            states, chances = open_states if held else (("accepted",), (1,))
        elif self.gen.closed:
            states, chances = ("accepted", "rejected"), (88, 12)
        elif settled:
            states, chances = ("accepted", "rejected", "answered"), (80, 10, 10)
        else:
            states, chances = open_states
        rectification = rng.choices(states, chances)[0]
        responded = rectification != "open"
        county.add(
            "rectifications",
            item_id=self.item_id,
            report_id=report_id,
            organisation_id=self.owner.id,
            hold_id=hold_id,
            required_measures="分析滞后原因，制定整改措施，加快项目实施进度",
            deadline=deadline,
            status=rectification,
            response_measures="已调整实施计划并加快支付" if responded else None,
            responded_at=utc(deadline - timedelta(days=5)) if responded else None,
            verification_note="整改到位" if rectification == "accepted" else None,
            verified_by_id=self.gen.finance_user if rectification == "accepted" else None,
            verified_at=utc(deadline) if rectification == "accepted" else None,
            created_by_id=self.gen.finance_user,
            version=1,
            created_at=utc(reviewed_on),
            updated_at=utc(reviewed_on),
        )


class Evaluation:
    """A closed year's self-evaluation of one item (S2.4), scored by the application's own
    scoring functions as the service scores it at submission, then graded by finance."""

    def __init__(
        self,
        gen: Generator,
        item_id: int,
        owner: Org,
        name: str,
        kind: str,
        approved: Decimal,
        execution: "Execution",
        lines: list[dict[str, Any]],
    ) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.item_id = item_id
        self.owner = owner
        self.name = name
        self.kind = kind
        self.approved = approved
        self.execution = execution
        self.lines = lines

    def final_execution(self) -> Decimal:
        if self.kind == "department_overall":
            # the department's whole budget is paid outside these items: its own figure
            return money(float(self.approved) * min(1.0, self.rng.uniform(0.84, 1.04)))
        return self.execution.paid

    def level(self, rate: float) -> float:
        """How far the targets were met: mostly in step with the money spent; a few items
        fall well short whatever was spent, and a stopped one does not recover."""
        level = 0.62 + 0.35 * rate + self.rng.gauss(0.0, 0.08)
        if self.rng.random() < 0.06:
            level -= self.rng.uniform(0.15, 0.45)
        if self.execution.stop_month:
            level -= 0.2
        return max(0.0, level)

    def answer(self, line: dict[str, Any], share: float) -> scoring.LineAnswer:
        """The final actual (or the qualitative level and share) of one line, ``share`` of
        the way to its target."""
        direction = DIRECTIONS[line["direction"]]
        common = {
            "target_line_id": line["id"],
            "name": line["name"],
            "direction": direction,
            "weight": line["weight"],
            "target_value": line["target_value"],
        }
        if direction is Direction.qualitative:
            status = (
                QualitativeStatus.achieved
                if share >= 0.9
                else QualitativeStatus.partially_achieved
                if share >= 0.6
                else QualitativeStatus.not_achieved
            )
            band = getattr(self.gen.parameters.qualitative_bands, status.value)
            pick = min(band.high, max(band.low, Decimal(round(share * 100))))
            return scoring.LineAnswer(**common, qualitative_status=status, qualitative_share=pick)
        target = float(line["target_value"])
        if direction.is_reverse:
            # within the target when met; over it by the shortfall otherwise
            actual = target * (self.rng.uniform(0.9, 1.0) if share >= 1 else 2 - share)
        else:
            actual = target * share
            if line["unit"] == "%":
                actual = min(actual, 100.0)
        places = Decimal("1") if line["unit"] in ("个", "人", "人次", "平方米") else Decimal("0.01")
        final = Decimal(str(actual)).quantize(places, rounding=ROUND_DOWN)
        return scoring.LineAnswer(**common, final_actual=final)

    def run(self) -> str:
        rng = self.rng
        gen = self.gen
        parameters = gen.parameters
        final = self.final_execution()
        level = self.level(float(final / self.approved) if self.approved else 0.0)
        answers = []
        for line in self.lines:
            share = level + rng.gauss(0.0, 0.08)
            # most lines are either met or not: a level near the target meets it
            share = 1.0 if share >= 0.97 else share
            if share >= 1 and rng.random() < 0.15:
                share = rng.uniform(1.0, 1.1)
            answers.append(self.answer(line, max(0.0, share)))
        card = scoring.score(
            execution_weight=parameters.score_weights.budget_execution,
            final_execution=final,
            approved=self.approved,
            lines=answers,
            bands=parameters.qualitative_bands,
            grade_bands=parameters.grade_bands,
            over_achievement_threshold=parameters.over_achievement_threshold,
        )
        flags = scoring.plausibility_flags(
            card,
            parameters=parameters.plausibility,
            final_execution=final,
            approved=self.approved,
            answers=answers,
            # the generated monthly reports carry no indicator lines: no history to contradict
            history={},
        )
        document = card.document()  # as the service stores it; the total and grade from it
        total = Decimal(document["total"])
        grade = str(document["grade"])
        unit = self.owner.kind == "unit"
        year = gen.year
        started = utc(date(year, 12, rng.randint(10, 28)))
        submitted = date(year + 1, 1, rng.randint(2, 3))
        graded = date(year + 1, 1, rng.randint(4, 5))
        evaluation_id = gen.county.add(
            "self_evaluations",
            item_id=self.item_id,
            fiscal_year_id=gen.fiscal_year_id,
            organisation_id=self.owner.id,
            status="graded",
            final_execution=final,
            sections=sections(self.name, grade),
            computed_score=total,
            final_score=total,
            grade=grade,
            grade_override_reason=None,
            finance_finding="自评资料真实、完整，评价结论客观。"
            if grade in ("excellent", "good")
            else "自评资料基本真实、完整；目标完成不足，按评价等级运用结果。",
            scoring=document,
            plausibility_flags=flags,
            completeness=completeness(),
            third_party_id=None,
            third_party_score=None,
            third_party_report=None,
            third_party_submitted_at=None,
            third_party_adopted=False,
            return_reason=None,
            submitted_at=utc(submitted),
            graded_at=utc(graded),
            graded_by_id=gen.finance_user,
            created_by_id=None,
            # draft, submitted (and passed by the parent department for a unit), graded
            version=4 if unit else 3,
            created_at=started,
            updated_at=utc(graded),
        )
        for answer, score, scored in zip(answers, card.lines, document["lines"], strict=True):
            gen.county.add(
                "self_evaluation_lines",
                evaluation_id=evaluation_id,
                target_line_id=answer.target_line_id,
                final_actual=answer.final_actual,
                qualitative_status=None
                if answer.qualitative_status is None
                else answer.qualitative_status.value,
                qualitative_share=answer.qualitative_share,
                explanation=EXPLANATIONS[answer.direction.value]
                if scoring.needs_explanation(score)
                else "",
                computed_points=Decimal(scored["points"]),
                adjusted_points=None,
                adjustment_reason=None,
            )
        if grade == "fair" and rng.random() < 0.85:
            # S2.5: what the department will change before the item is funded again
            gen.county.add(
                "result_rectification_plans",
                item_id=self.item_id,
                plan="针对自评发现的问题，调整实施方案，加强过程监控，按季度报告整改进展。",
                filed_by_id=None,
                filed_at=utc(graded, 16),
            )
        return grade


def sections(name: str, grade: str) -> dict[str, str]:
    """The report's four parts (evaluations.schemas.SECTIONS)."""
    met = grade in ("excellent", "good")
    return {
        "overview": f"{name}按年度计划组织实施，资金按进度拨付。",
        "achievements": "年度绩效目标全面完成。" if met else "年度绩效目标部分完成。",
        "problems": "个别指标完成时间偏后。" if met else "项目实施进度滞后，部分指标未达目标。",
        "improvements": "加强过程管理，提高资金使用效益。"
        if met
        else "调整实施方案，加强绩效监控，落实整改责任。",
    }


def completeness() -> list[dict[str, Any]]:
    """The checklist the service stores at grading (evaluations.reading.completeness): every
    section filled, every line answered and explained; no report attachments generated."""

    def check(code: str, zh: str, en: str, ok: bool, **detail: Any) -> dict[str, Any]:
        return {"code": code, "label": {"zh": zh, "en": en}, "ok": ok, "detail": detail}

    return [
        check("SECTIONS_FILLED", "报告各部分已填写", "Report sections filled", True, empty=[]),
        check(
            "LINES_ANSWERED",
            "绩效指标已逐项自评",
            "Every indicator answered",
            True,
            target_line_ids=[],
        ),
        check(
            "EXPLANATIONS_PRESENT",
            "偏差及超额完成已说明原因",
            "Shortfalls and over-achievements explained",
            True,
            target_line_ids=[],
        ),
        check(
            "ATTACHMENTS_PRESENT",
            "已上传自评报告附件",
            "Report attachments present",
            False,
            count=0,
        ),
    ]


TABLES = (
    "organisations",
    "users",
    "fiscal_years",
    "budget_items",
    "target_sets",
    "target_lines",
    "spending_plan_months",
    "disbursements",
    "monitoring_reports",
    "payment_holds",
    "rectifications",
    "self_evaluations",
    "self_evaluation_lines",
    "result_rectification_plans",
)


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """What ``connection.execute(table.insert(), rows)`` stores, faster: each column's own
    bind processor (as SQLAlchemy applies it; once per distinct timestamp), then a binary
    COPY on PostgreSQL and the driver's executemany on SQLite, in the connection's
    transaction."""
    if not rows:
        return
    dialect = connection.dialect
    keys = list(rows[0])
    getter = operator.itemgetter(*keys)
    processors = []
    for position, key in enumerate(keys):
        column_type = table.c[key].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            if isinstance(getattr(column_type, "impl", column_type), DateTime | Date):
                processor = functools.cache(processor)
            processors.append((position, processor))
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(key) for key in keys)
    if dialect.name == "postgresql":
        # binary COPY: each column's type (OID) as the table has it, so no value is parsed
        types: dict[str, int] = dict(
            connection.execute(
                text(
                    "SELECT attname, CAST(atttypid AS integer) FROM pg_attribute "
                    "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0"
                ),
                {"table": table.name},
            ).all()
        )
        raw = connection.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types([types[key] for key in keys])
            for row in rows:
                values = list(getter(row))
                for position, processor in processors:
                    values[position] = processor(values[position])
                copy.write_row(values)
        return
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(keys))})"
    for chunk in _chunks(rows, CHUNK):
        batch = []
        for row in chunk:
            values = list(getter(row))
            for position, processor in processors:
                values[position] = processor(values[position])
            batch.append(tuple(values))
        connection.exec_driver_sql(statement, batch)


def _without_row_triggers(connection: Connection) -> bool:
    """PostgreSQL checks each row's foreign keys with a trigger, half the load's time. As
    ``pg_restore --disable-triggers`` does, skip them for this transaction where the role
    may (a superuser); the references are then checked in bulk (``_check_references``)."""
    try:
        with connection.begin_nested():
            connection.execute(text("SET LOCAL session_replication_role = replica"))
    except DBAPIError:
        return False
    return True


def _check_references(connection: Connection, tables: list[Table]) -> None:
    """Every foreign key of the rows inserted, one anti-join per key: what the skipped
    triggers would have refused."""
    for table in tables:
        for key in table.foreign_key_constraints:
            ((column, element),) = zip(key.columns, key.elements, strict=True)
            referred = element.column.table.alias()
            missing = connection.scalar(
                select(func.count())
                .select_from(table)
                .where(
                    column.is_not(None),
                    ~exists().where(referred.c[element.column.name] == column),
                )
            )
            if missing:
                raise RuntimeError(f"{table.name}.{column.name}: {missing} rows refer to nothing")


def _next_ids(connection: Connection, tables: dict[str, Table]) -> dict[str, int]:
    return {
        name: (connection.scalar(select(func.max(table.c.id))) or 0) + 1
        for name, table in tables.items()
    }


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from perfbudget.config import get_settings

    config = Config(str(get_settings().alembic_ini))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


def build(
    *,
    organisations: int,
    items: int,
    seed: int,
    year: int,
    next_ids: dict[str, int],
    password_hash: str = "",
    years: int = YEARS,
) -> County:
    """The rows, in memory: the same arguments give the same rows. ``items`` per year;
    ``years`` fiscal years up to ``year``, all but the last closed."""
    if years < 1:
        raise ValueError("at least one fiscal year")
    county = County(next_ids=dict(next_ids))
    with without_gc():
        gen = Generator(county, seed, year, password_hash, years)
        departments, units = gen.organisations(organisations)
        gen.years(departments, units, items)
    return county


@contextmanager
def without_gc() -> Iterator[None]:
    """Millions of plain rows and no reference cycles: the collector's full passes over
    them only cost time (about a third of the build)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def assess(engine: Engine, county: County) -> list[int]:
    """Each closed year's department assessment (S3), computed by the service from the rows
    just inserted, as the finance bureau would after grading. The closed years."""
    from sqlalchemy.orm import Session

    from perfbudget.principal import Actor, RequestMeta, Role
    from perfbudget.results import assessment

    finance = next(row for row in county.rows["users"] if row["username"] == FINANCE_USER)
    actor = Actor(
        finance["id"],
        FINANCE_USER,
        Role.finance,
        finance["organisation_id"],
        None,
        RequestMeta(client_address="cli"),
    )
    closed = sorted(row["year"] for row in county.rows["fiscal_years"] if row["status"] == "closed")
    with Session(engine) as session, session.begin():
        for year in closed:
            assessment.compute_assessments(session, actor, year)
    return closed


def generate(
    engine: Engine, *, organisations: int, items: int, seed: int, year: int, years: int = YEARS
) -> County:
    import perfbudget.models  # noqa: F401 - every table registered on the metadata
    from perfbudget.auth.passwords import hash_password
    from perfbudget.db import Base

    tables = {name: Base.metadata.tables[name] for name in TABLES}
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal started
        timings[step] = time.perf_counter() - started
        started = time.perf_counter()

    with engine.begin() as connection:
        if connection.scalar(select(func.count()).select_from(tables["organisations"])):
            raise SystemExit("the database already holds organisations: use an empty one")
        county = build(
            organisations=organisations,
            items=items,
            seed=seed,
            year=year,
            next_ids=_next_ids(connection, tables),
            password_hash=hash_password(BENCH_PASSWORD),
            years=years,
        )
        lap("build")
        checked_later = engine.dialect.name == "postgresql" and _without_row_triggers(connection)
        with without_gc():
            for name in TABLES:
                insert(connection, tables[name], county.rows.get(name, []))
        if checked_later:
            connection.execute(text("SET LOCAL session_replication_role = origin"))
            _check_references(connection, [tables[name] for name in TABLES])
        if engine.dialect.name == "postgresql":
            # explicit ids: move each sequence past them, so the API can insert afterwards
            for name in TABLES:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
                )
    lap("insert")
    from perfbudget.overview import month_figures

    with engine.begin() as connection:
        month_figures.rebuild(connection)  # the overview's read model, as the API keeps it
    lap("figures")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))  # planner statistics, as a running system has
        connection.commit()
    lap("analyze")
    assess(engine, county)
    lap("assess")
    county.timings = timings
    return county


def summary(county: County) -> str:
    """Per year: status, items, continuations, graded items by grade."""
    years = {row["id"]: row for row in county.rows["fiscal_years"]}
    items: dict[int, list[dict[str, Any]]] = {}
    for row in county.rows["budget_items"]:
        items.setdefault(row["fiscal_year_id"], []).append(row)
    grades: dict[int, dict[str, int]] = {}
    for row in county.rows.get("self_evaluations", []):
        tally = grades.setdefault(row["fiscal_year_id"], {})
        tally[row["grade"]] = tally.get(row["grade"], 0) + 1
    lines = []
    for year_id, year in sorted(years.items(), key=lambda pair: pair[1]["year"]):
        rows = items.get(year_id, [])
        continued = sum(row["continues_item_id"] is not None for row in rows)
        tally = grades.get(year_id, {})
        graded = ", ".join(
            f"{grade} {tally.get(grade, 0)}" for grade in ("excellent", "good", "fair", "poor")
        )
        lines.append(
            f"  {year['year']} {year['status']}: {len(rows)} items, {continued} continue last "
            f"year's" + (f"; graded {sum(tally.values())} ({graded})" if tally else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--organisations", type=int, default=300)
    parser.add_argument("--items", type=int, default=6000, help="Funded items per fiscal year")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--year",
        type=int,
        default=datetime.now(UTC).year - 1,
        help="The executing year; default last year, so all twelve months are due",
    )
    parser.add_argument(
        "--years",
        type=int,
        default=YEARS,
        help="Fiscal years in all, up to --year; all but --year closed and graded",
    )
    args = parser.parse_args(argv)
    if args.years < 1:
        parser.error("--years must be at least 1")
    os.environ["PERFBUDGET_DATABASE_URL"] = args.database_url
    from perfbudget.config import get_settings
    from perfbudget.db import make_engine

    get_settings.cache_clear()
    started = time.perf_counter()
    migrate(args.database_url)
    engine = make_engine(args.database_url)
    county = generate(
        engine,
        organisations=args.organisations,
        items=args.items,
        seed=args.seed,
        year=args.year,
        years=args.years,
    )
    engine.dispose()
    counts = ", ".join(f"{name} {len(county.rows.get(name, []))}" for name in TABLES)
    first = args.year - args.years + 1
    print(
        f"generated fiscal years {first}–{args.year} in {time.perf_counter() - started:.1f} s: "
        f"{counts}"
    )
    print(summary(county))
    print("  steps: " + ", ".join(f"{step} {took:.1f} s" for step, took in county.timings.items()))
    print(f"sign in as {FINANCE_USER} / {BENCH_PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

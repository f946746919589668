"""A county-sized data set for the benchmarks.

    python -m bench.generate --database-url URL [--organisations 300 --items 6000 --seed 42]

Migrates the database, then fills it with bulk Core inserts (not the API): a finance bureau
and a department/unit tree, funded items in the four budget books for one executing year,
approved targets of 6–12 lines, twelve months of monitoring reports with their lights,
spending plans, disbursements, payment holds and rectification orders. The same seed gives
the same county. The database must hold no organisations yet.

Signs in for the benchmarks: ``bench_finance`` / ``bench_oversight`` with BENCH_PASSWORD.
"""

import argparse
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, text

BENCH_PASSWORD = "Bench#County2026"
FINANCE_USER = "bench_finance"
OVERSIGHT_USER = "bench_oversight"
CHUNK = 5000

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


class Generator:
    def __init__(self, county: County, seed: int, year: int, password_hash: str) -> None:
        from perfbudget.fiscal_years.parameters import RuleParameters

        self.county = county
        self.password_hash = password_hash
        self.rng = random.Random(seed)
        self.year = year
        self.now = datetime(year - 1, 11, 1, 9, tzinfo=UTC)  # when the year was set up
        self.parameters = RuleParameters()
        self.finance_user = 0
        self.fiscal_year_id = 0

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
        self.fiscal_year_id = self.county.add(
            "fiscal_years",
            year=self.year,
            status="executing",
            parameters=self.parameters.model_dump(mode="json"),
            version=1,
            created_at=self.now,
            updated_at=self.now,
        )

    # --- items and targets --------------------------------------------------------------

    def items(self, departments: list[Org], units: list[Org], total: int) -> None:
        owners = departments + units
        weights = [1.0] * len(departments) + [0.6] * len(units)
        overall = departments[: min(len(departments), total)]
        chosen = self.rng.choices(owners, weights, k=total - len(overall))
        for n, owner in enumerate(chosen):
            kind = "policy" if self.rng.random() < 0.18 else "project"
            self.item(n, owner, kind)
        for n, owner in enumerate(overall, start=len(chosen)):
            self.item(n, owner, "department_overall")

    def item(self, n: int, owner: Org, kind: str) -> None:
        rng = self.rng
        y = self.year
        if kind == "department_overall":
            approved = money(round(rng.uniform(3e6, 8e7), -3))
            name = f"{owner.name}{y}年部门整体支出"
        else:
            approved = money(min(6e7, max(2e4, round(math.exp(rng.gauss(12.9, 1.1)), -2))))
            name = f"{y}年{rng.choice(TOPICS)}项目"
        mid_year = kind != "department_overall" and rng.random() < 0.05
        decided = date(y, rng.randint(3, 10), rng.randint(1, 28)) if mid_year else date(y, 1, 1)
        decided += timedelta(days=0 if mid_year else rng.randint(5, 20))
        item_id = self.county.add(
            "budget_items",
            fiscal_year_id=self.fiscal_year_id,
            organisation_id=owner.id,
            code=f"{y}{owner.code}{n:05d}",
            name=name,
            kind=kind,
            budget_book=rng.choices(list(BOOKS), list(BOOKS.values()))[0],
            fund_category=rng.choices(list(FUNDS), list(FUNDS.values()))[0],
            new_major=rng.random() < 0.08,
            capital_construction=rng.random() < 0.06,
            mid_year_addition=mid_year,
            serves_public=rng.random() < 0.4,
            requested_amount=money(float(approved) * rng.uniform(1.0, 1.2)),
            description="",
            continues_item_id=None,
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
        self.targets(item_id, kind, decided)
        Execution(self, item_id, owner, kind, approved, decided).run()

    def targets(self, item_id: int, kind: str, decided: date) -> None:
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

    def progress(self, month: int) -> float:
        span = 12 - self.first_month + 1
        return float(max(0, month - self.first_month + 1)) / span

    def run(self) -> None:
        from perfbudget.budget_items.models import ItemKind
        from perfbudget.monitoring.schedule import report_months

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
            if month in report_months(ItemKind(self.kind)):
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
        indicator = self.rng.choices(("green", "blue", "yellow", "red"), (70, 6, 15, 9))[0]
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
        from perfbudget.budget_items.models import ItemKind
        from perfbudget.monitoring.schedule import due_date

        rng = self.rng
        gen = self.gen
        execution, item_light, explanation = self.lights(month)
        status = self.status(month, item_light)
        if status is None:
            return
        due = due_date(gen.parameters, gen.year, month, ItemKind(self.kind))
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
        open_states = ("open", "answered", "rejected"), (50, 35, 15)
        if hold_id is not None:
            # verifying the rectification is what lifts a suspension
            held = self.paused_until == 12
            states, chances = open_states if held else (("accepted",), (1,))
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
)


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


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
) -> County:
    """The rows, in memory: the same arguments give the same rows."""
    county = County(next_ids=dict(next_ids))
    gen = Generator(county, seed, year, password_hash)
    departments, units = gen.organisations(organisations)
    gen.items(departments, units, items)
    return county


def generate(engine: Engine, *, organisations: int, items: int, seed: int, year: int) -> County:
    import perfbudget.models  # noqa: F401 - every table registered on the metadata
    from perfbudget.auth.passwords import hash_password
    from perfbudget.db import Base

    tables = {name: Base.metadata.tables[name] for name in TABLES}
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
        )
        for name in TABLES:
            for chunk in _chunks(county.rows.get(name, []), CHUNK):
                connection.execute(tables[name].insert(), list(chunk))
        if engine.dialect.name == "postgresql":
            # explicit ids: move each sequence past them, so the API can insert afterwards
            for name in TABLES:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
                )
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))  # planner statistics, as a running system has
        connection.commit()
    return county


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--organisations", type=int, default=300)
    parser.add_argument("--items", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--year",
        type=int,
        default=datetime.now(UTC).year - 1,
        help="The executing year; default last year, so all twelve months are due",
    )
    args = parser.parse_args(argv)
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
    )
    engine.dispose()
    counts = ", ".join(f"{name} {len(county.rows.get(name, []))}" for name in TABLES)
    print(f"generated fiscal year {args.year} in {time.perf_counter() - started:.1f} s: {counts}")
    print(f"sign in as {FINANCE_USER} / {BENCH_PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

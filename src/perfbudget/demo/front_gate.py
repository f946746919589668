"""The demo county's budget requests for the year in preparation: one in every state of the
front gate, and one held back by each gate, so that `make run` shows the whole stage."""

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.assessments import service as assessment_service
from perfbudget.assessments.models import AssessmentConclusion, AssessmentDimension
from perfbudget.assessments.schemas import (
    AssessmentAction,
    AssessmentConclusionRequest,
    AssessmentDraft,
    DimensionFinding,
    ReviewerAssignment,
    ReviewSubmission,
)
from perfbudget.auth.deps import actor_for
from perfbudget.budget_items import decisions as item_decisions
from perfbudget.budget_items import preparation as item_preparation
from perfbudget.budget_items import review as item_review
from perfbudget.budget_items.models import BudgetItem
from perfbudget.budget_items.schemas import BudgetDecisionRequest, BudgetItemCreate, ReviewDecision
from perfbudget.indicators import service as indicator_service
from perfbudget.indicators.models import Direction, IndicatorCategory
from perfbudget.indicators.schemas import FrameworkIndicatorCreate, LibraryIndicatorCreate
from perfbudget.orgs import repository as org_repository
from perfbudget.principal import Actor, RequestMeta
from perfbudget.targets import service as target_service
from perfbudget.targets.schemas import TargetLineIn, TargetReview, TargetSetWrite
from perfbudget.users import repository as user_repository

META = RequestMeta(client_address="demo-loader")
C, D = IndicatorCategory, Direction

FRAMEWORK = [
    (C.quantity, "培训人次", D.gte, "人次"),
    (C.quality, "验收合格率", D.gte, "%"),
    (C.timeliness, "按期完成率", D.gte, "%"),
    (C.economic_cost, "成本节约率", D.gte, "%"),
    (C.social_effect, "受益群众人数", D.gte, "人"),
    (C.service_satisfaction, "服务对象满意度", D.gte, "%"),
]


def _actor(session: Session, username: str) -> Actor:
    user = user_repository.get_by_username(session, username)
    assert user is not None, username
    return actor_for(user, META)


def _lines(output: str, unit: str, value: str, effect: str) -> list[TargetLineIn]:
    return [
        TargetLineIn(
            category=C.quantity,
            name=output,
            direction=D.gte,
            target_value=Decimal(value),
            unit=unit,
            weight=Decimal(30),
        ),
        TargetLineIn(
            category=C.timeliness,
            name="按期完成率",
            direction=D.gte,
            target_value=Decimal(100),
            unit="%",
            weight=Decimal(20),
            framework_indicator_id=None,
        ),
        TargetLineIn(
            category=C.social_effect,
            name=effect,
            direction=D.qualitative,
            qualitative_standard="较上年明显改善",
            weight=Decimal(30),
        ),
        TargetLineIn(
            category=C.service_satisfaction,
            name="服务对象满意度",
            direction=D.gte,
            target_value=Decimal(90),
            unit="%",
            weight=Decimal(10),
        ),
    ]


class _Loader:
    def __init__(self, session: Session, year: int):
        self.session = session
        self.year = year
        self.finance = _actor(session, "finance")

    def org(self, code: str) -> int:
        org = org_repository.get_by_code(self.session, code)
        assert org is not None, code
        return org.id

    def item(self, who: str, org: str, name: str, amount: str, **fields: Any) -> BudgetItem:
        return item_preparation.create_item(
            self.session,
            _actor(self.session, who),
            BudgetItemCreate(
                fiscal_year=self.year,
                organisation_id=self.org(org),
                name=name,
                kind=fields.pop("kind", "project"),
                requested_amount=Decimal(amount),
                **fields,
            ),
        )

    def targets(self, who: str, item: BudgetItem, goal: str, *line_args: str) -> None:
        target_service.write_targets(
            self.session,
            _actor(self.session, who),
            item.id,
            TargetSetWrite(overall_goal=goal, lines=_lines(*line_args)),
            None,
        )

    def submit(self, who: str, item: BudgetItem) -> None:
        item_review.submit_item(self.session, _actor(self.session, who), item.id, item.version)

    def approve_targets(self, item: BudgetItem) -> None:
        current = target_service.current_set(self.session, self.finance, item.id)
        target_service.finance_review(
            self.session,
            self.finance,
            item.id,
            TargetReview(decision="approve", version=current.version),
            current.version,
        )

    def assessment(self, who: str, item: BudgetItem) -> None:
        actor = _actor(self.session, who)
        findings = {
            d: DimensionFinding(finding=f"{d.label_zh}：论证充分。", score=Decimal(82))
            for d in AssessmentDimension
        }
        draft = assessment_service.save_draft(
            self.session,
            actor,
            item.id,
            AssessmentDraft(dimensions=findings, conclusion="建议立项。"),
            None,
        )
        assessment_service.submit_assessment(
            self.session, actor, item.id, AssessmentAction(version=draft.version), draft.version
        )

    def assign(self, item: BudgetItem, reviewer: str) -> int:
        user = user_repository.get_by_username(self.session, reviewer)
        assert user is not None
        review = assessment_service.assign_reviewer(
            self.session, self.finance, item.id, ReviewerAssignment(reviewer_id=user.id)
        )
        return review.id


def load_front_gate(session: Session, year: int) -> None:
    """The front gate of ``year``, the year in preparation."""
    demo = _Loader(session, year)
    for category, name, direction, unit in FRAMEWORK:
        indicator_service.create_framework_indicator(
            session,
            demo.finance,
            year,
            FrameworkIndicatorCreate(category=category, name=name, direction=direction, unit=unit),
        )
    indicator_service.create_library_indicator(
        session,
        _actor(session, "department"),
        LibraryIndicatorCreate(
            organisation_id=demo.org("201"),
            category=C.quantity,
            name="培训教师人数",
            direction=D.gte,
            unit="人次",
            sector="教育",
        ),
    )

    # draft: targets being written
    draft = demo.item("department", "201", "乡村教师能力提升培训", "1200000.00", serves_public=True)
    demo.targets(
        "department",
        draft,
        "提升乡村教师教学能力",
        "培训教师人数",
        "人次",
        "800",
        "乡村学校教学质量",
    )

    # a unit's request waiting for its parent department (S3)
    lab = demo.item("unit", "201001", "理化生实验室设备更新", "450000.00")
    demo.targets("unit", lab, "建成标准化实验室", "更新实验室", "间", "6", "学生实验开出率")
    demo.submit("unit", lab)

    # finance review, held by TARGETS_NOT_APPROVED (S2.2.2)
    clinic = demo.item(
        "health", "202", "基层医疗卫生机构能力提升", "2600000.00", serves_public=True
    )
    demo.targets("health", clinic, "提升基层诊疗能力", "配置设备", "台", "120", "基层就诊率")
    demo.submit("health", clinic)

    # new major policy: assessment under expert review — ASSESSMENT_REQUIRED (S2.1.1)
    farmland = demo.item(
        "agriculture",
        "203",
        "高标准农田建设补助政策",
        "8000000.00",
        kind="policy",
        new_major=True,
        fund_category="government_debt",
    )
    demo.targets(
        "agriculture",
        farmland,
        "建成高标准农田",
        "建成高标准农田",
        "亩",
        "20000",
        "粮食综合生产能力",
    )
    demo.submit("agriculture", farmland)
    demo.approve_targets(farmland)
    demo.assessment("agriculture", farmland)
    demo.assign(farmland, "expert")
    demo.assign(farmland, "thirdparty")

    # new major project the panel did not support — ASSESSMENT_NOT_SUPPORTED (S2.1.2)
    parking = demo.item(
        "transport",
        "204",
        "城区智慧停车系统建设",
        "5600000.00",
        new_major=True,
        fund_category="ppp",
    )
    demo.targets(
        "transport", parking, "缓解城区停车难", "新增智慧泊位", "个", "1500", "城区交通拥堵改善"
    )
    demo.submit("transport", parking)
    demo.approve_targets(parking)
    demo.assessment("transport", parking)
    review_id = demo.assign(parking, "expert")
    expert = _actor(session, "expert")
    assessment_service.submit_review(
        session,
        expert,
        review_id,
        ReviewSubmission(
            opinions=dict.fromkeys(AssessmentDimension, "测算依据不足，社会资本回报机制不清。"),
            recommendation=AssessmentConclusion.not_supported,
            score=Decimal(55),
            version=1,
        ),
        1,
    )
    current = assessment_service.get_assessment(session, demo.finance, parking.id)
    assessment_service.conclude(
        session,
        demo.finance,
        parking.id,
        AssessmentConclusionRequest(
            final_conclusion=AssessmentConclusion.not_supported,
            note="专家评审不予支持。",
            version=current.version,
        ),
        current.version,
    )

    # capital construction without the investment authority's assessment
    building = demo.item(
        "department",
        "201",
        "县第二中学教学楼新建工程",
        "15000000.00",
        new_major=True,
        capital_construction=True,
        budget_book="government_fund",
    )
    demo.targets(
        "department", building, "新增学位1200个", "新建教学楼", "平方米", "9000", "大班额化解"
    )
    demo.submit("department", building)
    demo.approve_targets(building)

    # funded
    doctors = demo.item(
        "health",
        "202",
        "家庭医生签约服务",
        "900000.00",
        kind="policy",
        serves_public=True,
        fund_category="purchase_of_services",
    )
    demo.targets(
        "health",
        doctors,
        "提高家庭医生签约覆盖",
        "重点人群签约",
        "人",
        "30000",
        "居民健康管理水平",
    )
    demo.submit("health", doctors)
    demo.approve_targets(doctors)
    item_decisions.decide(
        session,
        demo.finance,
        doctors.id,
        BudgetDecisionRequest(
            decision="fund", approved_amount=Decimal("850000.00"), version=doctors.version
        ),
        doctors.version,
    )

    # rejected
    roads = demo.item("transport", "204", "农村公路安保工程", "3000000.00")
    demo.targets(
        "transport", roads, "消除农村公路安全隐患", "安保设施", "公里", "120", "交通事故率"
    )
    demo.submit("transport", roads)
    item_decisions.decide(
        session,
        demo.finance,
        roads.id,
        BudgetDecisionRequest(
            decision="reject", reason="已纳入上级专项资金支持，不重复安排。", version=roads.version
        ),
        roads.version,
    )

    # returned to a unit by its parent department
    extension = demo.item("unit", "201001", "课后服务补助", "260000.00")
    demo.targets("unit", extension, "保障课后服务", "参与学生", "人", "1500", "家长满意")
    demo.submit("unit", extension)
    item_review.department_review(
        session,
        _actor(session, "department"),
        extension.id,
        ReviewDecision(decision="return", reason="补助标准依据不足", version=extension.version),
        extension.version,
    )

    # a department's overall budget: decided, overall targets under review (S2.2.3)
    overall = demo.item(
        "department", "201", "县教育局部门整体支出", "52000000.00", kind="department_overall"
    )
    demo.submit("department", overall)
    item_decisions.decide(
        session,
        demo.finance,
        overall.id,
        BudgetDecisionRequest(
            decision="fund", approved_amount=Decimal("52000000.00"), version=overall.version
        ),
        overall.version,
    )
    target_service.write_targets(
        session,
        _actor(session, "department"),
        overall.id,
        TargetSetWrite(
            overall_goal="履行教育管理职责",
            lines=[
                TargetLineIn(
                    category=category,
                    name=name,
                    direction=D.gte,
                    target_value=Decimal(value),
                    unit="%",
                    weight=Decimal(weight),
                )
                for category, name, value, weight in (
                    (C.running_cost, "公用经费保障率", "100", "15"),
                    (C.management_efficiency, "预算执行率", "95", "15"),
                    (C.duty_performance, "重点工作完成率", "100", "15"),
                    (C.social_impact, "义务教育巩固率", "99", "15"),
                    (C.sustainability, "教师队伍稳定率", "98", "15"),
                    (C.beneficiary_satisfaction, "家长满意度", "90", "15"),
                )
            ],
        ),
        None,
    )
    current_set = target_service.current_set(session, demo.finance, overall.id)
    target_service.submit_targets(
        session, _actor(session, "department"), overall.id, current_set.version
    )

"""Ex-ante assessments in the inbox (S2.1): the department files them, the investment
authority files capital construction's; finance puts reviewers on them and concludes; each
expert or third party sees its own assignments only."""

from tests.assessments.conftest import Flow as Assessments

FILE, REVIEW, ASSIGN, DECIDE = "file", "review", "assign_reviewers", "decide"


def _assessments(flow):
    return Assessments(flow.client, flow.auth, flow.db)


def test_the_department_files_a_new_major_projects_assessment(inbox, flow):
    assessments = _assessments(flow)
    item = assessments.item("201")
    ordinary = assessments.item("201", new_major=False)
    assert inbox.keys("department", "assessment") == {(FILE, item, None)}
    assert inbox.keys("investment", "assessment") == set()
    assert inbox.keys("health", "assessment") == set()
    assert (FILE, ordinary, None) not in inbox.keys("department", "assessment")
    [task] = inbox.tasks("department", "assessment")
    assert task["object_id"] is None
    assert task["path"] == f"/api/v1/budget-items/{item}/assessment"
    draft = assessments.draft(item)
    [task] = inbox.tasks("department", "assessment")
    assert task["object_id"] == draft["id"]
    assessments.submit(item)
    assert inbox.keys("department", "assessment") == set()


def test_the_investment_authority_files_capital_constructions(inbox, flow):
    assessments = _assessments(flow)
    item = assessments.item("204", capital_construction=True)
    assert inbox.keys("investment", "assessment") == {(FILE, item, None)}
    assert inbox.keys("transport", "assessment") == set()
    assessments.draft(item, "investment")
    assessments.submit(item, "investment")
    assert inbox.keys("investment", "assessment") == set()
    assert inbox.keys("finance", "assessment") == {(ASSIGN, item, None)}


def test_finance_assigns_reviewers_then_concludes_on_their_opinions(inbox, flow):
    assessments = _assessments(flow)
    item = assessments.submitted()
    assert inbox.keys("finance", "assessment") == {(ASSIGN, item, None)}
    review = assessments.assign(item, "expert")
    other = assessments.assign(item, "thirdparty")
    # waiting for the panel: nothing for finance yet
    assert inbox.keys("finance", "assessment") == set()
    assert inbox.keys("expert", "assessment_review") == {(REVIEW, item, None)}
    assert inbox.keys("thirdparty", "assessment_review") == {(REVIEW, item, None)}
    for user in ("finance", "department", "investment", "oversight"):
        assert inbox.keys(user, "assessment_review") == set(), user
    [task] = inbox.tasks("expert", "assessment_review")
    assert task["object_id"] == review["id"]
    assert task["path"] == f"/api/v1/assessment-reviews/{review['id']}"
    assert task["waiting_since"] is not None

    assessments.review(review)
    assert inbox.keys("expert", "assessment_review") == set()
    assert inbox.keys("finance", "assessment") == {(DECIDE, item, None)}
    assessments.conclude(item)
    # concluded: the third party's open assignment is over too
    assert inbox.keys("finance", "assessment") == set()
    assert inbox.keys("thirdparty", "assessment_review") == set()
    assert other["reviewer_id"] != review["reviewer_id"]

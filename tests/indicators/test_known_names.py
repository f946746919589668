"""What the target filing check asks of this stage (S2.2.1, "outside the framework and library")."""

from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.indicators import service
from tests.factories import demo_org
from tests.indicators.conftest import indicators_url


def test_known_names_are_the_years_framework_and_the_libraries_up_the_tree(
    client, db, auth, finance, add_framework, add_library, open_year
):
    education, school, primary = (demo_org(db, code) for code in ("201", "201001", "201002"))
    add_framework("培训人次")
    withdrawn = add_framework("旧共性指标")
    client.post(
        f"{indicators_url()}/{withdrawn['id']}/deactivate", json={"version": 1}, headers=finance
    )
    open_year(2028)
    add_framework("2028年指标", year=2028)
    add_library("教育局指标", education.id)
    old = add_library("教育局旧指标", education.id)
    client.post(
        f"/api/v1/indicator-library/{old['id']}/deactivate",
        json={"version": 1},
        headers=auth("department"),
    )
    add_library("一中指标", school.id, username="unit")
    add_library("实验小学指标", primary.id)
    add_library("培训人次", school.id, username="unit")  # also in the framework: one name

    year_2027 = fiscal_year_service.get_fiscal_year(db, 2027)
    assert service.known_indicator_names(db, year_2027.id, school.path) == {
        "培训人次",
        "教育局指标",
        "一中指标",
    }
    assert service.known_indicator_names(db, year_2027.id, education.path) == {
        "培训人次",
        "教育局指标",
    }
    year_2028 = fiscal_year_service.get_fiscal_year(db, 2028)
    assert service.known_indicator_names(db, year_2028.id, demo_org(db, "202").path) == {
        "2028年指标"
    }


def test_rows_by_id_whatever_their_state(client, db, finance, add_framework, add_library):
    framework = add_framework("培训人次")
    client.post(
        f"{indicators_url()}/{framework['id']}/deactivate", json={"version": 1}, headers=finance
    )
    library = add_library("升学率", demo_org(db, "201001").id, username="unit")

    found = service.framework_by_id(db, [framework["id"]]).get(framework["id"])
    assert found is not None
    assert (found.name, found.is_active) == ("培训人次", False)
    found_library = service.library_by_id(db, [library["id"]]).get(library["id"])
    assert found_library is not None
    assert found_library.organisation_id == demo_org(db, "201001").id
    assert service.framework_by_id(db, [987654]) == {}
    assert service.library_by_id(db, [987654]) == {}

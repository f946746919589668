def test_demo_finance_reads_fiscal_year(client, auth):
    response = client.get("/api/v1/fiscal-years/2027", headers=auth("finance"))
    assert response.status_code == 200
    assert response.json()["status"] == "preparing"

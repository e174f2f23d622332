"""The contract matches: what the OpenAPI document says is what the API does."""

from __future__ import annotations

import json

import pytest

from tests.factories import CustomerFactory


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/openapi.json").json


def test_updates_document_428_and_the_version_they_need(spec):
    patch = spec["paths"]["/api/v1/customers/{customer_id}"]["patch"]
    assert "428" in patch["responses"]
    assert "If-Match" in {p["name"] for p in patch["parameters"]}


def test_an_update_without_a_version_answers_428(client, session, as_dispatcher):
    customer = CustomerFactory()
    response = client.patch(
        f"/api/v1/customers/{customer.id}", json={"name": "Chen"}, headers=as_dispatcher
    )
    assert response.status_code == 428
    assert response.json["code"] == "precondition_required"


def test_x_pagination_is_documented_as_the_json_text_it_is(spec, client, session, as_dispatcher):
    assert spec["components"]["headers"]["PAGINATION"]["schema"] == {"type": "string"}
    CustomerFactory()
    header = client.get("/api/v1/customers", headers=as_dispatcher).headers["X-Pagination"]
    assert json.loads(header)["total"] == 1


def test_html_and_csv_answers_are_documented(spec):
    rating = spec["paths"]["/r/{token}"]
    assert "text/html" in rating["get"]["responses"]["200"]["content"]
    assert "text/html" in rating["post"]["responses"]["200"]["content"]
    figures = spec["paths"]["/api/v1/metrics"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(figures)


def test_a_wrong_method_answers_405_with_allow_in_the_one_format(spec, client, as_dispatcher):
    response = client.delete("/api/v1/customers", headers=as_dispatcher)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.json["code"] == "method_not_allowed"
    assert "405" in spec["paths"]["/api/v1/customers"]["get"]["responses"]


@pytest.mark.parametrize("active", [0, 1, "true", "yes"])
def test_only_json_true_or_false_is_a_boolean(client, session, as_admin, active):
    response = client.post(
        "/api/v1/users",
        json={
            "email": "li@example.com",
            "name": "Li",
            "password": "long-enough-pw",
            "role": "dispatcher",
            "active": active,
        },
        headers=as_admin,
    )
    assert response.status_code == 422
    assert "active" in response.json["errors"]


def test_integers_and_dates_document_the_ranges_the_api_enforces(spec, client, as_dispatcher):
    order = spec["components"]["schemas"]["Order"]["properties"]["customer_id"]
    assert (order["minimum"], order["maximum"]) == (-(2**31), 2**31 - 1)
    page = next(
        p for p in spec["paths"]["/api/v1/customers"]["get"]["parameters"] if p["name"] == "page"
    )
    assert page["schema"]["maximum"] == 2**31 - 1
    too_far = client.get(f"/api/v1/customers?page={2**31}", headers=as_dispatcher)
    assert too_far.status_code == 422
    big = client.post(
        "/api/v1/orders", json={"customer_id": 2**31, "product_line": "x"}, headers=as_dispatcher
    )
    assert big.status_code == 422
    assert "customer_id" in big.json["errors"]

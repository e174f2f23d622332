"""The contract matches: what the OpenAPI document says is what the API does."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import CustomerFactory, VisitFactory


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


def test_text_holding_a_nul_character_is_refused_by_name(client, session, as_dispatcher):
    response = client.post("/api/v1/customers", json={"name": "Li\x00 Wei"}, headers=as_dispatcher)
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert "NUL" in response.json["errors"]["name"][0]


def test_a_search_holding_a_nul_character_is_refused_by_name(client, session, as_dispatcher):
    response = client.get("/api/v1/customers?q=Li%00", headers=as_dispatcher)
    assert response.status_code == 422
    assert "q" in response.json["errors"]


def test_text_fields_document_that_they_refuse_nul(spec):
    customer = spec["components"]["schemas"]["Customer"]["properties"]
    assert customer["name"]["not"] == {"pattern": r"[\x00]"}
    assert customer["tags"]["items"]["not"] == {"pattern": r"[\x00]"}


def test_time_zones_are_documented_as_the_iana_names_the_api_accepts(
    spec, client, session, as_dispatcher
):
    zones = spec["components"]["schemas"]["Technician"]["properties"]["time_zone"]["enum"]
    assert {"Asia/Shanghai", "Europe/Berlin", "UTC"} <= set(zones)
    response = client.post(
        "/api/v1/technicians",
        json={"name": "Wang", "home_lat": 31.2, "home_lon": 121.5, "time_zone": "Mars/Base"},
        headers=as_dispatcher,
    )
    assert response.status_code == 422
    assert "time_zone" in response.json["errors"]


def test_shift_patterns_document_the_weekdays_and_the_hh_mm_form(spec, client, as_dispatcher):
    from app.models.technicians import WEEKDAYS

    pattern = spec["components"]["schemas"]["ShiftPattern"]
    assert list(pattern["properties"]) == list(WEEKDAYS)
    assert pattern["additionalProperties"] is False
    shift = pattern["properties"]["mon"]["items"]
    assert (shift["minItems"], shift["maxItems"]) == (2, 2)
    assert shift["items"]["pattern"] == r"^([01]\d|2[0-3]):[0-5]\d$"
    response = client.post(
        "/api/v1/technicians",
        json={
            "name": "Wang",
            "home_lat": 31.2,
            "home_lon": 121.5,
            "shift_pattern": {"funday": [["08:00", "12:00"]]},
        },
        headers=as_dispatcher,
    )
    assert response.status_code == 422
    assert "funday" in response.json["errors"]["shift_pattern"]


def test_the_figures_a_path_can_name_are_listed(spec):
    from app.services.metrics import METRICS

    parameters = spec["paths"]["/api/v1/metrics/{metric}"]["parameters"]
    metric = next(p for p in parameters if p["name"] == "metric")
    assert metric["schema"]["enum"] == sorted(METRICS)


def test_versioned_updates_document_the_version_as_required(spec):
    patch = spec["paths"]["/api/v1/sites/{site_id}"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert {"required": ["version"]} in body["allOf"]
    if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
    assert if_match["schema"]["pattern"] == r'^(W/)?"[0-9]{1,9}"$'


def test_the_upload_size_limit_is_documented(spec, app):
    size = spec["components"]["schemas"]["StartUpload"]["properties"]["size"]
    assert size["maximum"] == app.extensions["settings"].photo_max_bytes


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    [
        ("post", "/api/v1/sites", ["lat", "lon"]),
        ("patch", "/api/v1/sites/{site_id}", ["lat", "lon"]),
        ("post", "/api/v1/sla/policies", ["resolution_min"]),
        ("get", "/api/v1/metrics", ["to"]),
        ("post", "/api/v1/visits", ["required_skills"]),
        ("post", "/api/v1/technicians", ["skills"]),
        ("post", "/api/v1/checklist-templates", ["items"]),
        ("post", "/request", ["phone", "order_number"]),
    ],
)
def test_rules_no_schema_can_state_are_listed_on_the_422(spec, method, path, fields):
    refusal = spec["paths"][path][method]["responses"]["422"]
    assert fields in [rule["fields"] for rule in refusal["x-rules"]]
    assert all(rule["rule"] in refusal["description"] for rule in refusal["x-rules"])


def test_an_article_tag_of_blanks_is_refused_as_documented(spec, client, session, as_dispatcher):
    tag = spec["components"]["schemas"]["Article"]["properties"]["product_lines"]["items"]
    assert tag["pattern"] == r"^\s*[^\s\x00][^\x00]*$"
    response = client.post(
        "/api/v1/articles",
        json={"title": "Hinges", "product_lines": ["\u00a0"]},
        headers=as_dispatcher,
    )
    assert response.status_code == 422
    assert "product_lines" in response.json["errors"]


def test_the_repair_request_form_is_documented(spec):
    body = spec["paths"]["/request"]["post"]["requestBody"]["content"]
    form = body["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert {"step", "phone", "order_number", "description", "draft"} <= set(form)


def test_photo_ids_are_documented_as_the_uuid_text_the_api_accepts(spec):
    photo_id = spec["components"]["schemas"]["Photo"]["properties"]["id"]
    assert photo_id["format"] == "uuid"
    assert re.fullmatch(photo_id["pattern"], "0b4e7a8c-3f1d-4c2b-9a6e-5d8f7c1b2a3e")
    assert not re.fullmatch(photo_id["pattern"], "x" * 36)


def test_an_unknown_query_parameter_is_refused_by_name(client, session, as_dispatcher):
    # A misspelt filter would otherwise be dropped and answer as if no filter had been asked.
    response = client.get(
        "/api/v1/customer-requests/changes?stauts=declined", headers=as_dispatcher
    )
    assert response.status_code == 422, response.json
    assert response.json["code"] == "validation_error"
    assert list(response.json["errors"]) == ["stauts"]
    listed = client.get("/api/v1/visits?page=1&page_size=5&q=x", headers=as_dispatcher)
    assert listed.status_code == 200, listed.json


def test_a_body_the_document_requires_is_required(spec, client, session, as_admin):
    """Every API operation documenting a required JSON body refuses a request without one."""
    VisitFactory()  # ids 1 name records, so the missing body is what gets refused
    accepted = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body or not path.startswith(("/api/", "/mobile/")):
                continue
            assert body.get("required") is True, (method, path)
            if "application/json" not in body["content"]:
                continue  # raw bytes: an upload's part may be empty
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = client.open(url, method=method.upper(), headers=as_admin)
            if not 400 <= response.status_code < 500 or "code" not in (response.json or {}):
                accepted.append((method, path, response.status_code))
    assert accepted == [], accepted


def test_deleting_a_visit_documents_the_409_that_says_cancel_it_instead(spec):
    delete = spec["paths"]["/api/v1/visits/{visit_id}"]["delete"]
    assert "visit_booked" in delete["responses"]["409"]["description"]
    assert "cancel" in delete["description"]

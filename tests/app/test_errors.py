"""Every client mistake answers a 4xx in the one error format, and nothing is written."""

import pytest
from sqlalchemy import func, select

from app.models import Customer, Site
from tests.factories import CustomerFactory


def assert_error(response, status, code):
    assert response.status_code == status, response.json
    body = response.json
    assert set(body) >= {"status", "code", "message", "errors"}
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_malformed_json_is_a_400_and_writes_nothing(client, session, as_dispatcher):
    response = client.post(
        "/api/v1/customers",
        data='{"name": "A"',
        content_type="application/json",
        headers=as_dispatcher,
    )
    assert_error(response, 400, "malformed_json")
    assert count(session, Customer) == 0


def test_wrong_type_names_the_field(client, session, as_dispatcher):
    response = client.post("/api/v1/customers", json={"name": 12}, headers=as_dispatcher)
    body = assert_error(response, 422, "validation_error")
    assert "name" in body["errors"]
    assert count(session, Customer) == 0


def test_unknown_field_is_refused_not_ignored(client, session, as_dispatcher):
    response = client.post(
        "/api/v1/customers", json={"name": "A", "nickname": "x"}, headers=as_dispatcher
    )
    body = assert_error(response, 422, "validation_error")
    assert body["errors"] == {"nickname": ["Unknown field."]}
    assert count(session, Customer) == 0


@pytest.mark.parametrize(("lat", "lon"), [(90.5, 121.0), (-91, 0), (31.0, 180.01), (0, -181)])
def test_out_of_range_coordinates_are_refused(client, session, as_dispatcher, lat, lon):
    customer = CustomerFactory()
    response = client.post(
        "/api/v1/sites",
        json={"customer_id": customer.id, "address": "1 Road", "lat": lat, "lon": lon},
        headers=as_dispatcher,
    )
    body = assert_error(response, 422, "validation_error")
    assert {"lat", "lon"} & set(body["errors"])
    assert count(session, Site) == 0


def test_bad_enum_value_lists_the_choices(client, session, as_dispatcher):
    response = client.post(
        "/api/v1/customers", json={"name": "A", "tier": "platinum"}, headers=as_dispatcher
    )
    body = assert_error(response, 422, "validation_error")
    assert "standard" in body["errors"]["tier"][0]


def test_bad_enum_in_query_string_is_a_422(client, session, as_dispatcher):
    response = client.get("/api/v1/visits?status=finished", headers=as_dispatcher)
    assert_error(response, 422, "validation_error")


def test_naive_datetime_is_refused(client, session, as_dispatcher):
    site = CustomerFactory().id
    response = client.post(
        "/api/v1/visits",
        json={
            "kind": "measure",
            "customer_id": site,
            "site_id": 1,
            "window_start": "2026-12-01T09:00:00",
        },
        headers=as_dispatcher,
    )
    body = assert_error(response, 422, "validation_error")
    assert "window_start" in body["errors"]


def test_oversized_json_body_is_a_413(client, session, as_dispatcher, settings):
    big = {"name": "A", "tags": ["x" * 1000] * (settings.max_json_body // 1000 + 1)}
    response = client.post("/api/v1/customers", json=big, headers=as_dispatcher)
    assert_error(response, 413, "body_too_large")
    assert count(session, Customer) == 0


def test_body_over_the_global_limit_is_a_413(client, session, as_dispatcher, settings):
    response = client.post(
        "/api/v1/customers",
        data=b"x" * (settings.max_content_length + 1),
        content_type="application/octet-stream",
        headers=as_dispatcher,
    )
    assert_error(response, 413, "body_too_large")


def test_unknown_route_answers_in_the_error_format(client, session):
    assert_error(client.get("/api/v1/nowhere"), 404, "not_found")


def test_wrong_method_answers_in_the_error_format(client, session, as_dispatcher):
    assert_error(client.put("/api/v1/customers", headers=as_dispatcher), 405, "method_not_allowed")


def test_site_of_another_customer_is_refused_for_a_visit(client, session, as_dispatcher):
    mine, other = CustomerFactory(), CustomerFactory()
    from tests.factories import SiteFactory

    site = SiteFactory(customer=other)
    response = client.post(
        "/api/v1/visits",
        json={"kind": "measure", "customer_id": mine.id, "site_id": site.id},
        headers=as_dispatcher,
    )
    body = assert_error(response, 422, "validation_error")
    assert "site_id" in body["errors"]


def test_missing_reference_is_a_404_and_writes_nothing(client, session, as_dispatcher):
    response = client.post(
        "/api/v1/sites", json={"customer_id": 999, "address": "1 Road"}, headers=as_dispatcher
    )
    assert_error(response, 404, "not_found")
    assert count(session, Site) == 0


def test_a_taken_unique_value_is_a_409_naming_the_field(client, session, as_dispatcher):
    body = {"code": "measure", "name": "Measure"}
    client.post("/api/v1/skills", json=body, headers=as_dispatcher)
    response = client.post("/api/v1/skills", json=body, headers=as_dispatcher)
    body = assert_error(response, 409, "already_exists")
    assert "code" in body["errors"]


def test_a_checklist_item_without_key_is_a_422_not_a_crash(client, session, as_dispatcher):
    response = client.post(
        "/api/v1/checklist-templates",
        json={"kind": "repair", "name": "R", "items": [{"label": "x", "type": "text"}]},
        headers=as_dispatcher,
    )
    body = assert_error(response, 422, "validation_error")
    assert "items" in body["errors"]


def test_an_id_too_large_for_the_database_is_a_404(client, session, as_dispatcher):
    response = client.get("/api/v1/visits/22221216501893558272", headers=as_dispatcher)
    assert_error(response, 404, "not_found")


def test_a_page_number_out_of_range_is_a_422_naming_it(client, session, as_dispatcher):
    response = client.get("/api/v1/skills?page=10008470457222004736", headers=as_dispatcher)
    body = assert_error(response, 422, "validation_error")
    assert "page" in str(body["errors"])


def test_a_reference_id_out_of_range_is_a_422_naming_it(client, session, as_dispatcher):
    response = client.post("/api/v1/sites", json={"customer_id": 2**40, "address": "x"},
                           headers=as_dispatcher)
    body = assert_error(response, 422, "validation_error")
    assert "customer_id" in str(body["errors"])


def test_a_nested_item_stays_whole_in_a_patch(client, session, as_dispatcher):
    from tests.factories import TechnicianFactory

    tech = TechnicianFactory()
    response = client.patch(f"/api/v1/technicians/{tech.id}",
                            json={"skills": [{"level": 2}], "version": tech.version},
                            headers=as_dispatcher)
    body = assert_error(response, 422, "validation_error")
    assert body["errors"]["skills"] == {"0": {"code": ["Missing data for required field."]}}

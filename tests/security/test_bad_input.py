"""Bad input answers a clear 4xx in the one error format, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import (
    CustomerFactory,
    OrderFactory,
    SiteFactory,
    TechnicianFactory,
    VisitFactory,
)


def _visit_body(**fields):
    site = SiteFactory()
    return {"kind": "measure", "customer_id": site.customer_id, "site_id": site.id, **fields}


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+08:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-08:00",
        "9999-12-31T23:59:59+00:00",
    ],
)
def test_a_datetime_at_the_edge_of_the_calendar_is_refused(client, session, as_dispatcher, moment):
    response = client.post(
        "/api/v1/visits", json=_visit_body(window_start=moment), headers=as_dispatcher
    )
    assert response.status_code == 422, response.json
    assert "window_start" in response.json["errors"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_filter_at_the_edge_of_the_calendar_is_refused(client, session, as_dispatcher, day):
    for name in ("date_from", "date_to"):
        response = client.get(f"/api/v1/visits?{name}={day}", headers=as_dispatcher)
        assert response.status_code == 422, response.json


def test_a_day_off_in_year_9999_is_refused(client, session, as_dispatcher):
    technician = TechnicianFactory()
    response = client.patch(
        f"/api/v1/technicians/{technician.id}",
        json={"days_off": ["9999-12-31"], "version": 1},
        headers=as_dispatcher,
    )
    assert response.status_code == 422, response.json


@pytest.mark.parametrize("depth", [40, 5000, 200_000])
def test_json_nested_too_deep_is_a_400(client, session, as_dispatcher, depth):
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    response = client.post(
        "/api/v1/customers", data=body, content_type="application/json", headers=as_dispatcher
    )
    assert response.status_code == 400, response.json
    assert response.json["code"] == "json_too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting(client, session, as_dispatcher):
    name = "[" * 100 + "{"
    response = client.post(
        "/api/v1/customers", json={"name": name, "phone": "138"}, headers=as_dispatcher
    )
    assert response.status_code == 201, response.json


def test_a_lone_surrogate_in_text_is_a_422(client, session, as_dispatcher):
    body = '{"name": "Zhou \\ud800 Min", "phone": "138"}'
    response = client.post(
        "/api/v1/customers", data=body, content_type="application/json", headers=as_dispatcher
    )
    assert response.status_code == 422, response.json
    assert response.json["code"] == "invalid_unicode"


def test_a_proper_surrogate_pair_is_accepted(client, session, as_dispatcher):
    body = '{"name": "Zhou \\ud83d\\ude00 Min", "phone": "138"}'
    response = client.post(
        "/api/v1/customers", data=body, content_type="application/json", headers=as_dispatcher
    )
    assert response.status_code == 201, response.json
    assert response.json["name"] == "Zhou \U0001f600 Min"


def test_a_body_that_is_not_utf8_is_a_422(client, session, as_dispatcher):
    response = client.post(
        "/api/v1/customers",
        data=b'{"name": "\xff\xfe", "phone": "138"}',
        content_type="application/json",
        headers=as_dispatcher,
    )
    assert response.status_code == 422, response.json


def test_a_non_ascii_csrf_token_is_a_400(sign_in, dispatcher):
    console = sign_in(dispatcher)
    response = console.client.post(
        "/console/logout", data={"csrf_token": "令牌"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["code"] == "csrf_failed"


@pytest.mark.parametrize("wildcard", ["%", "_"])
def test_like_wildcards_in_search_filters_match_literally(client, session, as_dispatcher, wildcard):
    customer = CustomerFactory(name="Plain Name", phone="13800000000")
    site = SiteFactory(customer=customer, address="8 Century Ave")
    OrderFactory(customer=customer, product_line="wardrobe")
    TechnicianFactory(name="Li Lei")
    VisitFactory(site=site)
    for path in (
        "/api/v1/customers",
        "/api/v1/sites",
        "/api/v1/orders",
        "/api/v1/technicians",
        "/api/v1/visits",
    ):
        response = client.get(f"{path}?q={wildcard}", headers=as_dispatcher)
        assert response.status_code == 200, (path, response.json)
        assert response.json == [], path
    named = CustomerFactory(name=f"100{wildcard} Oak")
    found = client.get(f"/api/v1/customers?q=0{wildcard}", headers=as_dispatcher).json
    assert [c["id"] for c in found] == [named.id]


def test_a_tag_filter_with_wildcards_matches_literally(client, session, as_dispatcher):
    CustomerFactory(tags=["vip"])
    response = client.get("/api/v1/customers?tag=%25", headers=as_dispatcher)
    assert response.status_code == 200
    assert response.json == []


@pytest.mark.parametrize("first_day", ["2199-01-01", "1901-01-01"])
def test_an_absurd_dispatch_horizon_is_refused_at_the_api(
    client, session, as_dispatcher, first_day
):
    response = client.post(
        "/api/v1/dispatch/runs", json={"first_day": first_day}, headers=as_dispatcher
    )
    assert response.status_code == 422, response.json
    assert "first_day" in response.json["errors"]


@pytest.mark.parametrize("tag", ["老客户", 'say "hi"', "a\\b"])
def test_a_tag_filter_matches_the_whole_tag_in_any_script(client, session, as_dispatcher, tag):
    tagged = CustomerFactory(tags=["vip", tag])
    CustomerFactory(tags=["vip", f"{tag}2"])
    response = client.get("/api/v1/customers", query_string={"tag": tag}, headers=as_dispatcher)
    assert response.status_code == 200, response.json
    assert [c["id"] for c in response.json] == [tagged.id]

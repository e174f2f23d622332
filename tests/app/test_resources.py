"""Create, read, update, list and delete for the back-office resources."""

import json

import pytest

from app.models import VisitStatus
from tests.factories import (
    CustomerFactory,
    DepotFactory,
    OrderFactory,
    SiteFactory,
    TechnicianFactory,
    VisitFactory,
    skill,
    tomorrow_at,
    unique,
)

NEW_RECORDS = {
    "customers": lambda: {"name": "Zhou Min", "phone": "13800000000", "tier": "gold"},
    "sites": lambda: {
        "customer_id": CustomerFactory().id,
        "address": "8 Century Ave",
        "lat": 31.23,
        "lon": 121.5,
    },
    "orders": lambda: {"customer_id": CustomerFactory().id, "product_line": "wardrobe"},
    "technicians": lambda: {
        "name": "Li Lei",
        "home_lat": 31.2,
        "home_lon": 121.4,
        "skills": [{"code": skill("measure").code, "level": 2}],
        "shift_pattern": {"mon": [["08:00", "17:00"]]},
    },
    "visits": lambda: {
        "kind": "measure",
        "customer_id": (s := SiteFactory()).customer_id,
        "site_id": s.id,
        "window_start": tomorrow_at(9).isoformat(),
        "window_end": tomorrow_at(12).isoformat(),
    },
}
CHANGES = {
    "customers": {"tier": "vip"},
    "sites": {"access_notes": "Gate code 1234"},
    "orders": {"stage": "design"},
    "technicians": {"phone": "13900000000"},
    "visits": {"priority": 5},
}


@pytest.mark.parametrize("resource", sorted(NEW_RECORDS))
def test_a_record_goes_through_its_whole_life(client, session, as_dispatcher, resource):
    created = client.post(
        f"/api/v1/{resource}", json=NEW_RECORDS[resource](), headers=as_dispatcher
    )
    assert created.status_code == 201, created.json
    url = f"/api/v1/{resource}/{created.json['id']}"
    assert client.get(url, headers=as_dispatcher).json == created.json
    changed = client.patch(url, json={**CHANGES[resource], "version": 1}, headers=as_dispatcher)
    assert changed.status_code == 200, changed.json
    assert changed.json["version"] == 2
    assert all(changed.json[k] == v for k, v in CHANGES[resource].items())
    listed = client.get(f"/api/v1/{resource}", headers=as_dispatcher).json
    assert created.json["id"] in [r["id"] for r in listed]
    assert client.delete(url, headers=as_dispatcher).status_code == 204
    assert client.get(url, headers=as_dispatcher).status_code == 404


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("skills", {"code": "measure", "name": "Measure"}),
        ("depots", {"name": "Pudong", "lat": 31.22, "lon": 121.54}),
    ],
)
def test_reference_data_can_be_created_read_and_deleted(
    client, session, as_dispatcher, resource, body
):
    created = client.post(f"/api/v1/{resource}", json=body, headers=as_dispatcher)
    assert created.status_code == 201, created.json
    url = f"/api/v1/{resource}/{created.json['id']}"
    assert client.get(url, headers=as_dispatcher).status_code == 200
    assert client.delete(url, headers=as_dispatcher).status_code == 204


def test_a_stale_update_is_a_409_naming_the_current_version(client, session, as_dispatcher):
    customer = CustomerFactory()
    url = f"/api/v1/customers/{customer.id}"
    assert (
        client.patch(url, json={"name": "B", "version": 1}, headers=as_dispatcher).status_code
        == 200
    )
    response = client.patch(url, json={"name": "C", "version": 1}, headers=as_dispatcher)
    assert response.status_code == 409
    assert response.json["details"]["current_version"] == 2


def test_if_match_works_like_the_version_field(client, session, as_dispatcher):
    customer = CustomerFactory()
    url = f"/api/v1/customers/{customer.id}"
    headers = {**as_dispatcher, "If-Match": '"1"'}
    assert client.patch(url, json={"name": "B"}, headers=headers).status_code == 200
    assert client.patch(url, json={"name": "C"}, headers=headers).status_code == 409


def test_an_update_without_a_base_version_is_a_428(client, session, as_dispatcher):
    customer = CustomerFactory()
    response = client.patch(
        f"/api/v1/customers/{customer.id}", json={"name": "B"}, headers=as_dispatcher
    )
    assert response.status_code == 428


def test_a_customer_with_sites_cannot_be_deleted(client, session, as_dispatcher):
    site = SiteFactory()
    response = client.delete(f"/api/v1/customers/{site.customer_id}", headers=as_dispatcher)
    assert response.status_code == 409
    assert response.json["code"] == "in_use"


def test_a_started_visit_cannot_be_deleted(client, session, as_dispatcher):
    visit = VisitFactory(status=VisitStatus.EN_ROUTE)
    response = client.delete(f"/api/v1/visits/{visit.id}", headers=as_dispatcher)
    assert response.status_code == 409


def test_lists_are_paginated(client, session, as_dispatcher):
    CustomerFactory.create_batch(5)
    response = client.get("/api/v1/customers?page=2&page_size=2", headers=as_dispatcher)
    assert len(response.json) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == 5


def test_customers_are_searched_by_name_whatever_the_case(client, session, as_dispatcher):
    name = f"Wang {unique('Fang').title()}"
    CustomerFactory(name=name)
    CustomerFactory(name="Li Na")
    response = client.get(f"/api/v1/customers?q={name[5:].lower()}", headers=as_dispatcher)
    assert [c["name"] for c in response.json] == [name]


def test_visits_filter_by_status_kind_and_technician(client, session, as_dispatcher):
    tech = TechnicianFactory()
    wanted = VisitFactory(kind="repair", technician_id=tech.id, status=VisitStatus.SCHEDULED)
    VisitFactory(kind="repair", status=VisitStatus.NEW)
    VisitFactory(kind="measure", technician_id=tech.id, status=VisitStatus.SCHEDULED)
    response = client.get(
        f"/api/v1/visits?status=scheduled&kind=repair&technician_id={tech.id}",
        headers=as_dispatcher,
    )
    assert [v["id"] for v in response.json] == [wanted.id]


def test_visits_filter_by_date_range(client, session, as_dispatcher):
    soon = VisitFactory(window_start=tomorrow_at(9), window_end=tomorrow_at(10))
    VisitFactory(window_start=tomorrow_at(9, days=4), window_end=tomorrow_at(10, days=4))
    day = tomorrow_at(9).date().isoformat()
    response = client.get(f"/api/v1/visits?date_from={day}&date_to={day}", headers=as_dispatcher)
    assert [v["id"] for v in response.json] == [soon.id]


def test_visits_are_searched_by_customer_name(client, session, as_dispatcher):
    surname = unique("Chen")
    wanted = VisitFactory(site=SiteFactory(customer=CustomerFactory(name=f"{surname} Jing")))
    VisitFactory()
    response = client.get(f"/api/v1/visits?q={surname.lower()}", headers=as_dispatcher)
    assert [v["id"] for v in response.json] == [wanted.id]


def test_a_visit_cannot_go_to_a_technician_without_its_skill(client, session, as_dispatcher):
    visit = VisitFactory(required_skills={"install_cabinet": 2})
    novice = TechnicianFactory(skills={"install_cabinet": 1})
    response = client.patch(
        f"/api/v1/visits/{visit.id}",
        json={"technician_id": novice.id, "version": visit.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 422
    assert response.json["code"] == "skill_mismatch"


def test_an_order_site_must_belong_to_its_customer(client, session, as_dispatcher):
    order = OrderFactory()
    foreign = SiteFactory()
    response = client.patch(
        f"/api/v1/orders/{order.id}",
        json={"site_id": foreign.id, "version": 1},
        headers=as_dispatcher,
    )
    assert response.status_code == 422


def test_a_technician_with_a_bad_shift_pattern_is_refused(client, session, as_dispatcher):
    body = {**NEW_RECORDS["technicians"](), "shift_pattern": {"mon": [["17:00", "08:00"]]}}
    response = client.post("/api/v1/technicians", json=body, headers=as_dispatcher)
    assert response.status_code == 422
    assert "shift_pattern" in response.json["errors"]


def test_a_technician_with_overlapping_shifts_on_one_day_is_refused(client, session, as_dispatcher):
    split = {"mon": [["08:00", "12:00"], ["11:00", "17:00"]]}
    body = {**NEW_RECORDS["technicians"](), "shift_pattern": split}
    response = client.post("/api/v1/technicians", json=body, headers=as_dispatcher)
    assert response.status_code == 422
    assert "shift_pattern" in response.json["errors"]


def test_a_technician_with_an_unknown_time_zone_is_refused(client, session, as_dispatcher):
    body = {**NEW_RECORDS["technicians"](), "time_zone": "Mars/Olympus"}
    response = client.post("/api/v1/technicians", json=body, headers=as_dispatcher)
    assert response.status_code == 422


def test_technicians_filter_by_skill(client, session, as_dispatcher):
    fitter = TechnicianFactory(skills={"install_wardrobe": 2})
    TechnicianFactory(skills={"repair": 2})
    response = client.get("/api/v1/technicians?skill=install_wardrobe", headers=as_dispatcher)
    assert [t["id"] for t in response.json] == [fitter.id]


def test_checklist_templates_need_unique_item_keys(client, session, as_dispatcher):
    item = {"key": "width", "label": "Width", "type": "number"}
    response = client.post(
        "/api/v1/checklist-templates",
        json={"kind": "measure", "name": "Measure", "items": [item, item]},
        headers=as_dispatcher,
    )
    assert response.status_code == 422


def test_depot_coordinates_are_range_checked(client, session, as_dispatcher):
    DepotFactory()
    response = client.post(
        "/api/v1/depots", json={"name": "X", "lat": 100, "lon": 0}, headers=as_dispatcher
    )
    assert response.status_code == 422


def test_a_technicians_days_off_read_back_as_dates(client, session, as_dispatcher):
    body = {**NEW_RECORDS["technicians"](), "days_off": ["2026-12-25", "2026-12-24"]}
    response = client.post("/api/v1/technicians", json=body, headers=as_dispatcher)
    assert response.status_code == 201, response.json
    assert response.json["days_off"] == ["2026-12-24", "2026-12-25"]


def test_listing_visits_costs_the_same_queries_for_more_visits(client, session, as_dispatcher):
    from sqlalchemy import event

    from app.database import db

    def queries_for_list() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.get("/api/v1/visits?page_size=50", headers=as_dispatcher)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    VisitFactory.create_batch(2, required_skills={"measure": 1})
    few = queries_for_list()
    VisitFactory.create_batch(10, required_skills={"measure": 1})
    assert queries_for_list() == few

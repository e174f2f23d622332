"""`GET /api/v1/customers/{id}/record`: the customer's whole story, figures and derived tags."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from app import models
from app.services.ratings import Verdict, submit
from tests.factories import PhotoFactory, image_bytes


@pytest.fixture
def story(
    templates,
    on_site_visit,
    fulfil,
    complete,
    upload,
    rating_token,
    session,
    settings,
    admin,
    technician,
):
    """A customer with an install rated 2, an unfixed repair and its follow-up."""
    install = on_site_visit(models.VisitKind.INSTALL)
    fulfil(install)
    data = image_bytes(color=(0, 90, 200))
    upload(data)
    PhotoFactory(  # attached by the technician who uploaded the bytes
        visit_id=install.id,
        kind=models.PhotoKind.AFTER,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_user_id=technician.user_id,
    )
    session.add(
        models.VisitNote(id=str(uuid.uuid4()), visit_id=install.id, body="Customer was home")
    )
    session.commit()
    assert complete(install).status_code == 200
    submit(session, settings, rating_token(install), Verdict(2, 5, "Left a mess"))
    session.commit()
    repair = on_site_visit(models.VisitKind.REPAIR, site=install.site, order=install.order)
    fulfil(repair, fixed=False)
    assert complete(repair).status_code == 200
    return install, repair


def test_the_record_tells_the_customers_whole_story(client, as_dispatcher, story, technician):
    install, repair = story
    response = client.get(f"/api/v1/customers/{install.customer_id}/record", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    record = response.json
    assert record["customer"]["id"] == install.customer_id
    assert [s["id"] for s in record["sites"]] == [install.site_id]
    assert [(o["id"], o["stage"]) for o in record["orders"]] == [(install.order_id, "install")]
    timeline = {entry["visit_id"]: entry for entry in record["timeline"]}
    assert len(timeline) == 3
    entry = timeline[install.id]
    assert (entry["kind"], entry["status"], entry["technician_name"]) == (
        "install",
        "completed",
        technician.name,
    )
    assert entry["status_changes"][-1]["to_status"] == "completed"
    assert entry["status_changes"][-1]["actor_name"] == technician.user.name
    assert [n["body"] for n in entry["notes"]] == ["Customer was home"]
    assert {a["item_key"] for a in entry["answers"]} == {"items_installed"}
    statuses = sorted(p["status"] for p in entry["photos"])
    assert statuses == ["pending", "pending", "ready"]
    assert all(p["thumbnail_url"].endswith("/thumbnail") for p in entry["photos"])
    assert [s["signer_name"] for s in entry["signatures"]] == ["Wang Fang"]
    assert (entry["rating"]["csat"], entry["rating"]["comment"]) == (2, "Left a mess")
    follow_up = next(e for e in record["timeline"] if e["follow_up_of"] == repair.id)
    assert follow_up["status"] == "new"
    assert timeline[repair.id]["repair_outcome"] == {
        "fixed": False,
        "first_time_fix": False,
        "is_follow_up": False,
    }
    assert [c["stage"] for c in record["complaints"]] == ["assigned"]


def test_the_record_computes_the_customers_figures_and_tags(client, as_dispatcher, story):
    install, _ = story
    record = client.get(
        f"/api/v1/customers/{install.customer_id}/record", headers=as_dispatcher
    ).json
    assert record["figures"] == {
        "visits": 3,
        "completed_visits": 2,
        "ratings": 1,
        "average_csat": 2.0,
        "last_nps": 5,
        "first_time_fix_rate": 0.0,
        "open_complaints": 1,
    }
    assert record["tags"] == ["detractor"]


def test_the_record_of_a_customer_without_visits_is_empty_not_an_error(
    client, as_dispatcher, session
):
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    record = client.get(f"/api/v1/customers/{customer.id}/record", headers=as_dispatcher).json
    assert record["timeline"] == []
    assert record["figures"]["average_csat"] is None


def test_technicians_cannot_read_customer_records(client, login, technician, session):
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    response = client.get(f"/api/v1/customers/{customer.id}/record", headers=login(technician.user))
    assert response.status_code == 403


def test_an_unknown_customer_has_no_record(client, as_dispatcher):
    response = client.get("/api/v1/customers/999999/record", headers=as_dispatcher)
    assert response.status_code == 404

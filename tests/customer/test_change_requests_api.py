"""Dispatchers confirm or decline customers' changes through the API; customers hear back."""

from __future__ import annotations

from sqlalchemy import select

from app import models
from app.database import db, utcnow
from app.services import visit_changes
from app.services.visit_windows import offered_windows
from tests import factories


def _ask(settings, visit, kind="reschedule", index=0):
    window = offered_windows(settings, utcnow())[index]
    order = db.session.get(models.Order, visit.order_id)
    change = visit_changes.request_change(
        db.session, settings, order, visit.id, models.ChangeKind(kind), window_key=window.key
    )
    db.session.commit()
    return change, window


def test_pending_changes_are_listed_for_dispatchers(client, as_dispatcher, booked_visit, settings):
    change, _ = _ask(settings, booked_visit)
    listed = client.get("/api/v1/customer-requests/changes", headers=as_dispatcher)
    assert listed.status_code == 200
    assert [(c["id"], c["kind"], c["status"]) for c in listed.json] == [
        (change.id, "reschedule", "pending")
    ]


def test_technicians_cannot_see_or_decide_changes(client, login, booked_visit, settings):
    change, _ = _ask(settings, booked_visit)
    technician = factories.TechnicianFactory(with_user=True)
    headers = login(technician.user)
    assert client.get("/api/v1/customer-requests/changes", headers=headers).status_code == 403
    confirm = client.post(
        f"/api/v1/customer-requests/changes/{change.id}/confirm", json={}, headers=headers
    )
    assert confirm.status_code == 403


def test_confirming_a_move_outside_the_planned_time_sends_the_visit_back_to_planning(
    client, as_dispatcher, booked_visit, settings
):
    change, window = _ask(settings, booked_visit, index=3)
    answer = client.post(
        f"/api/v1/customer-requests/changes/{change.id}/confirm", json={}, headers=as_dispatcher
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "confirmed"
    db.session.expire_all()
    visit = db.session.get(models.Visit, booked_visit.id)
    assert (visit.window_start, visit.window_end) == (window.start, window.end)
    assert (visit.status, visit.technician_id, visit.planned_start) == ("new", None, None)
    told = db.session.scalar(
        select(models.OutboxMessage).where(models.OutboxMessage.topic == "change_decided")
    )
    assert told is not None


def test_confirming_a_cancellation_cancels_the_visit(client, as_dispatcher, booked_visit, settings):
    change, _ = _ask(settings, booked_visit, kind="cancel")
    answer = client.post(
        f"/api/v1/customer-requests/changes/{change.id}/confirm", json={}, headers=as_dispatcher
    )
    assert answer.status_code == 200
    db.session.expire_all()
    assert db.session.get(models.Visit, booked_visit.id).status == "cancelled"


def test_declining_leaves_the_visit_as_it_was(client, as_dispatcher, booked_visit, settings):
    change, _ = _ask(settings, booked_visit)
    answer = client.post(
        f"/api/v1/customer-requests/changes/{change.id}/decline",
        json={"note": "no technician free"},
        headers=as_dispatcher,
    )
    assert answer.status_code == 200
    assert answer.json["decision_note"] == "no technician free"
    db.session.expire_all()
    visit = db.session.get(models.Visit, booked_visit.id)
    assert (visit.status, visit.planned_start) == ("scheduled", booked_visit.planned_start)


def test_a_change_is_decided_once(client, as_dispatcher, booked_visit, settings):
    change, _ = _ask(settings, booked_visit)
    url = f"/api/v1/customer-requests/changes/{change.id}"
    assert client.post(f"{url}/decline", json={}, headers=as_dispatcher).status_code == 200
    again = client.post(f"{url}/confirm", json={}, headers=as_dispatcher)
    assert again.status_code == 409
    assert again.json["code"] == "change_request_decided"


def test_a_new_request_replaces_the_pending_one(booked_visit, settings, session):
    first, _ = _ask(settings, booked_visit, index=0)
    second, _ = _ask(settings, booked_visit, index=1)
    db.session.expire_all()
    assert db.session.get(models.ChangeRequest, first.id).status == "withdrawn"
    assert db.session.get(models.ChangeRequest, second.id).status == "pending"


def test_an_unknown_change_is_404(client, as_dispatcher):
    answer = client.post(
        "/api/v1/customer-requests/changes/999/confirm", json={}, headers=as_dispatcher
    )
    assert answer.status_code == 404


def test_repair_requests_are_listed_and_acknowledged(client, as_dispatcher, order):
    from app.services import repair_requests
    from app.services.repair_requests import RepairDraft

    window = offered_windows(client.application.extensions["settings"], utcnow())[0]
    made = repair_requests.submit(
        db.session,
        client.application.extensions["settings"],
        db.session.get(models.Order, order.id),
        RepairDraft(order_id=order.id, description="门板变形了", window_keys=(window.key,)),
    )
    db.session.commit()
    fresh = client.get(
        "/api/v1/customer-requests/repairs?acknowledged=false", headers=as_dispatcher
    )
    assert [r["visit_id"] for r in fresh.json] == [made.visit_id]
    seen = client.post(
        f"/api/v1/customer-requests/repairs/{made.id}/acknowledge", headers=as_dispatcher
    )
    assert seen.status_code == 200
    assert seen.json["acknowledged_at"] is not None
    after = client.get(
        "/api/v1/customer-requests/repairs?acknowledged=false", headers=as_dispatcher
    )
    assert after.json == []


def test_staff_read_and_set_a_customers_message_preferences(client, as_dispatcher, order):
    url = f"/api/v1/customers/{order.customer_id}/message-preferences"
    assert client.get(url, headers=as_dispatcher).json == {
        "language": None,
        "channel": None,
        "opted_out": False,
    }
    answer = client.put(
        url, json={"language": "en", "channel": "sms", "opted_out": True}, headers=as_dispatcher
    )
    assert answer.status_code == 200
    assert db.session.get(models.CustomerPreference, order.customer_id).opted_out is True


def test_unknown_preferences_are_a_422_in_the_one_error_format(client, as_dispatcher, order):
    url = f"/api/v1/customers/{order.customer_id}/message-preferences"
    answer = client.put(url, json={"language": "fr"}, headers=as_dispatcher)
    assert answer.status_code == 422
    assert set(answer.json) >= {"status", "code", "message", "errors"}
    assert (
        client.get("/api/v1/customers/9999/message-preferences", headers=as_dispatcher).status_code
        == 404
    )

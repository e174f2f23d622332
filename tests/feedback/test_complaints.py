"""The complaint loop: every stage in order, each with its fields, due times and history."""

from __future__ import annotations

import datetime as dt

import pytest

from app import models
from tests.factories import CustomerFactory


@pytest.fixture
def complaint(client, as_dispatcher):
    """A complaint opened by hand, at stage `reported`."""
    customer = CustomerFactory()
    response = client.post(
        "/api/v1/complaints",
        json={"customer_id": customer.id, "summary": "Door scratched during install"},
        headers=as_dispatcher,
    )
    assert response.status_code == 201, response.json
    return response.json


def _move(client, headers, complaint_id, **body):
    return client.post(f"/api/v1/complaints/{complaint_id}/transitions", json=body, headers=headers)


def test_a_complaint_opened_by_hand_starts_reported_and_due_within_hours(complaint):
    assert complaint["stage"] == "reported"
    assert complaint["next_stage"] == "assigned"
    due = dt.datetime.fromisoformat(complaint["due_at"])
    assert dt.timedelta(0) < due - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=4)


def test_a_complaint_goes_through_every_stage_to_closed_with_its_history(
    client, as_dispatcher, dispatcher, complaint
):
    steps = [
        {"to": "assigned", "owner_user_id": dispatcher.id},
        {"to": "root_cause", "cause_category": "workmanship"},
        {"to": "corrective_action", "action_taken": "Replaced the door panel"},
        {"to": "customer_feedback", "customer_answer": "Happy with the new panel"},
        {"to": "closed", "note": "done"},
    ]
    for step in steps:
        response = _move(client, as_dispatcher, complaint["id"], **step)
        assert response.status_code == 200, response.json
    closed = client.get(f"/api/v1/complaints/{complaint['id']}", headers=as_dispatcher).json
    assert closed["stage"] == "closed"
    assert closed["closed_at"] is not None
    assert closed["due_at"] is None
    assert [h["to_stage"] for h in closed["history"]] == [
        "reported",
        "assigned",
        "root_cause",
        "corrective_action",
        "customer_feedback",
        "closed",
    ]
    assert closed["history"][2]["fields"] == {"cause_category": "workmanship"}
    assert {h["actor_user_id"] for h in closed["history"][1:]} == {dispatcher.id}
    assert (closed["owner_user_id"], closed["customer_answer"]) == (
        dispatcher.id,
        "Happy with the new panel",
    )


def test_skipping_a_stage_is_refused(client, as_dispatcher, complaint):
    response = _move(
        client, as_dispatcher, complaint["id"], to="root_cause", cause_category="pricing"
    )
    assert response.status_code == 409
    assert response.json["code"] == "invalid_transition"
    assert response.json["details"]["next"] == "assigned"


def test_each_stage_demands_its_field(client, as_dispatcher, complaint):
    response = _move(client, as_dispatcher, complaint["id"], to="assigned")
    assert response.status_code == 422
    assert response.json["errors"] == {"owner_user_id": ["required to move to assigned"]}


def test_a_technician_cannot_own_a_complaint(client, as_dispatcher, technician, complaint):
    response = _move(
        client, as_dispatcher, complaint["id"], to="assigned", owner_user_id=technician.user.id
    )
    assert response.status_code == 422
    assert "owner_user_id" in response.json["errors"]


def test_a_closed_complaint_moves_no_further(client, as_dispatcher, dispatcher, complaint, session):
    row = session.get(models.Complaint, complaint["id"])
    row.stage = models.ComplaintStage.CLOSED
    session.commit()
    response = _move(client, as_dispatcher, complaint["id"], to="reported")
    assert response.status_code == 409


def test_a_stale_version_is_refused(client, as_dispatcher, dispatcher, complaint):
    response = _move(
        client,
        as_dispatcher,
        complaint["id"],
        to="assigned",
        owner_user_id=dispatcher.id,
        version=complaint["version"] + 5,
    )
    assert response.status_code == 409
    assert response.json["code"] == "version_conflict"


def test_overdue_complaints_can_be_listed(client, as_dispatcher, complaint, session):
    row = session.get(models.Complaint, complaint["id"])
    row.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    session.commit()
    listed = client.get("/api/v1/complaints?overdue=true", headers=as_dispatcher).json
    assert [(c["id"], c["overdue"]) for c in listed] == [(complaint["id"], True)]
    assert client.get("/api/v1/complaints?overdue=false", headers=as_dispatcher).json == []


def test_technicians_cannot_see_complaints(client, login, technician):
    response = client.get("/api/v1/complaints", headers=login(technician.user))
    assert response.status_code == 403

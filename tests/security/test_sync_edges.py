"""Sync edge cases: answers outside the choices, one instant in two offsets, deleted visits."""

from __future__ import annotations

from sqlalchemy import select

from app.models import ChecklistAnswer, Visit, VisitReview
from tests.factories import ChecklistTemplateFactory, assigned_visit
from tests.sync.phones import mutation, new_id, push_raw

CHOICE_ITEMS = [
    {
        "key": "cause",
        "label": "Cause",
        "type": "choice",
        "required": False,
        "choices": ["wear", "misuse"],
    }
]


def test_a_checklist_answer_outside_the_items_choices_is_rejected(session, phone, technician):
    ChecklistTemplateFactory(items=CHOICE_ITEMS)
    visit = assigned_visit(technician)
    device = phone(technician.user)
    _status, body = push_raw(
        device,
        [
            mutation(1, "checklist.set_answer", visit_id=visit.id, item_key="cause", value="fire"),
            mutation(2, "checklist.set_answer", visit_id=visit.id, item_key="cause", value="wear"),
        ],
    )
    assert [r["outcome"] for r in body["results"]] == ["rejected", "applied"]
    assert body["results"][0]["code"] == "invalid_answer"
    session.expire_all()
    answers = session.scalars(select(ChecklistAnswer.value)).all()
    assert answers == ["wear"]


def test_the_same_instant_in_another_utc_offset_is_the_same_mutation(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    note = {"visit_id": visit.id, "note_id": new_id(), "body": "gate code 4411"}
    first = push_raw(
        device, [mutation(1, "visit.add_note", device_time="2026-11-24T09:00:00+08:00", **note)]
    )
    again = push_raw(
        device, [mutation(1, "visit.add_note", device_time="2026-11-24T01:00:00+00:00", **note)]
    )
    assert again == first
    other = push_raw(
        device, [mutation(1, "visit.add_note", device_time="2026-11-24T09:00:00+00:00", **note)]
    )
    assert other[0] == 409
    assert other[1]["code"] == "mutation_id_reused"


def test_work_pushed_for_a_visit_deleted_while_offline_goes_to_review(
    client, session, phone, technician, as_dispatcher
):
    visit = assigned_visit(technician, status="new")  # not booked yet: deletable
    visit_id = visit.id
    device = phone(technician.user)
    device.sync()
    device.record("visit.add_note", visit_id=visit_id, note_id=new_id(), body="customer moved")
    device.record("visit.start_travel", visit_id=visit_id)
    assert client.delete(f"/api/v1/visits/{visit_id}", headers=as_dispatcher).status_code == 204

    device.sync()

    results = list(device.store.results().values())
    assert [r["outcome"] for r in results] == ["accepted_for_review"] * 2
    assert {r["code"] for r in results} == {"deleted"}
    session.expire_all()
    assert session.get(Visit, visit_id) is None
    reviews = session.scalars(select(VisitReview).order_by(VisitReview.id)).all()
    assert [(r.reason, r.visit_id, r.details["visit_id"]) for r in reviews] == [
        ("deleted", None, visit_id),
        ("deleted", None, visit_id),
    ]
    assert reviews[0].details["args"]["body"] == "customer moved"
    listed = client.get("/api/v1/reviews", headers=as_dispatcher).get_json()
    assert [r["reason"] for r in listed] == ["deleted", "deleted"]


def test_work_for_a_deleted_visit_never_given_to_the_technician_stays_not_found(
    client, session, phone, technician, as_dispatcher
):
    from tests.factories import TechnicianFactory

    other = assigned_visit(TechnicianFactory(with_user=True), status="new")
    other_id = other.id
    assert client.delete(f"/api/v1/visits/{other_id}", headers=as_dispatcher).status_code == 204
    device = phone(technician.user)
    _status, body = push_raw(
        device, [mutation(1, "visit.add_note", visit_id=other_id, note_id=new_id(), body="x")]
    )
    assert body["results"][0]["outcome"] == "rejected"
    assert body["results"][0]["code"] == "not_found"
    assert session.scalars(select(VisitReview)).all() == []

"""Push: exactly once, never blocked by one bad mutation, never losing offline work."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.models import (
    ChecklistAnswer,
    MutationReceipt,
    Visit,
    VisitNote,
    VisitReview,
    VisitStatus,
    VisitStatusChange,
)
from tests.factories import ChecklistTemplateFactory, TechnicianFactory, assigned_visit, tomorrow_at
from tests.sync.phones import mutation, new_id, push_raw


def _count(session, model, *where):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _visit(session, visit_id):
    session.expire_all()
    return session.get(Visit, visit_id)


def test_a_batch_whose_answer_was_lost_is_answered_again_and_changes_nothing(
    session, phone, technician
):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    device.record("visit.start_travel", visit_id=visit.id)
    device.record("visit.add_note", visit_id=visit.id, note_id=new_id(), body="gate code 4411")
    device.transport.lose_next_responses = 1
    device.push_all()  # first answer lost; the client resends the same batch

    assert device.store.outbox_size() == 0
    assert [r["outcome"] for r in device.store.results().values()] == ["applied", "applied"]
    assert _count(session, VisitNote) == 1
    assert _count(session, VisitStatusChange, VisitStatusChange.visit_id == visit.id) == 1
    assert device.transport.calls.count("/mobile/v1/sync/push") == 2


def test_a_duplicated_batch_returns_the_stored_results(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    batch = [mutation(1, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="x")]
    first = push_raw(device, batch)
    again = push_raw(device, batch)
    assert first == again
    assert _count(session, VisitNote) == 1


def test_the_same_mutation_id_with_different_content_is_refused(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    push_raw(device, [mutation(1, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="a")])
    status, body = push_raw(
        device, [mutation(1, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="b")]
    )
    assert status == 409
    assert body["code"] == "mutation_id_reused"
    assert _count(session, VisitNote) == 1


def test_a_gap_in_the_mutation_sequence_is_refused(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    status, body = push_raw(device, [mutation(2, "visit.start_travel", visit_id=visit.id)])
    assert status == 409
    assert body["code"] == "mutation_sequence_gap"
    assert body["details"] == {"expected": 1, "got": 2, "last_acked_mutation_id": 0}
    assert _visit(session, visit.id).status == VisitStatus.DISPATCHED


def test_one_rejected_mutation_never_blocks_the_ones_after_it(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    status, body = push_raw(
        device,
        [
            mutation(1, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="first"),
            mutation(2, "checklist.set_answer", visit_id=visit.id, item_key="nope", value=1),
            mutation(3, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="third"),
        ],
    )
    assert status == 200
    assert [r["outcome"] for r in body["results"]] == ["applied", "rejected", "applied"]
    assert body["results"][1]["code"] == "unknown_checklist_item"
    assert body["last_acked_mutation_id"] == 3
    assert _count(session, VisitNote) == 2


def test_an_invalid_argument_is_a_rejection_not_a_batch_error(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    status, body = push_raw(
        device,
        [
            mutation(1, "visit.add_note", visit_id=visit.id, note_id="not-a-uuid", body="x"),
            mutation(2, "visit.teleport", visit_id=visit.id),
        ],
    )
    assert status == 200
    assert [r["code"] for r in body["results"]] == ["validation_error", "unknown_mutation"]


def test_offline_completion_of_a_reassigned_visit_is_kept_for_review(
    client, session, phone, as_dispatcher
):
    a = TechnicianFactory(with_user=True, skills={"measure": 2})
    b = TechnicianFactory(with_user=True, skills={"measure": 2})
    visit = assigned_visit(a)
    device = phone(a.user)
    device.sync()
    note_id = new_id()
    device.record("visit.start_travel", visit_id=visit.id)
    device.record("visit.arrive", visit_id=visit.id)
    device.record("visit.add_note", visit_id=visit.id, note_id=note_id, body="measured")
    device.record("visit.complete", visit_id=visit.id)
    response = client.patch(
        f"/api/v1/visits/{visit.id}",
        json={"technician_id": b.id, "version": visit.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 200

    device.sync()

    outcomes = [r["outcome"] for r in device.store.results().values()]
    assert outcomes == ["accepted_for_review"] * 4
    assert session.get(VisitNote, note_id) is not None  # the work is kept
    reviews = session.scalars(select(VisitReview).where(VisitReview.visit_id == visit.id)).all()
    assert {r.mutation_name for r in reviews} >= {"visit.complete"}
    assert {r.reason for r in reviews} == {"reassigned"}
    assert _visit(session, visit.id).status == VisitStatus.DISPATCHED  # B's visit is untouched
    assert device.store.record("visit", visit.id) is None


def test_offline_work_on_a_cancelled_visit_is_kept_and_flagged(client, session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    photo_id = new_id()
    device.record(
        "photo.attach", visit_id=visit.id, photo_id=photo_id, sha256="a" * 64, kind="damage"
    )
    device.record("visit.complete", visit_id=visit.id)
    _visit(session, visit.id).status = VisitStatus.CANCELLED
    session.commit()

    device.push_all()

    assert [r["outcome"] for r in device.store.results().values()] == ["accepted_for_review"] * 2
    assert _count(session, VisitReview, VisitReview.reason == "cancelled") == 2
    from app.models import Photo

    assert session.get(Photo, photo_id) is not None


def test_concurrent_edits_of_different_fields_both_survive_with_a_device_clock_three_hours_off(
    client, session, phone, technician, as_dispatcher
):
    ChecklistTemplateFactory()
    visit = assigned_visit(technician)
    device = phone(technician.user)
    device.sync()
    base_version = device.store.record("visit", visit.id)["version"]
    skewed = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    device.record(
        "visit.start_travel", visit_id=visit.id, base_version=base_version, device_time=skewed
    )
    device.record(
        "checklist.set_answer",
        visit_id=visit.id,
        item_key="room_width_cm",
        value=412,
        device_time=skewed,
    )
    new_start = tomorrow_at(11)  # inside the customer's 9:00-12:00 window
    response = client.patch(  # the dispatcher moves the visit while the phone is offline
        f"/api/v1/visits/{visit.id}",
        json={"planned_start": new_start.isoformat(), "priority": 1, "version": visit.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 200

    device.sync()

    merged = _visit(session, visit.id)
    assert merged.status == VisitStatus.EN_ROUTE  # technician's field
    assert merged.planned_start == new_start  # dispatcher's fields
    assert merged.priority == 1
    change = session.scalars(
        select(VisitStatusChange).where(VisitStatusChange.to_status == VisitStatus.EN_ROUTE)
    ).one()
    assert change.device_time == skewed  # stored
    assert change.at > skewed + dt.timedelta(hours=2)  # ordered by the server, not the phone
    mirrored = device.store.record("visit", visit.id)["planned_start"]
    assert dt.datetime.fromisoformat(mirrored) == new_start
    answer = session.scalars(select(ChecklistAnswer)).one()
    assert answer.value == 412


def test_status_only_moves_forward(session, phone, technician):
    visit = assigned_visit(technician, status=VisitStatus.ON_SITE)
    device = phone(technician.user)
    _status, body = push_raw(device, [mutation(1, "visit.start_travel", visit_id=visit.id)])
    assert body["results"][0]["outcome"] == "applied"
    assert body["results"][0]["details"]["unchanged"] is True
    assert _visit(session, visit.id).status == VisitStatus.ON_SITE


def test_completing_walks_forward_through_skipped_steps(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    push_raw(device, [mutation(1, "visit.complete", visit_id=visit.id)])
    steps = session.scalars(
        select(VisitStatusChange.to_status)
        .where(VisitStatusChange.visit_id == visit.id)
        .order_by(VisitStatusChange.id)
    ).all()
    assert steps == [VisitStatus.EN_ROUTE, VisitStatus.ON_SITE, VisitStatus.COMPLETED]


def test_completion_with_missing_checklist_answers_is_rejected_with_what_is_missing(
    session, phone, technician
):
    ChecklistTemplateFactory()
    visit = assigned_visit(technician)
    device = phone(technician.user)
    _status, body = push_raw(device, [mutation(1, "visit.complete", visit_id=visit.id)])
    result = body["results"][0]
    assert result["outcome"] == "rejected"
    assert result["code"] == "completion_requirements_missing"
    assert result["details"]["missing"][0]["item_key"] == "room_width_cm"
    assert _visit(session, visit.id).status == VisitStatus.DISPATCHED


def test_a_replayed_note_id_under_a_new_mutation_id_adds_no_second_note(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    note_id = new_id()
    for mutation_id in (1, 2):
        push_raw(
            device,
            [
                mutation(
                    mutation_id, "visit.add_note", visit_id=visit.id, note_id=note_id, body="same"
                )
            ],
        )
    assert _count(session, VisitNote) == 1


def test_a_database_fault_answers_503_and_acknowledges_nothing(
    session, phone, technician, monkeypatch
):
    visit = assigned_visit(technician)
    device = phone(technician.user)

    def database_gone(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr("app.services.fieldwork.add_note", database_gone)
    status, body = push_raw(
        device,
        [
            mutation(1, "visit.start_travel", visit_id=visit.id),
            mutation(2, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="x"),
        ],
    )
    assert status == 503
    assert body["code"] == "temporarily_unavailable"
    assert _count(session, MutationReceipt) == 0
    assert _visit(session, visit.id).status == VisitStatus.DISPATCHED


def test_a_visit_that_cannot_be_finished_is_marked_incomplete_with_its_reason(
    session, phone, technician
):
    visit = assigned_visit(technician, status=VisitStatus.ON_SITE)
    device = phone(technician.user)
    _status, body = push_raw(
        device, [mutation(1, "visit.mark_incomplete", visit_id=visit.id, reason="wall not dry")]
    )
    assert body["results"][0]["outcome"] == "applied"
    assert _visit(session, visit.id).status == VisitStatus.INCOMPLETE
    assert "wall not dry" in session.scalars(select(VisitNote.body)).one()


def test_a_stale_base_version_is_merged_by_field_not_refused(
    client, session, phone, technician, as_dispatcher
):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    response = client.patch(
        f"/api/v1/visits/{visit.id}",
        json={"priority": 5, "version": visit.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 200
    _status, body = push_raw(
        device,
        [{**mutation(1, "visit.start_travel", visit_id=visit.id), "base_version": visit.version}],
    )
    result = body["results"][0]
    assert result["outcome"] == "applied"
    assert result["details"]["merged_over_version"] == visit.version + 1
    assert _visit(session, visit.id).priority == 5


def test_a_note_id_reused_for_other_text_is_rejected_as_taken(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    note_id = new_id()
    _status, body = push_raw(
        device,
        [
            mutation(1, "visit.add_note", visit_id=visit.id, note_id=note_id, body="first"),
            mutation(2, "visit.add_note", visit_id=visit.id, note_id=note_id, body="other"),
        ],
    )
    assert [r["outcome"] for r in body["results"]] == ["applied", "rejected"]
    assert body["results"][1]["code"] == "id_taken"
    assert session.get(VisitNote, note_id).body == "first"


def test_the_same_batch_sent_twice_at_once_is_applied_once(app, session, phone, technician):
    import threading

    visit = assigned_visit(technician)
    device = phone(technician.user)
    batch = [
        mutation(n, "visit.add_note", visit_id=visit.id, note_id=new_id(), body=f"note {n}")
        for n in range(1, 21)
    ]
    body = {**device._envelope(), "mutations": batch}
    answers: list = []

    def send() -> None:
        response = app.test_client().post(
            "/mobile/v1/sync/push", json=body, headers={"Authorization": f"Bearer {device.token}"}
        )
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1]
    assert _count(session, VisitNote) == 20
    assert _count(session, MutationReceipt) == 20

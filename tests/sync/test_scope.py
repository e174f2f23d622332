"""Scope as data: entering sends the whole tree, leaving sends `remove`, deleting sends `delete`."""

from __future__ import annotations

import datetime as dt
import uuid

from app.models import Visit, VisitNote, VisitStatus
from tests.factories import TechnicianFactory, VisitFactory, assigned_visit, tomorrow_at


def _patch(client, headers, visit, **changes):
    response = client.patch(
        f"/api/v1/visits/{visit.id}", json={**changes, "version": visit.version}, headers=headers
    )
    assert response.status_code == 200, response.json
    return response.json


def _note(session, visit, body="tape measure left on site"):
    note = VisitNote(id=str(uuid.uuid4()), visit_id=visit.id, body=body)
    session.add(note)
    session.commit()
    return note


def test_reassignment_moves_the_whole_tree_from_a_to_b(client, session, phone, as_dispatcher):
    a = TechnicianFactory(with_user=True, skills={"measure": 2})
    b = TechnicianFactory(with_user=True, skills={"measure": 2})
    visit = assigned_visit(a)
    note = _note(session, visit)
    phone_a, phone_b = phone(a.user), phone(b.user)
    phone_a.sync()
    phone_b.sync()
    assert phone_a.store.record("note", note.id) is not None

    _patch(client, as_dispatcher, visit, technician_id=b.id)
    report_a, _ = phone_a.sync(), phone_b.sync()

    assert phone_a.store.record("visit", visit.id) is None
    assert phone_a.store.record("note", note.id) is None
    assert phone_a.store.record("customer", visit.customer_id) is None
    assert report_a.removes >= 3
    assert report_a.deletes == 0
    assert phone_b.store.record("visit", visit.id)["technician_id"] == b.id
    assert phone_b.store.record("note", note.id)["body"] == note.body
    assert phone_b.store.record("site", visit.site_id) is not None


def test_cancellation_removes_the_visit_and_its_children(
    client, session, phone, technician, as_dispatcher
):
    visit = assigned_visit(technician)
    note = _note(session, visit)
    device = phone(technician.user)
    device.sync()
    response = client.post(
        f"/api/v1/visits/{visit.id}/transitions", json={"to": "cancelled"}, headers=as_dispatcher
    )
    assert response.status_code == 200, response.json
    report = device.sync()
    assert device.store.record("visit", visit.id) is None
    assert device.store.record("note", note.id) is None
    assert report.removes >= 2


def test_a_window_moved_out_of_scope_removes_the_visit(client, phone, technician, as_dispatcher):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    device.sync()
    later = tomorrow_at(9, days=30)
    _patch(
        client,
        as_dispatcher,
        visit,
        window_start=later.isoformat(),
        window_end=(later + dt.timedelta(hours=3)).isoformat(),
    )
    device.sync()
    assert device.store.record("visit", visit.id) is None


def test_a_window_moved_into_scope_sends_the_whole_tree_with_its_older_rows(
    client, session, phone, technician, as_dispatcher
):
    far = tomorrow_at(9, days=30)
    visit = assigned_visit(technician, window_start=far, window_end=far + dt.timedelta(hours=3))
    old_note = _note(session, visit, "written before the phone ever synced")
    device = phone(technician.user)
    device.sync()
    assert device.store.record("visit", visit.id) is None

    _patch(
        client,
        as_dispatcher,
        visit,
        window_start=tomorrow_at(9).isoformat(),
        window_end=tomorrow_at(12).isoformat(),
    )
    device.sync()
    assert device.store.record("visit", visit.id) is not None
    assert device.store.record("note", old_note.id)["body"] == old_note.body
    assert device.store.record("customer", visit.customer_id) is not None


def test_a_visit_deleted_for_everyone_is_a_delete_not_a_remove(
    client, session, phone, technician, as_dispatcher
):
    # assigned but not yet booked with its customer: a booked one is cancelled, not deleted
    visit = assigned_visit(technician, status=VisitStatus.NEW)
    device = phone(technician.user)
    device.sync()
    response = client.delete(f"/api/v1/visits/{visit.id}", headers=as_dispatcher)
    assert response.status_code == 204, response.json
    report = device.sync()
    assert device.store.record("visit", visit.id) is None
    assert report.deletes >= 1


def test_a_customer_stays_while_another_visit_still_points_to_it(
    client, session, phone, technician, as_dispatcher
):
    first = assigned_visit(technician)
    second = assigned_visit(technician, site=first.site)
    other = TechnicianFactory(with_user=True, skills={"measure": 2})
    device = phone(technician.user)
    device.sync()
    _patch(client, as_dispatcher, first, technician_id=other.id)
    device.sync()
    assert device.store.record("visit", first.id) is None
    assert device.store.record("customer", second.customer_id) is not None


def test_a_new_assignment_enters_the_scope_without_any_sync_code(session, phone, technician):
    device = phone(technician.user)
    device.sync()
    visit = VisitFactory(status=VisitStatus.DISPATCHED)
    assert device.store.record("visit", visit.id) is None
    session.get(Visit, visit.id).technician_id = technician.id  # e.g. a dispatch publish job
    session.commit()
    device.sync()
    assert device.store.record("visit", visit.id)["technician_id"] == technician.id

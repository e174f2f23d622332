"""The protocol's edges as docs/sync.md states them: scope bounds, empty cursors, unknown
arguments, pushes between first-sync pages, and the way out of a refused batch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.models import Device, VisitNote
from sync.scope import scope_keys, scope_window
from tests.factories import assigned_visit
from tests.sync.phones import mutation, new_id, push_raw, server_scope


def test_the_scope_includes_its_first_instant_and_excludes_its_end(session, technician, settings):
    now = dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)
    start, end = scope_window(settings, now)
    first = assigned_visit(technician, planned_start=start, window_start=None, window_end=None)
    last = assigned_visit(
        technician,
        planned_start=end - dt.timedelta(microseconds=1),
        window_start=None,
        window_end=None,
    )
    at_end = assigned_visit(technician, planned_start=end, window_start=None, window_end=None)
    keys = scope_keys(session, technician.id, settings, now)
    assert f"v:{first.id}" in keys
    assert f"v:{last.id}" in keys
    assert f"v:{at_end.id}" not in keys


def test_an_empty_cursor_starts_a_first_sync_like_null(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    body = {**device._envelope(), "cursor": "", "limit": 200}
    status, page = device.transport.post("/mobile/v1/sync/pull", body, device.token)
    assert status == 200
    assert ("visit", visit.id) in {(r["entity"], r["id"]) for r in page["upserts"]}


def test_unknown_fields_in_args_reject_that_mutation_only(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    status, body = push_raw(
        device,
        [
            mutation(1, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="x", pin=1),
            mutation(2, "visit.start_travel", visit_id=visit.id),
        ],
    )
    assert status == 200
    assert [r["outcome"] for r in body["results"]] == ["rejected", "applied"]
    assert body["results"][0]["details"]["fields"] == {"pin": ["Unknown field."]}


def test_a_push_between_first_sync_pages_arrives_once_as_a_delta(
    session, phone, technician, settings
):
    visits = [assigned_visit(technician) for _ in range(4)]
    device = phone(technician.user)
    body = {**device._envelope(), "cursor": None, "limit": 1}
    status, page = device.transport.post("/mobile/v1/sync/pull", body, device.token)
    assert status == 200
    assert page["has_more"]
    device.store.apply_page(page)
    note_id = new_id()
    device.record("visit.add_note", visit_id=visits[0].id, note_id=note_id, body="mid-sync")
    device.record("visit.add_note", visit_id=visits[-1].id, note_id=new_id(), body="later tree")
    device.push_all()

    report = device.pull_all()

    assert report.pulled_pages >= 1
    assert device.store.record("note", note_id)["body"] == "mid-sync"
    assert device.store.records() == server_scope(session, technician.id, settings)


def test_a_phone_whose_ids_were_used_already_renumbers_its_outbox_and_goes_on(
    session, phone, technician
):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    # Another copy of this phone's store (a restored backup) already used ids 1 and 2.
    push_raw(
        device,
        [
            mutation(1, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="one"),
            mutation(2, "visit.add_note", visit_id=visit.id, note_id=new_id(), body="two"),
        ],
    )
    note_id = new_id()
    assert device.record("visit.add_note", visit_id=visit.id, note_id=note_id, body="three") == 1

    device.push_all()

    assert device.store.outbox_size() == 0
    assert device.store.results()[3]["outcome"] == "applied"
    session.expire_all()
    assert session.get(VisitNote, note_id).body == "three"
    assert session.scalar(select(Device.last_acked_mutation_id)) == 3


def test_a_phone_ahead_of_the_servers_count_renumbers_from_it(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    device.store._set("next_mutation_id", 40)
    device.record("visit.start_travel", visit_id=visit.id)
    device.record("visit.arrive", visit_id=visit.id)

    device.push_all()

    assert sorted(device.store.results()) == [1, 2]
    assert {r["outcome"] for r in device.store.results().values()} == {"applied"}


def test_a_malformed_envelope_refuses_the_whole_batch_with_422(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    status, body = push_raw(
        device,
        [
            mutation(1, "visit.start_travel", visit_id=visit.id),
            {"name": "visit.arrive", "args": {"visit_id": visit.id}},
        ],
    )
    assert status == 422
    assert body["code"] == "validation_error"
    assert session.scalar(select(Device.last_acked_mutation_id)) == 0


def test_an_admin_may_retire_any_phone(client, phone, technician, as_admin):
    device = phone(technician.user)
    response = client.delete(f"/mobile/v1/devices/{device.device_id}", headers=as_admin)
    assert response.status_code == 204
    body = {**device._envelope(), "cursor": None, "limit": 10}
    assert device.transport.post("/mobile/v1/sync/pull", body, device.token)[0] == 401

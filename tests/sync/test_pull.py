"""Pull: consistent first sync, resumable paging, opaque cursors, retention resets."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest

from app.database import db
from app.models import VisitNote
from sync import feed
from sync.client import LocalStore, TransportError
from tests.factories import assigned_visit
from tests.sync.phones import server_scope


def _pull(device, cursor=None, limit=200, **overrides):
    body = {**device._envelope(), "cursor": cursor, "limit": limit, **overrides}
    return device.transport.post("/mobile/v1/sync/pull", body, device.token)


def _notes(session, visit, count):
    for n in range(count):
        session.add(VisitNote(id=str(uuid.uuid4()), visit_id=visit.id, body=f"note {n}"))
    session.commit()


def test_first_sync_pages_deliver_every_record_once_while_writes_land(
    session, phone, technician, settings
):
    visits = [assigned_visit(technician) for _ in range(6)]
    _notes(session, visits[0], 3)
    device = phone(technician.user)
    delivered: Counter = Counter()
    status, page = _pull(device, limit=4)
    while True:
        assert status == 200, page
        delivered.update((r["entity"], str(r["id"])) for r in page["upserts"])
        device.store.apply_page(page)
        if not page["has_more"]:
            break
        if len(delivered) < 8:  # writes land while the snapshot is being paged
            db.session.get(type(visits[-1]), visits[-1].id).description = "changed mid-sync"
            _notes(db.session, visits[-1], 1)
        status, page = _pull(device, cursor=page["cursor"], limit=4)

    assert max(delivered.values()) == 1
    assert device.store.records() == server_scope(session, technician.id, settings)
    assert device.store.record("visit", visits[-1].id)["description"] == "changed mid-sync"


def test_a_first_sync_killed_midway_resumes_where_it_stopped(
    session, phone, technician, settings, tmp_path
):
    for _ in range(8):
        _notes(session, assigned_visit(technician), 2)
    path = str(tmp_path / "phone.db")
    device = phone(technician.user, store=LocalStore(path))
    device.page_limit = 5
    device.transport.fail_after = 5  # registration + 3 pages, then the app is killed
    device.max_attempts = 1
    with pytest.raises(TransportError):  # the phone dies mid-sync
        device.sync()
    assert 0 < len(LocalStore(path).records()) < len(server_scope(session, technician.id, settings))

    resumed = phone(technician.user, store=LocalStore(path), device_id=device.device_id)
    resumed.page_limit = 5
    resumed.sync()
    assert resumed.store.records() == server_scope(session, technician.id, settings)
    assert resumed.transport.calls.count("/mobile/v1/sync/pull") < 8


def test_pull_answers_the_device_s_last_acknowledged_mutation(session, phone, technician):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    device.record("visit.start_travel", visit_id=visit.id)
    device.push_all()
    _status, page = _pull(device)
    assert page["last_acked_mutation_id"] == 1


def test_a_tampered_cursor_is_refused(session, phone, technician):
    assigned_visit(technician)
    device = phone(technician.user)
    _status, page = _pull(device)
    cursor = page["cursor"]
    forged = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    status, body = _pull(device, cursor=forged)
    assert status == 400
    assert body["code"] == "invalid_cursor"


def test_a_cursor_issued_to_another_device_is_refused(session, phone, technician):
    first, second = phone(technician.user), phone(technician.user)
    _status, page = _pull(first)
    status, body = _pull(second, cursor=page["cursor"])
    assert status == 400
    assert body["code"] == "invalid_cursor"


def test_a_cursor_older_than_retention_gets_reset_required(session, phone, technician, settings):
    assigned_visit(technician)
    device = phone(technician.user)
    device.sync()
    old_cursor = device.store.cursor
    assigned_visit(technician)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.tombstone_retention_days + 1)
    feed.prune(session, retention_days=settings.tombstone_retention_days, now=later)
    session.commit()
    status, body = _pull(device, cursor=old_cursor)
    assert status == 409
    assert body["code"] == "reset_required"


def test_reset_required_keeps_unpushed_work_and_rebuilds_the_mirror(
    session, phone, technician, settings
):
    visit = assigned_visit(technician)
    device = phone(technician.user)
    device.sync()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.tombstone_retention_days + 1)
    assigned_visit(technician)
    feed.prune(session, retention_days=settings.tombstone_retention_days, now=later)
    session.commit()
    device.record("visit.add_note", visit_id=visit.id, note_id=str(uuid.uuid4()), body="kept")

    device.pull_all()  # offline work still queued while the mirror is rebuilt
    assert device.store.outbox_size() == 1
    report = device.sync()
    assert device.store.outbox_size() == 0
    assert report.pushed == 1
    assert device.store.records() == server_scope(session, technician.id, settings)


def test_an_unsupported_schema_version_names_the_supported_range(session, phone, technician):
    device = phone(technician.user)
    status, body = _pull(device, schema_version=7)
    assert status == 400
    assert body["code"] == "unsupported_version"
    assert body["details"]["supported"] == {"min": 1, "max": 1}
    assert "1 to 1" in body["message"]


def test_an_unsupported_protocol_version_is_refused_on_push(session, phone, technician):
    device = phone(technician.user)
    body = {**device._envelope(), "protocol_version": 0, "mutations": []}
    status, answer = device.transport.post("/mobile/v1/sync/push", body, device.token)
    assert status == 400
    assert answer["details"]["field"] == "protocol_version"


def test_the_client_retries_503_answers_with_backoff(session, phone, technician, monkeypatch):
    assigned_visit(technician)
    device = phone(technician.user)
    waits: list[float] = []
    device.sleep = waits.append
    real = feed.pull
    failures = iter([True, True])

    def flaky(*args, **kwargs):
        if next(failures, False):
            from sqlalchemy.exc import OperationalError

            raise OperationalError("SELECT", {}, Exception("connection reset"))
        return real(*args, **kwargs)

    monkeypatch.setattr(feed, "pull", flaky)
    report = device.sync()
    assert report.retries == 2
    assert len(waits) == 2
    assert waits[1] >= waits[0]  # exponential: each wait at least as long as the last
    assert device.store.records()


def test_a_pull_records_when_the_device_was_last_seen(session, phone, technician):
    from app.models import Device

    device = phone(technician.user)
    device.pull_all()
    session.expire_all()
    seen = session.query(Device).filter_by(device_id=device.device_id).one().last_seen
    assert seen is not None

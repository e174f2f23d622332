"""The change feed: written in the writer's transaction, positioned in commit order."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from app.database import db
from app.models import SyncChange, Visit, VisitNote
from app.models.sync import position_changes
from sync.feed import high_water_mark
from tests.factories import VisitFactory, assigned_visit


def _feed(session, **where):
    session.expire_all()
    stmt = select(SyncChange).order_by(SyncChange.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(SyncChange, name) == value)
    return session.scalars(stmt).all()


def test_a_committed_write_gets_a_positioned_feed_row(session):
    visit = VisitFactory()
    rows = _feed(session, entity="visit", record_id=str(visit.id))
    assert [(r.op, r.scope_key) for r in rows] == [("upsert", f"v:{visit.id}")]
    assert rows[0].seq is not None


def test_a_rolled_back_write_leaves_no_feed_row(session):
    visit = VisitFactory()
    before = len(_feed(session))
    visit.description = "never committed"
    session.flush()
    session.rollback()
    assert len(_feed(session)) == before


def test_a_rolled_back_savepoint_leaves_no_feed_row(session):
    visit = VisitFactory()
    savepoint = session.begin_nested()
    session.add(VisitNote(id="0" * 32, visit_id=visit.id, body="dropped"))
    session.flush()
    savepoint.rollback()
    session.commit()
    assert _feed(session, entity="note") == []


def test_a_delete_is_recorded_as_a_delete(session):
    visit = VisitFactory()
    session.delete(visit)
    session.commit()
    assert _feed(session, record_id=str(visit.id))[-1].op == "delete"


def test_a_back_office_patch_feeds_the_change_log(client, session, as_dispatcher):
    visit = VisitFactory()
    response = client.patch(
        f"/api/v1/visits/{visit.id}",
        json={"description": "bring the long ladder", "version": visit.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 200, response.json
    assert len(_feed(session, entity="visit", record_id=str(visit.id))) == 2


def test_feed_positions_follow_commit_order_when_an_earlier_transaction_commits_late(
    session, technician
):
    first, second = assigned_visit(technician), assigned_visit(technician)
    mark = high_water_mark(session)
    early, late = db.session_factory(), db.session_factory()
    try:
        early.get(Visit, first.id).description = "started first"
        early.flush()  # its feed row exists, unpositioned and invisible
        late.get(Visit, second.id).description = "committed first"
        late.commit()
        visible = [r.record_id for r in _feed(session) if r.seq and r.seq > mark]
        assert visible == [str(second.id)]
        early.commit()
    finally:
        early.close()
        late.close()
    positions = {r.record_id: r.seq for r in _feed(session) if r.seq and r.seq > mark}
    assert positions[str(first.id)] > positions[str(second.id)]


def test_a_repeatable_read_writer_still_gets_a_later_position(session, technician):
    first, second = assigned_visit(technician), assigned_visit(technician)
    early, late = db.session_factory(), db.session_factory()
    try:
        early.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        early.get(Visit, first.id)  # its snapshot is taken here, before the other commit
        late.get(Visit, second.id).description = "committed in between"
        late.commit()
        early.get(Visit, first.id).description = "old snapshot, later commit"
        early.commit()
    finally:
        early.close()
        late.close()
    seq = {r.record_id: r.seq for r in _feed(session, entity="visit") if r.seq}
    assert seq[str(first.id)] > seq[str(second.id)]


def test_a_writer_waits_for_the_positioned_writer_to_commit(session, technician):
    first, second = assigned_visit(technician), assigned_visit(technician)
    early, late = db.session_factory(), db.session_factory()
    late.get(Visit, second.id).description = "waits for the lock"
    late.flush()
    early.get(Visit, first.id).description = "holds the lock"
    early.flush()
    position_changes(early)  # takes the advisory lock, as a commit does
    done = threading.Event()

    def commit_late() -> None:
        late.commit()
        done.set()

    worker = threading.Thread(target=commit_late)
    worker.start()
    try:
        time.sleep(0.5)
        assert not done.is_set(), "the second writer committed while the first held its position"
        early.commit()
        worker.join(10)
        assert done.is_set()
    finally:
        early.close()
        late.close()
    seq = {r.record_id: r.seq for r in _feed(session, entity="visit")}
    assert seq[str(first.id)] < seq[str(second.id)]


def test_a_pull_after_a_late_commit_still_delivers_it(session, technician, phone):
    first, second = assigned_visit(technician), assigned_visit(technician)
    device = phone(technician.user)
    device.sync()
    early, late = db.session_factory(), db.session_factory()
    try:
        early.get(Visit, first.id).description = "late commit"
        early.flush()
        late.get(Visit, second.id).description = "early commit"
        late.commit()
        device.sync()  # the cursor moves past the early commit
        assert device.store.record("visit", second.id)["description"] == "early commit"
        early.commit()
    finally:
        early.close()
        late.close()
    device.sync()
    assert device.store.record("visit", first.id)["description"] == "late commit"

"""Convergence under chaos: offline spells, lost, duplicated and replayed deliveries, and
dispatcher reassignments; in the end every phone mirrors its scope and every mutation counts once.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter

from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.database import db
from app.errors import AppError
from app.models import (
    Device,
    MutationReceipt,
    Role,
    Visit,
    VisitNote,
    VisitStatus,
    VisitStatusChange,
)
from app.services import visits as visit_service
from sync.client import TransportError
from tests.conftest import truncate_all
from tests.examples import examples
from tests.factories import (
    ChecklistTemplateFactory,
    TechnicianFactory,
    UserFactory,
    assigned_visit,
    one_commit,
)
from tests.sync.phones import server_scope

WORK = ("note", "travel", "arrive", "complete", "answer")
FAULTS = ("ok", "ok", "answer_lost", "no_signal", "replay_old")
OPERATIONS = st.one_of(
    st.tuples(st.just("work"), st.integers(0, 2), st.integers(0, 3), st.sampled_from(WORK)),
    st.tuples(st.just("sync"), st.integers(0, 2), st.sampled_from(FAULTS)),
    st.tuples(st.just("reassign"), st.integers(0, 3), st.integers(0, 1)),
    st.tuples(st.just("cancel"), st.integers(0, 3)),
)
MUTATION_NAMES = {
    "travel": "visit.start_travel",
    "arrive": "visit.arrive",
    "complete": "visit.complete",
}


class World:
    """Two technicians (the first with two phones), four visits, one dispatcher."""

    def __init__(self, session, phone) -> None:
        # The test's own session may hold a transaction from the previous example; end it,
        # or TRUNCATE waits for its locks forever.
        session.rollback()
        db.session.remove()
        truncate_all(db.engine)
        with one_commit():
            ChecklistTemplateFactory(
                items=[{"key": "remarks", "label": "Remarks", "type": "text", "required": False}]
            )
            self.technicians = [TechnicianFactory(with_user=True) for _ in range(2)]
            self.technician_ids = [t.id for t in self.technicians]
            self.visit_ids = [assigned_visit(self.technicians[n % 2]).id for n in range(4)]
            self.dispatcher_id = UserFactory(role=Role.DISPATCHER).id
        users = [self.technicians[0].user, self.technicians[0].user, self.technicians[1].user]
        self.phones = [phone(user) for user in users]
        self.owner = [self.technician_ids[0], self.technician_ids[0], self.technician_ids[1]]
        self.notes_sent = 0
        self.mutations_sent = Counter()
        for device in self.phones:  # the day starts with every phone holding its scope
            device.sync()

    def work(self, device_no: int, visit_no: int, what: str) -> None:
        device, visit_id = self.phones[device_no], self.visit_ids[visit_no]
        if device.store.record("visit", visit_id) is None:
            return  # a phone only works on visits it holds
        if what == "note":
            device.record(
                "visit.add_note", visit_id=visit_id, note_id=str(uuid.uuid4()), body="done"
            )
            self.notes_sent += 1
        elif what == "answer":
            device.record("checklist.set_answer", visit_id=visit_id, item_key="remarks", value="ok")
        else:
            device.record(MUTATION_NAMES[what], visit_id=visit_id)
        self.mutations_sent[device_no] += 1

    def sync(self, device_no: int, fault: str) -> None:
        device = self.phones[device_no]
        transport = device.transport
        if fault == "replay_old" and transport.pushes:
            old = transport.pushes[len(transport.pushes) // 2]
            status, body = transport.post("/mobile/v1/sync/push", old, device.token)
            assert status == 200, body
            return
        if fault == "answer_lost":
            transport.lose_next_responses = 1
        if fault == "no_signal":
            transport.fail_next_requests = device.max_attempts
        with contextlib.suppress(TransportError):  # still offline: the outbox waits
            device.sync()
        transport.fail_next_requests = 0

    def reassign(self, visit_no: int, technician_no: int) -> None:
        visit = db.session.get(Visit, self.visit_ids[visit_no])
        try:
            visit_service.update_visit(
                db.session, visit, {"technician_id": self.technician_ids[technician_no]}
            )
            db.session.commit()
        except AppError:
            db.session.rollback()

    def cancel(self, visit_no: int) -> None:
        visit = db.session.get(Visit, self.visit_ids[visit_no])
        try:
            visit_service.change_status(
                db.session, visit, VisitStatus.CANCELLED, actor_user_id=self.dispatcher_id
            )
            db.session.commit()
        except AppError:
            db.session.rollback()


@hypothesis_settings(
    max_examples=examples(10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=4, max_size=16))
def test_every_phone_converges_to_its_scope_with_every_mutation_applied_once(
    session, phone, settings, operations
):
    world = World(session, phone)
    for operation in operations:
        getattr(world, operation[0])(*operation[1:])
    for _round in range(2):  # signal returns everywhere; the second round sees others' pushes
        for device in world.phones:
            device.sync()

    for device_no, device in enumerate(world.phones):
        expected = server_scope(db.session, world.owner[device_no], settings)
        assert device.store.records() == expected
        assert device.store.outbox_size() == 0
        sent = world.mutations_sent[device_no]
        receipts = db.session.scalars(
            select(MutationReceipt.mutation_id)
            .join(Device, Device.id == MutationReceipt.device_pk)
            .where(Device.device_id == device.device_id)
            .order_by(MutationReceipt.mutation_id)
        ).all()
        assert receipts == list(range(1, sent + 1))  # none lost, none twice
        for result in device.store.results().values():  # shown by --hypothesis-show-statistics
            event(f"outcome {result['outcome']}")
    assert db.session.scalar(select(func.count()).select_from(VisitNote)) == world.notes_sent
    moves = db.session.execute(select(VisitStatusChange.visit_id, VisitStatusChange.to_status))
    assert max(Counter(moves.all()).values(), default=1) == 1  # no status step applied twice
    db.session.commit()

"""Reviews: late offline work on someone else's visit waits for a dispatcher's decision."""

from __future__ import annotations

import pytest

from app.errors import Conflict
from app.models import VisitStatus
from sync.reviews import open_reviews, resolve_review
from tests.factories import assigned_visit
from tests.sync.phones import mutation, push_raw


@pytest.fixture
def review_id(session, phone, technician):
    visit = assigned_visit(technician, status=VisitStatus.CANCELLED)
    device = phone(technician.user)
    push_raw(device, [mutation(1, "visit.complete", visit_id=visit.id)])
    return session.scalars(open_reviews(visit.id)).one().id


def test_a_resolved_review_leaves_the_open_list(session, dispatcher, review_id):
    resolve_review(session, review_id, user_id=dispatcher.id, resolution="paid the trip")
    session.commit()
    assert session.scalars(open_reviews()).all() == []


def test_a_review_is_resolved_only_once(session, dispatcher, review_id):
    resolve_review(session, review_id, user_id=dispatcher.id, resolution="ok")
    with pytest.raises(Conflict):
        resolve_review(session, review_id, user_id=dispatcher.id, resolution="again")

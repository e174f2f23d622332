"""Dispatchers see offline work that reached a changed visit, and close each review once."""

import pytest

from app.models import VisitReview
from tests.factories import TechnicianFactory, VisitFactory


@pytest.fixture
def review(session):
    visit = VisitFactory(technician_id=TechnicianFactory().id)
    flagged = VisitReview(
        visit_id=visit.id, mutation_name="visit.complete", reason="visit_reassigned"
    )
    session.add(flagged)
    session.commit()
    return flagged


def test_open_reviews_are_listed_for_dispatchers(client, session, review, as_dispatcher):
    response = client.get("/api/v1/reviews", headers=as_dispatcher)
    assert [(r["id"], r["reason"]) for r in response.json] == [(review.id, "visit_reassigned")]


def test_a_resolved_review_leaves_the_list_and_records_who(
    client, session, review, as_dispatcher, dispatcher
):
    response = client.post(
        f"/api/v1/reviews/{review.id}/resolve",
        json={"resolution": "kept the completion"},
        headers=as_dispatcher,
    )
    assert response.json["resolved_by_user_id"] == dispatcher.id
    assert client.get("/api/v1/reviews", headers=as_dispatcher).json == []


def test_a_review_cannot_be_resolved_twice(client, session, review, as_dispatcher):
    url = f"/api/v1/reviews/{review.id}/resolve"
    client.post(url, json={"resolution": "ok"}, headers=as_dispatcher)
    response = client.post(url, json={"resolution": "again"}, headers=as_dispatcher)
    assert response.status_code == 409


def test_technicians_cannot_see_reviews(client, session, review, technician, login):
    assert client.get("/api/v1/reviews", headers=login(technician.user)).status_code == 403

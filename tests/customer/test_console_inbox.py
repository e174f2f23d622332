"""The console's inbox: dispatchers see new repair requests and decide customers' changes."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SADeprecationWarning

from app import models
from app.database import db, utcnow
from app.services import repair_requests, visit_changes
from app.services.repair_requests import RepairDraft
from app.services.visit_windows import offered_windows
from tests import factories
from tests.console.conftest import CSRF_FIELD, CSRF_META, Console
from tests.factories import PASSWORD


@pytest.fixture
def console(app, session, dispatcher) -> Console:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = CSRF_FIELD.search(client.get("/console/login").text).group(1)
    client.post(
        "/console/login",
        data={"email": dispatcher.email, "password": PASSWORD, "csrf_token": token},
    )
    return Console(client, CSRF_META.search(client.get("/console/board").text).group(1))


def _change(settings, visit, kind):
    window = offered_windows(settings, utcnow())[0]
    change = visit_changes.request_change(
        db.session,
        settings,
        db.session.get(models.Order, visit.order_id),
        visit.id,
        models.ChangeKind(kind),
        window_key=window.key,
    )
    db.session.commit()
    return change


def test_the_inbox_lists_new_repair_requests_with_their_sla_clock(console, order, settings):
    window = offered_windows(settings, utcnow())[0]
    made = repair_requests.submit(
        db.session,
        settings,
        db.session.get(models.Order, order.id),
        RepairDraft(order_id=order.id, description="台面开裂", window_keys=(window.key,)),
    )
    db.session.commit()
    page = console.get("/console/inbox")
    assert page.status_code == 200
    row = page.text.split(f'data-visit="{made.visit_id}"')[1].split("</tr>")[0]
    assert "台面开裂" in row
    assert 'class="sla"' in row


def test_a_dispatcher_confirms_a_cancellation_from_the_inbox(console, booked_visit, settings):
    change = _change(settings, booked_visit, "cancel")
    answer = console.post(f"/console/inbox/changes/{change.id}/confirm")
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(models.Visit, booked_visit.id).status == "cancelled"
    assert "confirmed" in console.get("/console/inbox").text


def test_a_dispatcher_declines_a_move_from_the_inbox(console, booked_visit, settings):
    change = _change(settings, booked_visit, "reschedule")
    console.post(f"/console/inbox/changes/{change.id}/decline", {"note": "fully booked"})
    db.session.expire_all()
    decided = db.session.get(models.ChangeRequest, change.id)
    assert (decided.status, decided.decision_note) == ("declined", "fully booked")


def test_deciding_without_the_csrf_token_is_refused(console, booked_visit, settings):
    change = _change(settings, booked_visit, "cancel")
    answer = console.client.post(f"/console/inbox/changes/{change.id}/confirm")
    assert answer.status_code != 200
    db.session.expire_all()
    assert db.session.scalar(select(models.ChangeRequest.status)) == "pending"


def test_a_dispatcher_marks_a_repair_request_as_seen(console, order, settings):
    window = offered_windows(settings, utcnow())[0]
    made = repair_requests.submit(
        db.session,
        settings,
        db.session.get(models.Order, order.id),
        RepairDraft(order_id=order.id, description="抽屉滑轨坏了", window_keys=(window.key,)),
    )
    db.session.commit()
    console.post(f"/console/inbox/repairs/{made.id}/acknowledge")
    db.session.expire_all()
    assert db.session.get(models.RepairRequest, made.id).acknowledged_at is not None


def test_a_self_service_request_is_among_the_new_requests_with_its_source(
    console, order, settings
):
    window = offered_windows(settings, utcnow())[0]
    made = repair_requests.submit(
        db.session,
        settings,
        db.session.get(models.Order, order.id),
        RepairDraft(order_id=order.id, description="抽屉卡住", window_keys=(window.key,)),
    )
    db.session.commit()
    page = console.get("/console/inbox").text
    row = page.split(f'data-new-visit="{made.visit_id}"')[1].split("</tr>")[0]
    assert "customer self-service" in row


def test_photo_counts_are_per_visit_and_use_no_deprecated_api(session):
    busy, bare = factories.VisitFactory(), factories.VisitFactory()
    factories.PhotoFactory(visit_id=busy.id)
    factories.PhotoFactory(visit_id=busy.id)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SADeprecationWarning)
        counts = repair_requests.photo_counts(session, [busy.id, bare.id])
    assert counts == {busy.id: 2}

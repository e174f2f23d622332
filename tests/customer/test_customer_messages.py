"""A message to the customer at each step, in their language, unless they opted out."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from app import models
from app.database import db
from app.services import complaints, notices
from app.services.message_gateways import SIGNATURE_HEADER, GatewayError, sign
from app.services.notices import Preferences
from app.services.orders import create_order, set_order_stage
from app.services.outbox import LoggingSender, deliver, sender_for
from app.services.visits import change_status
from tests import factories


def _messages(topic):
    return db.session.scalars(
        select(models.OutboxMessage)
        .where(models.OutboxMessage.topic == topic)
        .order_by(models.OutboxMessage.id)
    ).all()


def test_a_new_order_sends_its_progress_link(session):
    customer = factories.CustomerFactory(email="a@example.com")
    site = factories.SiteFactory(customer=customer)
    order = create_order(
        db.session,
        {"customer_id": customer.id, "site_id": site.id, "product_line": "wardrobe"},
        actor_user_id=None,
    )
    db.session.commit()
    [message] = _messages("order_created")
    assert message.recipient == "a@example.com"
    assert "/p/" in message.body
    assert "衣柜" in message.body or "wardrobe" in message.body
    assert db.session.scalar(select(models.ProgressLink.order_id)) == order.id


def test_each_stage_sends_the_link_again(order):
    live = db.session.get(models.Order, order.id)
    set_order_stage(db.session, live, models.OrderStage.CONFIRMED, actor_user_id=None)
    set_order_stage(db.session, live, models.OrderStage.PRODUCTION, actor_user_id=None)
    db.session.commit()
    bodies = [m.body for m in _messages("order_stage")]
    assert len(bodies) == 2
    assert all("/p/" in b for b in bodies)


def test_a_booked_visit_is_announced_with_its_window(order, wang):
    visit = factories.VisitFactory(
        site=order.site,
        order=order,
        technician_id=wang.id,
        planned_start=factories.tomorrow_at(10),
    )
    change_status(
        db.session,
        db.session.get(models.Visit, visit.id),
        models.VisitStatus.SCHEDULED,
        actor_user_id=None,
    )
    db.session.commit()
    [message] = _messages("visit_scheduled")
    assert "09:00\u201312:00" in message.body
    assert message.params["when"].endswith("09:00\u201312:00")


def test_setting_off_sends_the_arrival_estimate(order, wang, session):
    now = dt.datetime.now(dt.UTC)
    visit = factories.VisitFactory(
        site=order.site,
        order=order,
        technician_id=wang.id,
        status=models.VisitStatus.DISPATCHED,
        planned_start=now + dt.timedelta(minutes=1),
        window_start=None,
        window_end=None,
    )
    change_status(
        db.session,
        db.session.get(models.Visit, visit.id),
        models.VisitStatus.EN_ROUTE,
        actor_user_id=None,
        source="sync",
    )
    db.session.commit()
    [message] = _messages("on_the_way")
    assert message.params["eta"]
    assert message.params["eta"] in message.body


def test_a_completed_visit_sends_its_rating_link_in_the_customers_language(
    order, session, settings
):
    from app.services import ratings

    notices.set_preferences(db.session, order.customer_id, Preferences("en", None, False))
    visit = factories.VisitFactory(site=order.site, order=order, kind=models.VisitKind.INSTALL)
    link, _ = ratings.issue_link(db.session, settings, db.session.get(models.Visit, visit.id))
    assert ratings.send_link(db.session, settings, link)
    db.session.commit()
    [message] = _messages("rating_link")
    assert message.subject == "How was our visit?"
    assert "/r/" in message.body


def test_complaints_are_announced_when_opened_and_moved_on(order, dispatcher):
    complaint = complaints.open_complaint(
        db.session, customer_id=order.customer_id, summary="late", source="manual"
    )
    complaints.advance(
        db.session,
        complaint,
        models.ComplaintStage.ASSIGNED,
        fields={"owner_user_id": dispatcher.id},
        actor_user_id=dispatcher.id,
    )
    db.session.commit()
    bodies = [m.body for m in _messages("complaint_update")]
    assert len(bodies) == 2
    assert str(complaint.id) in bodies[0]


def test_a_customer_who_opted_out_gets_nothing(order):
    notices.set_preferences(db.session, order.customer_id, Preferences(None, None, True))
    set_order_stage(
        db.session,
        db.session.get(models.Order, order.id),
        models.OrderStage.CONFIRMED,
        actor_user_id=None,
    )
    db.session.commit()
    assert _messages("order_stage") == []


def test_the_chosen_channel_is_used(order):
    notices.set_preferences(db.session, order.customer_id, Preferences(None, "wechat", False))
    set_order_stage(
        db.session,
        db.session.get(models.Order, order.id),
        models.OrderStage.CONFIRMED,
        actor_user_id=None,
    )
    db.session.commit()
    [message] = _messages("order_stage")
    assert (message.channel, message.recipient) == ("wechat", "13800138000")


def test_unknown_preferences_are_refused(order):
    from app.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        notices.set_preferences(db.session, order.customer_id, Preferences("fr", None, False))


def test_logged_messages_never_show_link_tokens(order, caplog):
    set_order_stage(
        db.session,
        db.session.get(models.Order, order.id),
        models.OrderStage.CONFIRMED,
        actor_user_id=None,
    )
    db.session.flush()  # not committed: nothing has been delivered yet
    message = _messages("order_stage")[0]
    token = message.body.split("/p/")[1].split()[0]
    assert token != "<redacted>"
    with caplog.at_level(logging.INFO):
        LoggingSender().send(message)
    assert "/p/<redacted>" in caplog.text
    assert token not in caplog.text


def test_a_sent_message_keeps_no_link_token_in_its_text_or_params(order):
    set_order_stage(
        db.session,
        db.session.get(models.Order, order.id),
        models.OrderStage.CONFIRMED,
        actor_user_id=None,
    )
    db.session.commit()  # delivered inline to the log
    [message] = _messages("order_stage")
    assert message.status == "sent"
    assert "/p/<redacted>" in message.body
    assert message.params["url"].endswith("/p/<redacted>")


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, str, str]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            (json.loads(body), self.headers[SIGNATURE_HEADER], sign("s3cret", body))
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *_args) -> None:
        return None


@pytest.fixture
def webhook():
    _Receiver.received = []
    _Receiver.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _pending_again() -> None:
    # Tests run jobs inline: the commit already delivered the message to the log.
    for message in _messages("order_stage"):
        message.status, message.attempts = models.MessageStatus.PENDING, 0
    db.session.commit()


def test_sms_go_through_the_signed_webhook(order, settings, webhook):
    notices.set_preferences(db.session, order.customer_id, Preferences("en", "sms", False))
    set_order_stage(
        db.session,
        db.session.get(models.Order, order.id),
        models.OrderStage.CONFIRMED,
        actor_user_id=None,
    )
    db.session.commit()
    _pending_again()
    configured = settings.replace(
        text_message_sender="webhook", message_webhook_url=webhook, message_webhook_secret="s3cret"
    )
    assert deliver(db.session, sender_for(configured)) == 1
    [(body, signature, expected)] = _Receiver.received
    assert signature == expected
    assert (body["channel"], body["to"], body["template"]) == ("sms", "13800138000", "order_stage")
    assert body["params"]["stage"] == "confirmed"


def test_a_refusing_webhook_leaves_the_message_pending(order, settings, webhook):
    notices.set_preferences(db.session, order.customer_id, Preferences(None, "sms", False))
    set_order_stage(
        db.session,
        db.session.get(models.Order, order.id),
        models.OrderStage.CONFIRMED,
        actor_user_id=None,
    )
    db.session.commit()
    _pending_again()
    _Receiver.status = 503
    configured = settings.replace(
        text_message_sender="webhook", message_webhook_url=webhook, message_webhook_secret="s3cret"
    )
    assert deliver(db.session, sender_for(configured)) == 0
    [message] = _messages("order_stage")
    assert (message.status, message.last_error) == ("pending", "webhook answered 503")


def test_a_webhook_sender_needs_its_url_and_secret(settings):
    from app.config import ConfigError

    with pytest.raises(ConfigError):
        settings.replace(text_message_sender="webhook")
    assert issubclass(GatewayError, RuntimeError)

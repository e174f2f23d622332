"""The outbox delivers after the commit, retries failures; events run in the transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import events, models
from app.events import after_commit
from app.services.completion import complete_visit
from app.services.outbox import (
    MAX_ATTEMPTS,
    Draft,
    LoggingSender,
    SmtpSender,
    deliver,
    queue_message,
    sender_for,
)
from tests.factories import CustomerFactory


def _draft(key: str = "k1") -> Draft:
    return Draft(key, "test", "email", "someone@example.com", "Hello", "Body")


class FailingSender:
    def send(self, message: models.OutboxMessage) -> None:
        raise ConnectionError("gateway down")


def test_a_queued_message_is_sent_once_the_transaction_commits(session, settings):
    queue_message(session, settings, _draft())
    assert session.scalar(select(models.OutboxMessage.status)) == "pending"
    session.commit()
    session.expire_all()
    assert session.scalar(select(models.OutboxMessage.status)) == "sent"


def test_a_rolled_back_message_is_never_sent(session, settings, caplog):
    queue_message(session, settings, _draft())
    session.rollback()
    assert session.scalar(select(models.OutboxMessage)) is None
    session.commit()
    assert "message" not in caplog.text


def test_the_same_message_is_queued_once(session, settings):
    queue_message(session, settings, _draft())
    queue_message(session, settings, _draft())
    assert len(session.scalars(select(models.OutboxMessage)).all()) == 1


def test_a_failed_message_stays_pending_and_is_given_up_after_several_attempts(session, settings):
    session.add(models.OutboxMessage(**_draft().__dict__, status="pending", attempts=0))
    session.flush()
    deliver(session, FailingSender())
    message = session.scalar(select(models.OutboxMessage))
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, "gateway down")
    for _ in range(MAX_ATTEMPTS - 1):
        deliver(session, FailingSender())
    assert message.status == "failed"


def test_the_sender_of_each_channel_is_chosen_by_the_settings(settings):
    default = sender_for(settings)
    assert all(isinstance(default.senders[c], LoggingSender) for c in ("email", "sms", "wechat"))
    smtp = sender_for(settings.replace(message_sender="smtp"))
    assert isinstance(smtp.senders["email"], SmtpSender)
    assert isinstance(smtp.senders["sms"], LoggingSender)


def test_after_commit_work_is_dropped_on_rollback(session):
    ran: list[str] = []
    session.add(models.Customer(name="Gone", tags=[]))
    session.flush()
    after_commit(session, lambda: ran.append("rolled back"))
    session.rollback()
    after_commit(session, lambda: ran.append("committed"))
    CustomerFactory()
    assert ran == ["committed"]


def test_after_commit_work_with_one_key_runs_once(session):
    ran: list[int] = []
    for n in range(3):
        after_commit(session, lambda n=n: ran.append(n), key="same")
    session.commit()
    assert len(ran) == 1


def test_a_failing_rule_rolls_back_the_change_that_triggered_it(
    templates, on_site_visit, fulfil, session, monkeypatch
):
    def broken(_session, _event):
        raise RuntimeError("rule broke")

    events.load_rules()
    monkeypatch.setitem(events._handlers, events.VisitCompleted, [broken])
    visit = on_site_visit(models.VisitKind.INSTALL)
    fulfil(visit)
    with pytest.raises(RuntimeError):
        complete_visit(session, visit, actor_user_id=None)
    session.rollback()
    assert session.get(models.Visit, visit.id).status == models.VisitStatus.ON_SITE

"""The outbox: messages written with the change that caused them, sent later by a job.

A message is sent at least once; the dedupe key keeps one request (or a retried sync push)
from writing the same message twice. A message keeps its link tokens only until it is sent (or
given up): then they are redacted from the stored copy.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.events import after_commit
from app.models import MessageStatus, OutboxMessage
from app.redaction import redact_tokens
from app.services.message_gateways import TemplateGateway, TemplateMessage, WebhookGateway

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Draft:
    """A message to queue."""

    dedupe_key: str
    topic: str
    channel: str
    recipient: str
    subject: str
    body: str
    customer_id: int | None = None
    params: dict[str, str] | None = None


class Sender(Protocol):
    """Delivers one message or raises."""

    def send(self, message: OutboxMessage) -> None:
        """Deliver the message or raise."""
        ...


class LoggingSender:
    """Writes messages to the log: the default where no gateway is configured."""

    def send(self, message: OutboxMessage) -> None:
        """Log the message, its link tokens redacted (a log is no place for credentials)."""
        log.info(
            "message %s via %s to %s: %s\n%s",
            message.id,
            message.channel,
            message.recipient,
            redact_tokens(message.subject),
            redact_tokens(message.body),
        )


class SmtpSender:
    """Sends e-mail through the configured SMTP server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: OutboxMessage) -> None:
        """Send an e-mail message; other channels have no gateway here."""
        if message.channel != "email":
            raise RuntimeError(f"no gateway for {message.channel} messages")
        mail = EmailMessage()
        mail["From"] = self.settings.smtp_from
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(mail)


class TemplateSender:
    """Sends SMS and WeChat messages through a template gateway (see `message_gateways`)."""

    def __init__(self, gateway: TemplateGateway) -> None:
        self.gateway = gateway

    def send(self, message: OutboxMessage) -> None:
        """Deliver the message through the gateway or raise."""
        self.gateway.deliver(
            TemplateMessage(
                message_id=message.id,
                channel=message.channel,
                recipient=message.recipient,
                template=message.topic,
                params=message.params or {},
                subject=message.subject,
                text=message.body,
            )
        )


class ChannelRouter:
    """Sends each message through the sender of its channel; unknown channels are logged."""

    def __init__(self, senders: dict[str, Sender], fallback: Sender) -> None:
        self.senders = senders
        self.fallback = fallback

    def send(self, message: OutboxMessage) -> None:
        """Deliver through the channel's sender (the fallback for channels without one)."""
        self.senders.get(message.channel, self.fallback).send(message)


def sender_for(settings: Settings) -> ChannelRouter:
    """The senders the settings ask for: e-mail by log or SMTP, SMS and WeChat by log or webhook."""
    logged = LoggingSender()
    email: Sender = SmtpSender(settings) if settings.message_sender == "smtp" else logged
    text: Sender = logged
    if settings.text_message_sender == "webhook":
        text = TemplateSender(
            WebhookGateway(
                settings.message_webhook_url or "",
                settings.message_webhook_secret or "",
                settings.message_webhook_timeout_s,
            )
        )
    return ChannelRouter({"email": email, "sms": text, "wechat": text}, logged)


def queue_message(session: Session, settings: Settings, draft: Draft) -> OutboxMessage:
    """Write a message to the outbox (once per dedupe key); it is sent after the commit."""
    existing = session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == draft.dedupe_key)
    )
    if existing is not None:
        return existing
    message = OutboxMessage(
        dedupe_key=draft.dedupe_key,
        topic=draft.topic,
        channel=draft.channel,
        recipient=draft.recipient,
        subject=draft.subject,
        body=draft.body,
        params=draft.params,
        customer_id=draft.customer_id,
        status=MessageStatus.PENDING,
        attempts=0,
    )
    session.add(message)
    session.flush()
    _kick_delivery(session, settings)
    return message


def _kick_delivery(session: Session, settings: Settings) -> None:
    from app.jobs import enqueue
    from app.jobs.messages import deliver_pending

    after_commit(session, lambda: enqueue(settings, deliver_pending), key="outbox")


def _forget_links(message: OutboxMessage) -> None:
    # Delivery no longer needs the link: a copy of the outbox must not open anyone's page.
    message.subject = redact_tokens(message.subject)
    message.body = redact_tokens(message.body)
    if message.params:
        message.params = {name: redact_tokens(value) for name, value in message.params.items()}


def deliver(session: Session, sender: Sender, *, limit: int = 100) -> int:
    """Send pending messages (oldest first); returns how many were sent."""
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.PENDING)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    for message in messages:
        message.attempts += 1
        try:
            sender.send(message)
        except Exception as exc:
            log.warning("message %s failed (attempt %d): %s", message.id, message.attempts, exc)
            message.last_error = redact_tokens(str(exc)[:2000])
            if message.attempts >= MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
                _forget_links(message)
            continue
        message.status = MessageStatus.SENT
        message.sent_at = utcnow()
        message.last_error = None
        _forget_links(message)
        sent += 1
    session.flush()
    return sent

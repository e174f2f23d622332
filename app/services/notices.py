"""Messages to customers, one per step of their order, in their language and on their channel.

Every customer message goes through `notify`: it honours the customer's opt-out, writes in
their language (the service default until they choose one), picks their channel (their choice,
else e-mail when we have an address, else SMS) and queues the message in the outbox once per
dedupe key. The texts are marked for translation; the values a template channel (SMS, WeChat)
needs travel as `params` beside the rendered text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.config import LOCALES, Settings
from app.errors import ValidationFailed
from app.i18n.catalog import render
from app.i18n.text import Text
from app.models import Customer, CustomerPreference, OutboxMessage
from app.services.outbox import Draft, queue_message

CHANNELS = ("email", "sms", "wechat")


@dataclass(frozen=True)
class Preferences:
    """How one customer wants to hear from us."""

    language: str | None
    channel: str | None
    opted_out: bool


@dataclass(frozen=True)
class Notice:
    """One message to a customer: what happened (topic), once per dedupe key."""

    topic: str
    dedupe_key: str
    subject: Text
    body: Text
    params: Mapping[str, str]


def preferences(session: Session, customer_id: int) -> Preferences:
    """The customer's preferences (defaults when they never chose)."""
    row = session.get(CustomerPreference, customer_id)
    if row is None:
        return Preferences(None, None, False)
    return Preferences(row.language, row.channel, row.opted_out)


def set_preferences(session: Session, customer_id: int, wanted: Preferences) -> Preferences:
    """Store the customer's language, channel and opt-out; unknown values are refused."""
    errors: dict[str, list[str]] = {}
    if wanted.language is not None and wanted.language not in LOCALES:
        errors["language"] = [f"one of {', '.join(LOCALES)}"]
    if wanted.channel is not None and wanted.channel not in CHANNELS:
        errors["channel"] = [f"one of {', '.join(CHANNELS)}"]
    if errors:
        raise ValidationFailed("unknown message preferences", fields=errors)
    row = session.get(CustomerPreference, customer_id)
    if row is None:
        row = CustomerPreference(customer_id=customer_id)
        session.add(row)
    row.language, row.channel, row.opted_out = wanted.language, wanted.channel, wanted.opted_out
    session.flush()
    return wanted


def language_of(session: Session, settings: Settings, customer_id: int) -> str:
    """The language messages to the customer are written in."""
    return preferences(session, customer_id).language or settings.default_locale


def _address(customer: Customer, channel: str | None) -> tuple[str, str] | None:
    # WeChat template messages reach the customer through their phone number's account.
    by_channel = {"email": customer.email, "sms": customer.phone, "wechat": customer.phone}
    if channel and by_channel.get(channel):
        return channel, by_channel[channel] or ""
    if customer.email:
        return "email", customer.email
    if customer.phone:
        return "sms", customer.phone
    return None


def notify(
    session: Session, settings: Settings, customer_id: int, notice: Notice
) -> OutboxMessage | None:
    """Queue `notice` for the customer; None when they opted out or cannot be reached."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    chosen = preferences(session, customer_id)
    if chosen.opted_out:
        return None
    address = _address(customer, chosen.channel)
    if address is None:
        return None
    channel, recipient = address
    locale = chosen.language or settings.default_locale
    return queue_message(
        session,
        settings,
        Draft(
            dedupe_key=notice.dedupe_key,
            topic=notice.topic,
            channel=channel,
            recipient=recipient,
            subject=render(notice.subject, locale)[:200],
            body=render(notice.body, locale),
            customer_id=customer.id,
            params={name: str(value) for name, value in notice.params.items()},
        ),
    )

"""Gateways for text channels (SMS, WeChat template messages) behind one small interface.

A provider's SMS or WeChat-template API is reached through a `TemplateGateway`; the one built
in posts each message as signed JSON to a webhook the operator runs (their SMS provider's
bridge, a WeChat official-account service), so no provider's SDK lives in this code base.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

SIGNATURE_HEADER = "X-Fieldservice-Signature"


@dataclass(frozen=True)
class TemplateMessage:
    """A message for a template channel: the template (our topic), its values and the text."""

    message_id: int
    channel: str
    recipient: str
    template: str
    params: Mapping[str, str]
    subject: str
    text: str


class TemplateGateway(Protocol):
    """Delivers one template message or raises (the outbox retries)."""

    def deliver(self, message: TemplateMessage) -> None:
        """Hand the message to the provider or raise."""
        ...


class GatewayError(RuntimeError):
    """The provider refused the message or could not be reached."""


def sign(secret: str, body: bytes) -> str:
    """The signature header value of a webhook body: `sha256=<hex HMAC>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookGateway:
    """Posts each message as JSON to a URL, signed with a shared secret; 2xx means accepted."""

    def __init__(self, url: str, secret: str, timeout_s: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.timeout_s = timeout_s

    def deliver(self, message: TemplateMessage) -> None:
        """POST the message; any answer but 2xx (or no answer) raises GatewayError."""
        body = json.dumps(
            {
                "id": message.message_id,
                "channel": message.channel,
                "to": message.recipient,
                "template": message.template,
                "params": dict(message.params),
                "subject": message.subject,
                "text": message.text,
            },
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                SIGNATURE_HEADER: sign(self.secret, body),
                # The receiver de-duplicates on this: the outbox sends at least once.
                "Idempotency-Key": f"outbox-{message.message_id}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"webhook answered {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GatewayError(f"webhook unreachable: {exc}") from None
        if not 200 <= status < 300:
            raise GatewayError(f"webhook answered {status}")

"""What every customer page shares: the page frame and headers, and request throttling.

Customer pages are server-rendered HTML, work without JavaScript, and speak the customer's
language (`?lang=`, then the cookie that choice leaves, then the browser's).
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request

from app.api.settings import settings
from app.extensions import limiter
from app.i18n.text import N_
from app.i18n.web import current_locale
from app.services import rate_limit

# The friendly pages for links that lead nowhere: (heading, explanation).
NOTICES = {
    "expired": (
        N_("This link has expired"),
        N_("Please use the link in our latest message, or contact our customer service."),
    ),
    "invalid": (
        N_("This link is not valid"),
        N_("Please check that you opened the full link from our message."),
    ),
    "limited": (N_("Too many requests"), N_("Please wait a while and try again.")),
}


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a customer page with its language switch and strict headers."""
    lang = current_locale()
    other = "en" if lang == "zh_CN" else "zh-CN"
    html = render_template(
        template, lang=lang, other_lang=other, switch_url=f"{request.path}?lang={other}", **context
    )
    response = make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'"
    )
    return response


def client_address() -> str:
    return request.remote_addr or "unknown"


def throttled(limits: str, scope: str, key: str) -> Response | None:
    """A 429 notice page when `key` is over `limits` in `scope`, else None (the hit counts)."""
    verdict = rate_limit.hit(limiter.limiter, limits, scope, key)
    if verdict.allowed:
        return None
    response = page("customer/notice.html", 429, notice=NOTICES["limited"])
    response.headers["Retry-After"] = str(verdict.retry_after_s)
    return response


def page_views_throttled() -> Response | None:
    """Throttle page views per client address (the rating pages' per-minute limit)."""
    per_minute = settings().rating_rate_limit_per_min
    return throttled(f"{per_minute} per minute", "customer-pages", client_address())


def requests_throttled(phone_digits: str | None = None) -> Response | None:
    """Throttle self-service requests per client address and, when known, per phone number."""
    current = settings()
    limited = throttled(
        current.customer_request_limit_per_client, "request-client", client_address()
    )
    if limited is not None or not phone_digits:
        return limited
    return throttled(current.customer_request_limit_per_phone, "request-phone", phone_digits)

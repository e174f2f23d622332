"""What every customer page shares: the page frame and headers, link refusals, and throttling.

Customer pages are server-rendered HTML, work without JavaScript, and speak the customer's
language (`?lang=`, then the cookie that choice leaves, then the browser's).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response, make_response, render_template, request

from app.api.settings import settings
from app.config import Settings
from app.extensions import limiter
from app.i18n.text import N_
from app.i18n.web import current_locale
from app.services import rate_limit
from app.services.link_tokens import LinkState, refusal_status

# A friendly page's (heading, explanation).
Notice = tuple[str, str]

# The friendly pages for links that lead nowhere, and for too many requests.
NOTICES: dict[str, Notice] = {
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


def page(
    template: str,
    status: int = 200,
    *,
    keep_args: tuple[str, ...] = (),
    img_src: str = "'self'",
    **context: Any,
) -> Response:
    """Render a customer page with its language switch and strict headers.

    The switch keeps the query arguments named in `keep_args` (a search); `img_src` widens
    where images may come from (articles show pictures from elsewhere).
    """
    lang = current_locale()
    other = "en" if lang == "zh_CN" else "zh-CN"
    kept = {name: request.args[name] for name in keep_args if request.args.get(name)}
    switch_url = f"{request.path}?{urlencode({'lang': other, **kept})}"
    html = render_template(template, lang=lang, other_lang=other, switch_url=switch_url, **context)
    response = make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; img-src {img_src}; style-src 'unsafe-inline'; form-action 'self'"
    )
    return response


def refused_link(
    state: LinkState,
    notices: Mapping[str, Notice] = NOTICES,
    base: str = "customer/base.html",
) -> Response:
    """The friendly page (in the frame `base`) for a link that does not open: 410 when expired,
    else 404."""
    return page("customer/notice.html", refusal_status(state), notice=notices[state], base=base)


def form_body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of an HTML form post with these fields."""
    schema = {"type": "object", "required": required, "properties": properties}
    return {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": schema}},
    }


def client_address() -> str:
    return request.remote_addr or "unknown"


def limited_notice() -> Response:
    """The 429 page of the customer pages."""
    return page("customer/notice.html", 429, notice=NOTICES["limited"])


def throttled(
    limits: str, scope: str, key: str, refusal: Callable[[], Response] = limited_notice
) -> Response | None:
    """The 429 page (`refusal`) when `key` is over `limits` in `scope`, else None.

    The request counts either way."""
    verdict = rate_limit.hit(limiter.limiter, limits, scope, key)
    if verdict.allowed:
        return None
    response = refusal()
    response.headers["Retry-After"] = str(verdict.retry_after_s)
    return response


@dataclass(frozen=True)
class Throttle:
    """A per-client-address limit on a group of pages: its counter's name and its limits."""

    scope: str
    limits: Callable[[Settings], str]
    refusal: Callable[[], Response] = limited_notice


PAGE_VIEWS = Throttle("customer-pages", lambda s: f"{s.rating_rate_limit_per_min} per minute")
REQUESTS = Throttle("request-client", lambda s: s.customer_request_limit_per_client)

View = TypeVar("View", bound=Callable[..., Any])


def throttle(rule: Throttle) -> Callable[[View], View]:
    """Decorator: count each request against `rule` per client address; answer 429 when over."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def throttled_view(*args: Any, **kwargs: Any) -> Any:
            limited = throttled(rule.limits(settings()), rule.scope, client_address(), rule.refusal)
            return limited if limited is not None else view(*args, **kwargs)

        return throttled_view  # type: ignore[return-value]

    return decorate


def requests_throttled(phone_digits: str | None = None) -> Response | None:
    """Throttle self-service requests per client address and, when known, per phone number."""
    current = settings()
    limited = throttled(REQUESTS.limits(current), REQUESTS.scope, client_address())
    if limited is not None or not phone_digits:
        return limited
    return throttled(current.customer_request_limit_per_phone, "request-phone", phone_digits)

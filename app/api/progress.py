"""The customer's progress page `/p/<token>`: mobile-first HTML, Chinese or English, no JavaScript.

The token (see `app.services.progress_links`) is the only credential and opens one order:
its steps, next visit (on the day with the arrival estimate), past visits with photos and
rating links, a request to move or cancel the coming visit, message preferences and a
repair request. Forged, unknown and expired links get a friendly page; requests are throttled
per client address.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, redirect, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import repair_pages
from app.api.customer_pages import PAGE_VIEWS, REQUESTS, form_body, page, refused_link, throttle
from app.api.photos import thumbnail_response
from app.api.security import public
from app.api.settings import settings
from app.database import db, utcnow
from app.errors import AppError, NotFound, ValidationFailed
from app.i18n.names import technician_address
from app.i18n.text import N_
from app.i18n.web import current_locale
from app.models import ChangeKind, Order, Photo
from app.services import notices, order_progress, progress_links, visit_changes
from app.services import photos as photo_service
from app.services.notices import Preferences
from app.services.progress_links import LinkState, LinkView

blp = Blueprint("progress_pages", __name__, url_prefix="/p", description="Order progress pages")

CHANGE_ERRORS = {
    "window": N_("Please pick one of the offered times."),
    "visit": N_("This visit can no longer be changed here. Please call us."),
    "reason": N_("Please keep the reason under 500 characters."),
}
DONE_NOTES = {
    "change": N_("Thank you. We received your request and will confirm it soon."),
    "preferences": N_("Your message preferences are saved."),
}


def _resolve(token: str) -> LinkView:
    view = progress_links.resolve(db.session, settings(), token)
    db.session.commit()
    return view


def _with_order(view: Callable[..., Response]) -> Callable[..., Response]:
    """Decorator: open the token into its order (passed on), or answer the link's notice page."""

    @functools.wraps(view)
    def opened(self: MethodView, token: str, **kwargs: Any) -> Response:
        link = _resolve(token)
        if link.state != LinkState.OPEN or link.order is None:
            return refused_link(link.state)
        return view(self, token, link.order, **kwargs)

    return opened


def _progress_page(
    token: str, order: Order, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    current = settings()
    progress = order_progress.build(db.session, current, order, utcnow())
    nxt = progress.next_visit
    chosen = notices.preferences(db.session, order.customer_id)
    return page(
        "customer/progress.html",
        status,
        token=token,
        progress=progress,
        technician=technician_address(nxt.technician_name, current_locale())
        if nxt and nxt.technician_name
        else None,
        preferences=chosen,
        errors=errors or {},
        done=DONE_NOTES.get(request.args.get("done", "")),
    )


def _back(token: str, done: str) -> Response:
    return redirect(f"/p/{token}?done={done}&lang={current_locale().replace('_', '-')}", 303)


@blp.route("/<token>")
class ProgressPage(MethodView):
    @public
    @blp.response(200, description="The order's progress (HTML)")
    @throttle(PAGE_VIEWS)
    @_with_order
    def get(self, token: str, order: Order) -> Response:
        """The progress page of an order (HTML; friendly pages for expired or invalid links)"""
        return _progress_page(token, order)


@blp.route("/<token>/changes")
class ChangeRequests(MethodView):
    @public
    @blp.doc(
        requestBody=form_body(
            ["visit", "kind"],
            {
                "visit": {"type": "integer"},
                "kind": {"type": "string", "enum": ["reschedule", "cancel"]},
                "window": {"type": "string", "description": "an offered window"},
                "reason": {"type": "string", "maxLength": 500},
            },
        )
    )
    @blp.response(303, description="Back to the progress page")
    @throttle(REQUESTS)
    @_with_order
    def post(self, token: str, order: Order) -> Response:
        """Ask to move the coming visit to an offered window, or to cancel it"""
        try:
            kind = ChangeKind(request.form.get("kind", ""))
            visit_changes.request_change(
                db.session,
                settings(),
                order,
                request.form.get("visit", type=int) or 0,
                kind,
                window_key=request.form.get("window"),
                reason=request.form.get("reason"),
            )
        except (ValueError, AppError) as refused:
            db.session.rollback()
            fields = refused.fields if isinstance(refused, ValidationFailed) else {"visit": []}
            errors = {name: CHANGE_ERRORS.get(name, CHANGE_ERRORS["visit"]) for name in fields}
            return _progress_page(token, order, 422, errors or {"visit": CHANGE_ERRORS["visit"]})
        db.session.commit()
        return _back(token, "change")


@blp.route("/<token>/preferences")
class MessagePreferences(MethodView):
    @public
    @blp.response(303, description="Back to the progress page")
    @throttle(REQUESTS)
    @_with_order
    def post(self, token: str, order: Order) -> Response:
        """Choose the language and channel of our messages, or stop them"""
        form: dict[str, Any] = request.form
        try:
            notices.set_preferences(
                db.session,
                order.customer_id,
                Preferences(
                    language=form.get("language") or None,
                    channel=form.get("channel") or None,
                    opted_out=form.get("messages") == "off",
                ),
            )
        except ValidationFailed:
            db.session.rollback()
            return _progress_page(token, order, 422, {"preferences": CHANGE_ERRORS["visit"]})
        db.session.commit()
        return _back(token, "preferences")


@blp.route("/<token>/photos/<photo_id>")
class ProgressPhoto(MethodView):
    @public
    @blp.response(200, description="A thumbnail of a completion photo of the order")
    @throttle(PAGE_VIEWS)
    def get(self, token: str, photo_id: str) -> Response:
        """A thumbnail of a completion photo of one of the order's finished visits"""
        link = _resolve(token)
        order = link.order if link.state == LinkState.OPEN else None
        if order is None or not order_progress.completion_photo_visible(
            db.session, order, photo_id
        ):
            raise NotFound("no such photo")
        photo = db.session.get(Photo, photo_id)
        blob = photo_service.photo_view(db.session, photo).blob  # type: ignore[arg-type]
        if blob is None:
            raise NotFound("no such photo")
        return thumbnail_response(blob)


@blp.route("/<token>/request")
class ProgressRepairRequest(MethodView):
    @public
    @blp.response(200, description="The repair request form for this order (HTML)")
    @throttle(PAGE_VIEWS)
    @_with_order
    def get(self, token: str, order: Order) -> Response:
        """Ask for a repair on this order (no phone or order number needed)"""
        return repair_pages.start(repair_pages.Flow(f"/p/{token}/request", order, "progress"))

    @public
    @blp.doc(requestBody=repair_pages.FORM_BODY)
    @blp.response(200, description="The next step, or the confirmation (HTML)")
    @_with_order
    def post(self, token: str, order: Order) -> Response:
        """Post one step of the repair request for this order"""
        return repair_pages.handle(repair_pages.Flow(f"/p/{token}/request", order, "progress"))

"""The self-service repair request: `/request` (public link or QR code) and `/p/<token>/request`.

The request is a flow of steps, each a form posted to the same URL with its step's name:

    describe  who you are (phone + order number; skipped from a progress link) and the fault
    suggest   published help articles that match the description: "does this solve it?" — a yes
              ends the flow without a visit, a no goes on (skipped when nothing matches); the
              answer is recorded as the articles' votes
    details   the product, up to 6 photos, the windows that suit you → submit

What earlier steps established travels to the next in a signed, short-lived draft, so no step
trusts a hidden field the customer could edit. A step is added by naming it in `FLOW` and
giving it a handler in `HANDLERS` (e.g. articles that may solve the fault, between describe
and details). Wrong phone numbers and wrong order numbers get one and the same answer.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage

from app.api.customer_pages import page, requests_throttled
from app.api.security import public
from app.api.settings import settings
from app.database import db, utcnow
from app.errors import ValidationFailed
from app.i18n.text import N_
from app.models import Article, Order
from app.services import article_feedback, repair_requests
from app.services.article_search import suggest_for_problem
from app.services.repair_requests import NotRecognised, RepairDraft
from app.services.visit_windows import offered_windows

blp = Blueprint(
    "request_pages", __name__, url_prefix="/request", description="Customer repair requests"
)

FLOW = ("describe", "suggest", "details")
DRAFT_MAX_AGE_S = 2 * 3600
NOT_RECOGNISED = N_(
    "We could not find an order with this phone number and order number. Please check both."
)
FIELD_ERRORS = {
    "description": N_("Please describe the problem (at most 2000 characters)."),
    "windows": N_("Please pick one to three of the offered times."),
    "photos": N_("Please send at most 6 photos, each a JPEG, PNG or WebP picture under 15 MB."),
    "product": N_("Please pick one of your products."),
    "draft": N_("This form has expired. Please start again."),
}

# The steps' form fields. Photos travel with the details step as multipart/form-data.
FORM_BODY = {
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "step": {"type": "string", "enum": list(FLOW)},
                    "phone": {"type": "string", "maxLength": 40},
                    "order_number": {"type": "string", "maxLength": 40},
                    "description": {
                        "type": "string",
                        "minLength": repair_requests.MIN_DESCRIPTION,
                        "maxLength": repair_requests.MAX_DESCRIPTION,
                    },
                    "draft": {"type": "string", "description": "The sealed earlier steps"},
                    "solved": {"type": "string", "description": "An offered article's id, or none"},
                    "product": {"type": "integer"},
                    "window": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                },
            }
        }
    }
}


@dataclass(frozen=True)
class Flow:
    """Where this request flow posts to, and the order already known (from a progress link)."""

    action: str
    order: Order | None
    channel: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="repair-request-draft")


def _seal(draft: dict[str, Any]) -> str:
    return _serializer().dumps(draft)


def _unseal(raw: str | None) -> dict[str, Any] | None:
    try:
        return _serializer().loads(raw or "", max_age=DRAFT_MAX_AGE_S)
    except BadSignature:
        return None


def next_step(step: str) -> str:
    """The step after `step` in the flow."""
    return FLOW[FLOW.index(step) + 1]


def start(flow: Flow) -> Response:
    """The first step's empty form."""
    return _describe_form(flow, {}, {})


def handle(flow: Flow) -> Response:
    """Handle the posted step of the flow."""
    step = request.form.get("step", FLOW[0])
    handler = HANDLERS.get(step)
    if handler is None:
        return _draft_expired(flow)
    return handler(flow)


def _describe_form(
    flow: Flow, form: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return page(
        "customer/request_describe.html",
        status,
        flow=flow,
        form=form,
        errors=errors,
        step="describe",
    )


def _describe(flow: Flow) -> Response:
    form = {
        "phone": (request.form.get("phone") or "").strip()[:40],
        "order_number": (request.form.get("order_number") or "").strip()[:40],
        "description": (request.form.get("description") or "").strip(),
    }
    digits = repair_requests.phone_digits(form["phone"]) if flow.order is None else None
    limited = requests_throttled(digits)
    if limited is not None:
        return limited
    order = flow.order
    if order is None:
        try:
            order = repair_requests.identify(db.session, form["phone"], form["order_number"])
        except NotRecognised:
            return _describe_form(flow, form, {"identity": NOT_RECOGNISED}, status=422)
    if (
        not repair_requests.MIN_DESCRIPTION
        <= len(form["description"])
        <= repair_requests.MAX_DESCRIPTION
    ):
        return _describe_form(flow, form, {"description": FIELD_ERRORS["description"]}, 422)
    draft = {"order": order.id, "description": form["description"]}
    lines = [p.product_line for p in repair_requests.products(db.session, order)]
    suggestions = suggest_for_problem(db.session, form["description"], product_lines=lines)
    if not suggestions:
        return _details_form(flow, draft, {}, {})
    draft["offered"] = [a.id for a in suggestions]
    article_feedback.offered(db.session, draft["offered"])
    db.session.commit()
    return _suggest_form(flow, draft, suggestions)


def _suggest_form(
    flow: Flow, draft: dict[str, Any], suggestions: list[Article], status: int = 200
) -> Response:
    return page(
        "customer/request_suggest.html",
        status,
        flow=flow,
        step="suggest",
        sealed=_seal(draft),
        articles=suggestions,
    )


def _draft_expired(flow: Flow) -> Response:
    return _describe_form(flow, {}, {"draft": FIELD_ERRORS["draft"]}, status=422)


def _posted_draft(flow: Flow, *needs: str) -> tuple[dict[str, Any], Order] | Response:
    """The draft the step carries (with the fields `needs`) and its order; else the page to
    answer with.

    A draft that expired, was altered or is of another order starts the flow again.
    """
    draft = _unseal(request.form.get("draft"))
    if draft is None or not all(draft.get(name) for name in needs):
        return _draft_expired(flow)
    limited = requests_throttled()
    if limited is not None:
        return limited
    order = db.session.get(Order, draft["order"])
    if order is None or (flow.order is not None and flow.order.id != order.id):
        return _draft_expired(flow)
    return draft, order


def _suggest(flow: Flow) -> Response:
    posted = _posted_draft(flow, "offered")
    if isinstance(posted, Response):
        return posted
    draft, _ = posted
    offered: list[int] = draft.pop("offered")
    answer = request.form.get("solved", "")
    solved_by = int(answer) if answer.isdigit() and int(answer) in offered else None
    if solved_by is None and answer != "none":
        shown = [a for a in (db.session.get(Article, i) for i in offered) if a is not None]
        return _suggest_form(flow, {**draft, "offered": offered}, shown, 422)
    article_feedback.answer_offer(db.session, offered, solved_by)
    db.session.commit()
    if solved_by is not None:
        return page("customer/request_solved.html", 200, flow=flow)
    return _details_form(flow, draft, {}, {})


def _details_form(
    flow: Flow,
    draft: dict[str, Any],
    chosen: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    order = db.session.get(Order, draft["order"])
    assert order is not None
    return page(
        "customer/request_details.html",
        status,
        flow=flow,
        step="details",
        sealed=_seal(draft),
        description=draft["description"],
        products=repair_requests.products(db.session, order),
        windows=offered_windows(settings(), utcnow()),
        chosen=chosen,
        errors=errors,
        max_photos=repair_requests.MAX_PHOTOS,
    )


def _details(flow: Flow) -> Response:
    posted = _posted_draft(flow)
    if isinstance(posted, Response):
        return posted
    draft, order = posted
    chosen = {
        "product": request.form.get("product", type=int),
        "windows": request.form.getlist("window"),
    }
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(uploads) > repair_requests.MAX_PHOTOS:
        return _details_form(flow, draft, chosen, {"photos": FIELD_ERRORS["photos"]}, 422)
    with tempfile.TemporaryDirectory(dir=_scratch_dir()) as scratch:
        try:
            paths = [_save(upload, Path(scratch), i) for i, upload in enumerate(uploads)]
            made = repair_requests.submit(
                db.session,
                settings(),
                order,
                RepairDraft(
                    order_id=chosen["product"] or 0,
                    description=draft["description"],
                    window_keys=tuple(chosen["windows"]),
                    photos=tuple(paths),
                    channel=flow.channel,
                ),
            )
        except ValidationFailed as invalid:
            db.session.rollback()
            errors = {
                name: FIELD_ERRORS.get(name, FIELD_ERRORS["photos"]) for name in invalid.fields
            }
            return _details_form(
                flow, draft, chosen, errors or {"photos": FIELD_ERRORS["photos"]}, 422
            )
        db.session.commit()
    return page("customer/request_done.html", 201, number=made.visit_id, flow=flow)


def _scratch_dir() -> str:
    folder = Path(settings().upload_folder) / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


def _save(upload: FileStorage, folder: Path, index: int) -> Path:
    """Copy an uploaded file to disk, refusing it once it passes the photo size limit."""
    limit = settings().photo_max_bytes
    path = folder / f"photo-{index}"
    written = 0
    with path.open("wb") as out:
        while chunk := upload.stream.read(256 * 1024):
            written += len(chunk)
            if written > limit:
                raise ValidationFailed("a photo is too large", fields={"photos": ["too large"]})
            out.write(chunk)
    return path


HANDLERS: dict[str, Callable[[Flow], Response]] = {
    "describe": _describe,
    "suggest": _suggest,
    "details": _details,
}


@blp.route("", strict_slashes=False)
class RepairRequestPage(MethodView):
    @public
    @blp.response(200, description="The repair request form (HTML)")
    def get(self) -> Response:
        """Ask for a repair: identify with phone number and order number (HTML form)"""
        return start(Flow("/request", None, "public"))

    @public
    @blp.doc(requestBody=FORM_BODY)
    @blp.response(200, description="The next step, or the confirmation (HTML)")
    def post(self) -> Response:
        """Post one step of the repair request (an HTML form post; photos as multipart)"""
        return handle(Flow("/request", None, "public"))

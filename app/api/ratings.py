"""The public rating pages: `GET/POST /r/<token>`, mobile-first, Chinese or English, no JavaScript.

The token is the only credential. Expired, forged and unknown links get a friendly page; a
link already used shows the verdict given, which the customer may change until it expires.
Requests are rate-limited per client address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView
from flask_babel import format_date
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.api.customer_pages import Notice, Throttle, form_body, page, refused_link, throttle
from app.api.fields import Strict, aware_datetime
from app.api.photos import thumbnail_response
from app.api.security import STAFF, public, requires
from app.api.settings import local_zone, settings
from app.database import db
from app.errors import NotFound, ValidationFailed
from app.i18n.names import technician_address
from app.i18n.text import N_
from app.i18n.web import current_locale
from app.models import Photo, PhotoBlob, PhotoKind, Rating, RatingLink, Technician, Visit
from app.services import link_tokens
from app.services import photos as photo_service
from app.services import ratings as rating_service
from app.services.ratings import LinkState, LinkUnusable, LinkView, Verdict

blp = Blueprint("rating_pages", __name__, url_prefix="/r", description="Customer rating pages")

# Form field errors, worded on the page in the customer's language.
ERRORS = {
    "csat": N_("Please choose 1 to 5 stars."),
    "nps": N_("Please choose a number from 0 to 10."),
    "comment": N_("Please keep the comment under 2000 characters."),
}
# The friendly pages for links that lead nowhere: (heading, explanation).
NOTICES: dict[str, Notice] = {
    "expired": (
        N_("This link has expired"),
        N_(
            "Rating links are valid for a limited time. If you would like to tell us "
            "something, please contact our customer service."
        ),
    ),
    "invalid": (
        N_("This link is not valid"),
        N_("Please check that you opened the full link from our message."),
    ),
    "limited": (N_("Too many requests"), N_("Please wait a minute and try again.")),
}


@dataclass(frozen=True)
class PhotoCard:
    url: str
    caption: str | None


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return page(f"rating/{template}.html", status, **context)


def _notice_for(view: LinkView) -> Response:
    return refused_link(link_tokens.LinkState(view.state), NOTICES, "rating/base.html")


RATING_PAGES = Throttle(
    "rating",
    lambda s: f"{s.rating_rate_limit_per_min} per minute",
    lambda: page("customer/notice.html", 429, notice=NOTICES["limited"], base="rating/base.html"),
)


def _visit_context(view: LinkView, token: str) -> dict[str, Any]:
    visit: Visit = view.visit  # type: ignore[assignment]
    technician = db.session.get(Technician, visit.technician_id) if visit.technician_id else None
    done_at = visit.status_changed_at.astimezone(local_zone())
    after = db.session.scalars(
        select(Photo)
        .join(PhotoBlob, PhotoBlob.sha256 == Photo.sha256)
        .where(Photo.visit_id == visit.id, Photo.kind == PhotoKind.AFTER)
        .order_by(Photo.created_at)
        .limit(6)
    ).all()
    after = [p for p in after if photo_service.photo_view(db.session, p).blob is not None]
    return {
        "token": token,
        "kind": str(visit.kind),
        "date": format_date(done_at.date(), "long"),
        "technician": technician_address(technician.name, current_locale()) if technician else None,
        "photos": [PhotoCard(f"/r/{token}/photos/{p.id}", p.caption) for p in after],
        "expires": format_date(view.link.expires_at.astimezone(local_zone()).date(), "long")
        if view.link
        else "",
    }


@blp.route("/<token>")
class RatingPage(MethodView):
    @public
    @blp.response(200, description="The rating form (HTML)")
    @throttle(RATING_PAGES)
    def get(self, token: str) -> Response:
        """The rating page of a visit (HTML; friendly pages for expired or invalid links)"""
        current = settings()
        view = rating_service.resolve(db.session, current, token)
        db.session.commit()
        if view.state in (LinkState.INVALID, LinkState.EXPIRED):
            return _notice_for(view)
        rating = view.rating
        form = {
            "csat": rating.csat if rating else None,
            "nps": rating.nps if rating else None,
            "comment": rating.comment if rating else "",
        }
        return _page(
            "form", already=rating is not None, form=form, errors={}, **_visit_context(view, token)
        )

    @public
    @blp.doc(
        requestBody=form_body(
            ["csat"],
            {
                "csat": {"type": "integer", "minimum": 1, "maximum": 5},
                "nps": {"type": "integer", "minimum": 0, "maximum": 10},
                "comment": {"type": "string", "maxLength": 2000},
                "lang": {"type": "string", "enum": ["zh-CN", "en"]},
            },
        )
    )
    @blp.response(200, description="The thank-you page (HTML)")
    @throttle(RATING_PAGES)
    def post(self, token: str) -> Response:
        """Submit or change the verdict (an HTML form post)"""
        current = settings()
        # Verdicts keep the short language tag the rating pages have always stored.
        lang = "zh" if current_locale().startswith("zh") else "en"
        form, errors = _read_form()
        if not errors:
            verdict = Verdict(form["csat"], form["nps"], form["comment"], lang)
            try:
                rating = _submit(token, verdict)
            except LinkUnusable as unusable:
                db.session.rollback()
                return _notice_for(LinkView(unusable.state))
            except ValidationFailed as invalid:
                db.session.rollback()
                errors = {name: ERRORS.get(name, ERRORS["csat"]) for name in invalid.fields}
            else:
                return _page("thanks", token=token, sorry=rating.is_negative)
        view = rating_service.resolve(db.session, current, token)
        db.session.commit()
        if view.state in (LinkState.INVALID, LinkState.EXPIRED):
            return _notice_for(view)
        return _page(
            "form",
            422,
            already=view.rating is not None,
            form=form,
            errors=errors,
            **_visit_context(view, token),
        )


def _submit(token: str, verdict: Verdict) -> Rating:
    try:
        rating = rating_service.submit(db.session, settings(), token, verdict)
        db.session.commit()
    except IntegrityError:
        # A double tap raced for the first verdict; the other one won: this one edits it.
        db.session.rollback()
        rating = rating_service.submit(db.session, settings(), token, verdict)
        db.session.commit()
    return rating


def _read_form() -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    form: dict[str, Any] = {"comment": (request.form.get("comment") or "").strip()}
    form["csat"] = _whole(request.form.get("csat"))
    if form["csat"] is None or not 1 <= form["csat"] <= 5:
        errors["csat"] = ERRORS["csat"]
    raw_nps = request.form.get("nps")
    form["nps"] = _whole(raw_nps) if raw_nps not in (None, "") else None
    if raw_nps not in (None, "") and (form["nps"] is None or not 0 <= form["nps"] <= 10):
        errors["nps"] = ERRORS["nps"]
    if len(form["comment"]) > 2000:
        errors["comment"] = ERRORS["comment"]
    return form, errors


def _whole(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


@blp.route("/<token>/photos/<photo_id>")
class RatingPhoto(MethodView):
    @public
    @blp.response(200, description="A thumbnail of an after-photo of the rated visit")
    @throttle(RATING_PAGES)
    def get(self, token: str, photo_id: str) -> Response:
        """A thumbnail of one of the visit's after-photos, for the rating page"""
        view = rating_service.resolve(db.session, settings(), token)
        db.session.commit()
        if view.state in (LinkState.INVALID, LinkState.EXPIRED) or view.link is None:
            raise NotFound("no such photo")
        photo = db.session.get(Photo, photo_id)
        if photo is None or photo.visit_id != view.link.visit_id or photo.kind != PhotoKind.AFTER:
            raise NotFound("no such photo")
        blob = photo_service.photo_view(db.session, photo).blob
        if blob is None:
            raise NotFound("no such photo")
        return thumbnail_response(blob)


links = Blueprint(
    "rating_links",
    __name__,
    url_prefix="/api/v1/visits",
    description="Rating links of completed visits (for staff)",
)


class RatingLinkSchema(Strict):
    visit_id = ma.fields.Integer()
    url = ma.fields.String(metadata={"description": "The customer's rating page"})
    created_at = aware_datetime()
    expires_at = aware_datetime()
    first_opened_at = aware_datetime(allow_none=True)
    rated = ma.fields.Boolean()


@links.route("/<int:visit_id>/rating-link")
class VisitRatingLink(MethodView):
    @requires(*STAFF)
    @links.response(200, RatingLinkSchema)
    def get(self, visit_id: int) -> dict[str, Any]:
        """The rating link issued when the visit was completed (404 if none was issued)"""
        current = settings()
        link = db.session.scalar(select(RatingLink).where(RatingLink.visit_id == visit_id))
        if link is None:
            raise NotFound("visit %(visit)s has no rating link", params={"visit": visit_id})
        rated = db.session.scalar(select(Rating.id).where(Rating.visit_id == visit_id))
        return {
            "visit_id": visit_id,
            "url": rating_service.rating_url(current, rating_service.token_for(current, link)),
            "created_at": link.created_at,
            "expires_at": link.expires_at,
            "first_opened_at": link.first_opened_at,
            "rated": rated is not None,
        }

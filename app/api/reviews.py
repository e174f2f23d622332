"""Offline work flagged for a dispatcher's review (completed on a reassigned or cancelled visit)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.fields import Strict, aware_datetime
from app.api.pagination import SelectPage
from app.api.security import STAFF, current_user, requires
from app.database import db
from sync.reviews import open_reviews, resolve_review

blp = Blueprint("reviews", __name__, url_prefix="/api/v1/reviews")


class ReviewSchema(Strict):
    id = ma.fields.Integer()
    visit_id = ma.fields.Integer(allow_none=True)
    technician_id = ma.fields.Integer(allow_none=True)
    mutation_name = ma.fields.String()
    reason = ma.fields.String()
    details = ma.fields.Dict()
    created_at = aware_datetime()
    resolved_at = aware_datetime(allow_none=True)
    resolved_by_user_id = ma.fields.Integer(allow_none=True)
    resolution = ma.fields.String(allow_none=True)


class ReviewQuery(Strict):
    visit_id = ma.fields.Integer()


class ResolutionSchema(Strict):
    resolution = ma.fields.String(required=True, validate=validate.Length(1, 500))


@blp.route("", strict_slashes=False)
class Reviews(MethodView):
    @requires(*STAFF)
    @blp.arguments(ReviewQuery, location="query")
    @blp.response(200, ReviewSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """Open reviews, oldest first: work from phones that reached a changed visit"""
        return open_reviews(query.get("visit_id"))


@blp.route("/<int:review_id>/resolve")
class ResolveReview(MethodView):
    @requires(*STAFF)
    @blp.arguments(ResolutionSchema)
    @blp.response(200, ReviewSchema)
    def post(self, data: dict[str, Any], review_id: int) -> Any:
        """Close a review with what was decided (a closed review stays closed)"""
        review = resolve_review(
            db.session, review_id, user_id=current_user().id, resolution=data["resolution"]
        )
        db.session.commit()
        return review

"""The knowledge base for readers: published articles, searched, read and rated.

Technicians call with their bearer token and see technician articles; without a token the
caller is a customer and sees customer articles (no account needed, throttled per address).
Views and votes are counted for the console's figures.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.articles import SearchQuery, article_query
from app.api.fields import Strict, aware_datetime
from app.api.security import bearer_token, public
from app.api.settings import settings
from app.database import db
from app.errors import RateLimited
from app.extensions import limiter
from app.models import ArticleAudience, User
from app.services import article_feedback, rate_limit
from app.services.accounts import resolve_token
from app.services.article_search import search

blp = Blueprint(
    "kb",
    __name__,
    url_prefix="/api/v1/kb",
    description="Knowledge base for technicians (bearer token) and customers (no token)",
)

CONTEXTS = ("repair_request", "help_page", "visit", "search")


class ReaderArticleSchema(Strict):
    """An article as readers get it: rendered and sanitised; no drafts, no counts."""

    id = ma.fields.Integer()
    version = ma.fields.Integer()
    title = ma.fields.String()
    body_html = ma.fields.String()
    language = ma.fields.String()
    audience = ma.fields.Enum(ArticleAudience, by_value=True)
    product_lines = ma.fields.List(ma.fields.String())
    visit_kinds = ma.fields.List(ma.fields.String())
    fault_causes = ma.fields.List(ma.fields.String())
    published_at = aware_datetime(allow_none=True)
    updated_at = aware_datetime()


class ReaderHitSchema(Strict):
    score = ma.fields.Float()
    article = ma.fields.Nested(ReaderArticleSchema)


class ReaderSearchQuery(SearchQuery):
    class Meta:
        exclude = ("status",)


class FeedbackSchema(Strict):
    context = ma.fields.String(load_default=None, validate=validate.OneOf(CONTEXTS))


class VoteSchema(FeedbackSchema):
    helped = ma.fields.Boolean(required=True)


class CountsSchema(Strict):
    views = ma.fields.Integer()
    helped = ma.fields.Integer()
    not_helped = ma.fields.Integer()


class FeedbackAnswerSchema(Strict):
    article_id = ma.fields.Integer()
    counts = ma.fields.Nested(CountsSchema)


def _caller() -> tuple[str, User | None]:
    """("technician", user) with a bearer token, ("customer", None) without (throttled)."""
    if request.headers.get("Authorization"):
        user = resolve_token(db.session, bearer_token()).user
        return "technician", user
    verdict = rate_limit.hit(
        limiter.limiter, settings().kb_rate_limit, "kb", request.remote_addr or "unknown"
    )
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after_s)
    return "customer", None


def _answer(article_id: int) -> dict[str, Any]:
    return {"article_id": article_id, "counts": article_feedback.counts_of(db.session, article_id)}


@blp.route("/articles")
class ReaderArticles(MethodView):
    @public
    @blp.arguments(ReaderSearchQuery, location="query")
    @blp.response(200, ReaderHitSchema(many=True))
    @blp.alt_response(429, description="Too many requests from this address")
    def get(self, args: dict[str, Any]) -> list[Any]:
        """Search published articles for the caller (Chinese or English; best first)"""
        reader, _user = _caller()
        return search(db.session, article_query(args, reader))


@blp.route("/articles/<int:article_id>")
class ReaderArticle(MethodView):
    @public
    @blp.response(200, ReaderArticleSchema)
    def get(self, article_id: int) -> Any:
        """A published article for the caller"""
        reader, _user = _caller()
        return article_feedback.readable(db.session, article_id, reader)


@blp.route("/articles/<int:article_id>/views")
class ReaderViews(MethodView):
    @public
    @blp.arguments(FeedbackSchema)
    @blp.response(201, FeedbackAnswerSchema)
    def post(self, data: dict[str, Any], article_id: int) -> dict[str, Any]:
        """Count one reading of the article"""
        reader, user = _caller()
        article = article_feedback.readable(db.session, article_id, reader)
        article_feedback.record_view(
            db.session, article, reader=reader, user_id=user and user.id, context=data["context"]
        )
        db.session.commit()
        return _answer(article.id)


@blp.route("/articles/<int:article_id>/votes")
class ReaderVotes(MethodView):
    @public
    @blp.arguments(VoteSchema)
    @blp.response(201, FeedbackAnswerSchema)
    def post(self, data: dict[str, Any], article_id: int) -> dict[str, Any]:
        """Say whether the article helped (a signed-in reader's new vote replaces the last)"""
        reader, user = _caller()
        article = article_feedback.readable(db.session, article_id, reader)
        article_feedback.vote(
            db.session,
            article,
            helped=data["helped"],
            reader=reader,
            user_id=user and user.id,
            context=data["context"],
        )
        db.session.commit()
        return _answer(article.id)

"""Knowledge-base articles as staff write them: drafts, edits, publication, history, counts.

Readers (technicians and customers) use `app.api.kb`, which shows published articles only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from marshmallow.experimental.context import Context

from app.api.concurrency import expected_version
from app.api.fields import NOT_BLANK, RecordSchema, Strict, aware_datetime
from app.api.security import STAFF, current_user, requires
from app.database import db
from app.models import Article, ArticleAudience, ArticleStatus, Role, VisitKind
from app.services import article_feedback, article_text, articles
from app.services.article_feedback import ArticleCounts
from app.services.article_search import ArticleQuery, search
from app.services.records import get_or_404

blp = Blueprint(
    "articles", __name__, url_prefix="/api/v1/articles", description="Knowledge-base articles"
)

Tag = lambda: ma.fields.String(validate=[validate.Length(1, 80), NOT_BLANK])  # noqa: E731
Kind = lambda: ma.fields.String(validate=validate.OneOf([k.value for k in VisitKind]))  # noqa: E731
Cause = lambda: ma.fields.String(  # noqa: E731
    validate=[validate.Length(1, 80), validate.Regexp(r"^[a-z0-9_]+$")]
)


class CountsSchema(Strict):
    views = ma.fields.Integer()
    helped = ma.fields.Integer()
    not_helped = ma.fields.Integer()
    helped_share = ma.fields.Float(allow_none=True)


# The counts of every article of a list, read in one query before the list is written.
ListedCounts = Context[Mapping[int, ArticleCounts]]


class ArticleSchema(RecordSchema):
    title = ma.fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    body = ma.fields.String(load_default="", validate=validate.Length(max=100_000))
    body_html = ma.fields.String(dump_only=True)
    language = ma.fields.String(load_default="zh_CN", validate=validate.OneOf(articles.LANGUAGES))
    audience = ma.fields.Enum(
        ArticleAudience, by_value=True, load_default=ArticleAudience.TECHNICIAN
    )
    status = ma.fields.Enum(ArticleStatus, by_value=True, dump_only=True)
    product_lines = ma.fields.List(Tag(), load_default=list, validate=validate.Length(max=50))
    visit_kinds = ma.fields.List(Kind(), load_default=list, validate=validate.Length(max=3))
    fault_causes = ma.fields.List(Cause(), load_default=list, validate=validate.Length(max=50))
    published_at = aware_datetime(dump_only=True, allow_none=True)
    counts = ma.fields.Method("_counts", dump_only=True)

    def _counts(self, article: Article) -> dict[str, Any]:
        listed = ListedCounts.get(default=None)
        if listed is not None:
            found = listed.get(article.id, ArticleCounts(article.id))
        else:
            found = article_feedback.counts_of(db.session, article.id)
        return CountsSchema().dump(found)


class ArticlePatchSchema(Strict):
    version = ma.fields.Integer(validate=validate.Range(min=1))
    title = ma.fields.String(validate=[validate.Length(1, 200), NOT_BLANK])
    body = ma.fields.String(validate=validate.Length(max=100_000))
    language = ma.fields.String(validate=validate.OneOf(articles.LANGUAGES))
    audience = ma.fields.Enum(ArticleAudience, by_value=True)
    product_lines = ma.fields.List(Tag(), validate=validate.Length(max=50))
    visit_kinds = ma.fields.List(Kind(), validate=validate.Length(max=3))
    fault_causes = ma.fields.List(Cause(), validate=validate.Length(max=50))


class SearchQuery(Strict):
    q = ma.fields.String(load_default="", validate=validate.Length(max=200))
    status = ma.fields.Enum(ArticleStatus, by_value=True)
    language = ma.fields.String(validate=validate.OneOf(articles.LANGUAGES))
    product_line = Tag()
    visit_kind = ma.fields.Enum(VisitKind, by_value=True)
    fault_cause = Cause()
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(1, 100))


class HitSchema(Strict):
    score = ma.fields.Float()
    article = ma.fields.Nested(ArticleSchema)


class VersionSchema(Strict):
    version = ma.fields.Integer(validate=validate.Range(min=1))


class RevisionSchema(Strict):
    version = ma.fields.Integer()
    title = ma.fields.String()
    body = ma.fields.String()
    status = ma.fields.Enum(ArticleStatus, by_value=True)
    edited_by_user_id = ma.fields.Integer(allow_none=True)
    edited_at = aware_datetime()


class PreviewSchema(Strict):
    body = ma.fields.String(required=True, validate=validate.Length(max=100_000))


class PreviewAnswerSchema(Strict):
    html = ma.fields.String()


def article_query(args: dict[str, Any], reader: str) -> ArticleQuery:
    """The typed search a request asks for."""
    return ArticleQuery(
        text=args.get("q", ""),
        reader=reader,
        status=args.get("status"),
        language=args.get("language"),
        product_line=args.get("product_line"),
        visit_kind=args.get("visit_kind"),
        fault_cause=args.get("fault_cause"),
        limit=args.get("limit", 20),
    )


def _draft(data: dict[str, Any]) -> articles.ArticleDraft:
    return articles.ArticleDraft(
        title=data["title"],
        body=data["body"],
        language=data["language"],
        audience=data["audience"],
        product_lines=tuple(data["product_lines"]),
        visit_kinds=tuple(VisitKind(k) for k in data["visit_kinds"]),
        fault_causes=tuple(data["fault_causes"]),
    )


def _changes(data: dict[str, Any]) -> articles.ArticleChanges:
    lists = {k: tuple(data[k]) for k in ("product_lines", "fault_causes") if k in data}
    if "visit_kinds" in data:
        lists["visit_kinds"] = tuple(VisitKind(k) for k in data["visit_kinds"])
    plain = {k: data[k] for k in ("title", "body", "language", "audience") if k in data}
    return articles.ArticleChanges(**plain, **lists)


@blp.route("", strict_slashes=False)
class Articles(MethodView):
    @requires(*STAFF)
    @blp.arguments(SearchQuery, location="query")
    @blp.response(200, HitSchema(many=True))
    def get(self, args: dict[str, Any]) -> Response:
        """List or search all articles, drafts included (Chinese or English)"""
        hits = search(db.session, article_query(args, "staff"))
        counts = article_feedback.counts(db.session, [h.article.id for h in hits])
        with ListedCounts(counts):
            return jsonify(HitSchema(many=True).dump(hits))

    @requires(*STAFF)
    @blp.arguments(ArticleSchema)
    @blp.response(201, ArticleSchema)
    def post(self, data: dict[str, Any]) -> Article:
        """Write a new article (a draft at version 1)"""
        article = articles.create_article(db.session, _draft(data), user_id=current_user().id)
        db.session.commit()
        return article


@blp.route("/preview")
class Preview(MethodView):
    @requires(*STAFF)
    @blp.arguments(PreviewSchema)
    @blp.response(200, PreviewAnswerSchema)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Render Markdown as readers will see it (sanitised HTML), without saving"""
        return {"html": article_text.render(data["body"])}


@blp.route("/<int:article_id>")
class ArticleById(MethodView):
    @requires(*STAFF)
    @blp.response(200, ArticleSchema)
    def get(self, article_id: int) -> Article:
        """An article with its counts of views and votes"""
        return get_or_404(db.session, Article, article_id)

    @requires(*STAFF)
    @blp.arguments(ArticlePatchSchema)
    @blp.response(200, ArticleSchema)
    @blp.alt_response(409, description="The article changed since the version given")
    def patch(self, data: dict[str, Any], article_id: int) -> Article:
        """Edit an article (send If-Match or `version`); a change bumps the version"""
        article = get_or_404(db.session, Article, article_id)
        version = expected_version(data)
        articles.update_article(
            db.session, article, _changes(data), expected_version=version, user_id=current_user().id
        )
        db.session.commit()
        return article

    @requires(Role.ADMIN)
    @blp.response(204)
    def delete(self, article_id: int) -> None:
        """Delete an article for good (phones drop it on their next sync)"""
        db.session.delete(get_or_404(db.session, Article, article_id))
        db.session.commit()


def _set_status(article_id: int, data: dict[str, Any], status: ArticleStatus) -> Article:
    article = get_or_404(db.session, Article, article_id)
    articles.set_status(
        db.session,
        article,
        status,
        expected_version=expected_version(data),
        user_id=current_user().id,
    )
    db.session.commit()
    return article


@blp.route("/<int:article_id>/publish")
class Publish(MethodView):
    @requires(*STAFF)
    @blp.arguments(VersionSchema)
    @blp.response(200, ArticleSchema)
    def post(self, data: dict[str, Any], article_id: int) -> Article:
        """Publish an article (send If-Match or `version`)"""
        return _set_status(article_id, data, ArticleStatus.PUBLISHED)


@blp.route("/<int:article_id>/unpublish")
class Unpublish(MethodView):
    @requires(*STAFF)
    @blp.arguments(VersionSchema)
    @blp.response(200, ArticleSchema)
    def post(self, data: dict[str, Any], article_id: int) -> Article:
        """Withdraw a published article back to draft (send If-Match or `version`)"""
        return _set_status(article_id, data, ArticleStatus.DRAFT)


@blp.route("/<int:article_id>/revisions")
class Revisions(MethodView):
    @requires(*STAFF)
    @blp.response(200, RevisionSchema(many=True))
    def get(self, article_id: int) -> list[Any]:
        """The article's history, newest version first"""
        get_or_404(db.session, Article, article_id)
        return articles.revisions(db.session, article_id)

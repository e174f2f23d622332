"""The customers' help pages: `/help` searches published customer articles, no account needed.

Mobile-first HTML without JavaScript, Chinese by default with English a click away (the rating
pages' language rules). Reading an article counts a view; "did this help?" records a vote.
Requests are throttled per client address.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, make_response, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.security import public
from app.api.settings import settings
from app.database import db
from app.errors import NotFound
from app.extensions import limiter
from app.i18n.web import current_locale
from app.services import article_feedback, rate_limit
from app.services.article_search import MAX_QUERY_LENGTH, ArticleQuery, search

blp = Blueprint("help_pages", __name__, url_prefix="/help", description="Customer help pages")

READER = "customer"


def _page(template: str, status: int = 200, **context: Any) -> Response:
    lang = current_locale()
    other = "en" if lang == "zh_CN" else "zh-CN"
    query = request.args.get("q")
    switch = f"{request.path}?{urlencode({'lang': other, **({'q': query} if query else {})})}"
    html = render_template(
        f"help/{template}.html", lang=lang, other_lang=other, switch_url=switch, **context
    )
    response = make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' https:; style-src 'unsafe-inline'; form-action 'self'"
    )
    return response


def _limited() -> Response | None:
    verdict = rate_limit.hit(
        limiter.limiter, settings().kb_rate_limit, "kb", request.remote_addr or "unknown"
    )
    if verdict.allowed:
        return None
    response = _page("limited", 429)
    response.headers["Retry-After"] = str(verdict.retry_after_s)
    return response


@blp.route("", strict_slashes=False)
class HelpSearch(MethodView):
    @public
    @blp.response(200, description="The help page with search results (HTML)")
    def get(self) -> Response:
        """Search the help articles (HTML; Chinese or English queries)"""
        limited = _limited()
        if limited is not None:
            return limited
        text = (request.args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
        hits = search(db.session, ArticleQuery(text=text, reader=READER, limit=20))
        return _page("search", query=text, hits=hits)


@blp.route("/articles/<int:article_id>")
class HelpArticle(MethodView):
    @public
    @blp.response(200, description="The article and the 'did this help?' question (HTML)")
    def get(self, article_id: int) -> Response:
        """Read a help article (counts a view)"""
        limited = _limited()
        if limited is not None:
            return limited
        try:
            article = article_feedback.readable(db.session, article_id, READER)
        except NotFound:
            return _page("missing", 404)
        article_feedback.record_view(db.session, article, reader=READER, context="help_page")
        db.session.commit()
        return _page("article", article=article, answered=None)

    @public
    @blp.doc(
        requestBody={
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["helped"],
                        "properties": {"helped": {"type": "string", "enum": ["yes", "no"]}},
                    }
                }
            },
        }
    )
    @blp.response(200, description="The article with the thanks (HTML)")
    def post(self, article_id: int) -> Response:
        """Answer "did this help?" for a help article"""
        limited = _limited()
        if limited is not None:
            return limited
        try:
            article = article_feedback.readable(db.session, article_id, READER)
        except NotFound:
            return _page("missing", 404)
        answer = request.form.get("helped")
        if answer not in ("yes", "no"):
            return _page("article", 422, article=article, answered=None, error=True)
        article_feedback.vote(
            db.session, article, helped=answer == "yes", reader=READER, context="help_page"
        )
        db.session.commit()
        return _page("article", article=article, answered=answer)

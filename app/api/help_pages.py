"""The customers' help pages: `/help` searches published customer articles, no account needed.

Mobile-first HTML without JavaScript, Chinese by default with English a click away (the rating
pages' language rules). Reading an article counts a view; "did this help?" records a vote.
Requests are throttled per client address.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.customer_pages import Throttle, form_body, page, throttle
from app.api.security import public
from app.database import db
from app.errors import NotFound
from app.services import article_feedback
from app.services.article_search import MAX_QUERY_LENGTH, ArticleQuery, search

blp = Blueprint("help_pages", __name__, url_prefix="/help", description="Customer help pages")

READER = "customer"


def _page(template: str, status: int = 200, **context: Any) -> Response:
    # Articles may show pictures kept elsewhere.
    return page(
        f"help/{template}.html", status, keep_args=("q",), img_src="'self' https:", **context
    )


HELP_PAGES = Throttle("kb", lambda s: s.kb_rate_limit, lambda: _page("limited", 429))


@blp.route("", strict_slashes=False)
class HelpSearch(MethodView):
    @public
    @blp.response(200, description="The help page with search results (HTML)")
    @throttle(HELP_PAGES)
    def get(self) -> Response:
        """Search the help articles (HTML; Chinese or English queries)"""
        text = (request.args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
        hits = search(db.session, ArticleQuery(text=text, reader=READER, limit=20))
        return _page("search", query=text, hits=hits)


@blp.route("/articles/<int:article_id>")
class HelpArticle(MethodView):
    @public
    @blp.response(200, description="The article and the 'did this help?' question (HTML)")
    @throttle(HELP_PAGES)
    def get(self, article_id: int) -> Response:
        """Read a help article (counts a view)"""
        try:
            article = article_feedback.readable(db.session, article_id, READER)
        except NotFound:
            return _page("missing", 404)
        article_feedback.record_view(db.session, article, reader=READER, context="help_page")
        db.session.commit()
        return _page("article", article=article, answered=None)

    @public
    @blp.doc(
        requestBody=form_body(["helped"], {"helped": {"type": "string", "enum": ["yes", "no"]}})
    )
    @blp.response(200, description="The article with the thanks (HTML)")
    @throttle(HELP_PAGES)
    def post(self, article_id: int) -> Response:
        """Answer "did this help?" for a help article"""
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

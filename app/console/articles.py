"""Console pages for the knowledge base: the list with search, the editor with a preview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from app.console.auth import STAFF, current_user, page
from app.console.views import console
from app.database import db
from app.errors import ValidationFailed
from app.i18n.labels import LABELS
from app.i18n.web import say
from app.models import Article, ArticleAudience, ArticleStatus, VisitKind
from app.services import article_feedback, article_text, articles
from app.services.article_search import ArticleQuery, search
from app.services.records import get_or_404


@dataclass(frozen=True)
class EditorForm:
    """What the editor form holds, saved or not."""

    title: str
    body: str
    language: str
    audience: str
    product_lines: tuple[str, ...]
    visit_kinds: tuple[str, ...]
    fault_causes: tuple[str, ...]

    @classmethod
    def of(cls, article: Article | None) -> EditorForm:
        if article is None:
            return cls("", "", "zh_CN", ArticleAudience.TECHNICIAN.value, (), (), ())
        return cls(
            article.title,
            article.body,
            article.language,
            article.audience.value,
            tuple(article.product_lines),
            tuple(article.visit_kinds),
            tuple(article.fault_causes),
        )

    @classmethod
    def parse(cls, form: MultiDict[str, str]) -> EditorForm:
        extra = [p.strip() for p in form.get("more_product_lines", "").split(",") if p.strip()]
        return cls(
            title=form.get("title", ""),
            body=form.get("body", "").replace("\r\n", "\n"),
            language=form.get("language", "zh_CN"),
            audience=form.get("audience", ArticleAudience.TECHNICIAN.value),
            product_lines=tuple(form.getlist("product_lines")) + tuple(extra),
            visit_kinds=tuple(form.getlist("visit_kinds")),
            fault_causes=tuple(form.getlist("fault_causes")),
        )

    def audience_value(self) -> ArticleAudience:
        try:
            return ArticleAudience(self.audience)
        except ValueError as exc:
            raise ValidationFailed(
                "the article is not valid", fields={"audience": ["unknown audience"]}
            ) from exc

    def kinds(self) -> tuple[VisitKind, ...]:
        try:
            return tuple(VisitKind(k) for k in self.visit_kinds)
        except ValueError as exc:
            raise ValidationFailed(
                "the article is not valid", fields={"visit_kinds": ["unknown visit kind"]}
            ) from exc

    def draft(self) -> articles.ArticleDraft:
        return articles.ArticleDraft(
            title=self.title,
            body=self.body,
            language=self.language,
            audience=self.audience_value(),
            product_lines=self.product_lines,
            visit_kinds=self.kinds(),
            fault_causes=self.fault_causes,
        )

    def changes(self) -> articles.ArticleChanges:
        return articles.ArticleChanges(
            title=self.title,
            body=self.body,
            language=self.language,
            audience=self.audience_value(),
            product_lines=self.product_lines,
            visit_kinds=self.kinds(),
            fault_causes=self.fault_causes,
        )


def _choices(form: EditorForm) -> dict[str, list[str]]:
    lines = set(LABELS["product_line"]) | set(articles.known_product_lines(db.session))
    causes = list(
        dict.fromkeys(
            [*articles.known_fault_causes(db.session), *LABELS["fault_cause"], *form.fault_causes]
        )
    )
    return {
        "product_lines": sorted(lines | set(form.product_lines)),
        "visit_kinds": [k.value for k in VisitKind],
        "fault_causes": causes,
        "audiences": [a.value for a in ArticleAudience],
        "languages": list(articles.LANGUAGES),
    }


def _editor(article: Article | None, form: EditorForm, preview: str | None, status: int = 200):
    return (
        render_template(
            "console/article_edit.html",
            article=article,
            form=form,
            preview=preview,
            choices=_choices(form),
            counts=article_feedback.counts_of(db.session, article.id) if article else None,
            revisions=articles.revisions(db.session, article.id) if article else [],
        ),
        status,
    )


@console.get("/articles")
@page(*STAFF)
def articles_page() -> str:
    """Every article, drafts too; searchable in Chinese or English, filtered by status."""
    status = request.args.get("status") or None
    query = ArticleQuery(
        text=request.args.get("q", "")[:200],
        status=ArticleStatus(status) if status in ArticleStatus._value2member_map_ else None,
        fault_cause=request.args.get("fault_cause") or None,
        limit=200,
    )
    hits = search(db.session, query)
    counts = article_feedback.counts(db.session, [h.article.id for h in hits])
    return render_template(
        "console/articles.html",
        hits=hits,
        counts=counts,
        query=query,
        statuses=[s.value for s in ArticleStatus],
    )


@console.get("/articles/new")
@page(*STAFF)
def new_article_page() -> Any:
    """An empty editor."""
    return _editor(None, EditorForm.of(None), None)


@console.post("/articles/new")
@page(*STAFF)
def create_article() -> Any:
    """Preview the draft, or save it as a new article."""
    form = EditorForm.parse(request.form)
    if request.form.get("action") == "preview":
        return _editor(None, form, article_text.render(form.body))
    try:
        article = articles.create_article(db.session, form.draft(), user_id=current_user().id)
    except ValidationFailed as error:
        db.session.rollback()
        _flash_fields(error)
        return _editor(None, form, None, 422)
    db.session.commit()
    flash(gettext("Article saved as a draft (version %(version)s).", version=1), "success")
    return redirect(url_for("console.article_page", article_id=article.id))


@console.get("/articles/<int:article_id>")
@page(*STAFF)
def article_page(article_id: int) -> Any:
    """The editor for one article, with its rendering, history and counts."""
    article = get_or_404(db.session, Article, article_id)
    return _editor(article, EditorForm.of(article), article.body_html)


@console.post("/articles/<int:article_id>")
@page(*STAFF)
def save_article(article_id: int) -> Any:
    """Preview an edit, or save it as the next version."""
    article = get_or_404(db.session, Article, article_id)
    form = EditorForm.parse(request.form)
    if request.form.get("action") == "preview":
        return _editor(article, form, article_text.render(form.body))
    try:
        articles.update_article(
            db.session,
            article,
            form.changes(),
            expected_version=_version(),
            user_id=current_user().id,
        )
    except ValidationFailed as error:
        db.session.rollback()
        _flash_fields(error)
        return _editor(get_or_404(db.session, Article, article_id), form, None, 422)
    db.session.commit()
    flash(gettext("Article saved (version %(version)s).", version=article.version), "success")
    return redirect(url_for("console.article_page", article_id=article.id))


@console.post("/articles/<int:article_id>/status")
@page(*STAFF)
def article_status(article_id: int) -> BaseResponse:
    """Publish the article or take it back to draft."""
    article = get_or_404(db.session, Article, article_id)
    publish = request.form.get("status") == ArticleStatus.PUBLISHED.value
    target = ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT
    articles.set_status(
        db.session, article, target, expected_version=_version(), user_id=current_user().id
    )
    db.session.commit()
    if publish:
        flash(
            gettext("Article published (version %(version)s).", version=article.version), "success"
        )
    else:
        flash(
            gettext("Article withdrawn to draft (version %(version)s).", version=article.version),
            "success",
        )
    return redirect(url_for("console.article_page", article_id=article.id))


def _version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError as exc:
        raise ValidationFailed("reload the page and try again") from exc


def _field_names() -> dict[str, str]:
    return {
        "title": gettext("Title"),
        "body": gettext("Body (Markdown)"),
        "language": gettext("Language"),
        "audience": gettext("Audience"),
        "product_lines": gettext("Product lines"),
        "visit_kinds": gettext("Visit kinds"),
        "fault_causes": gettext("Fault causes"),
    }


def _flash_fields(error: ValidationFailed) -> None:
    names = _field_names()
    fields = ", ".join(names.get(f, f) for f in sorted(error.fields))
    flash(
        gettext("%(message)s: %(fields)s", message=say(error), fields=fields)
        if fields
        else say(error),
        "error",
    )

"""Writing knowledge-base articles: drafts, edits that bump the version, publication, history."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.errors import ValidationFailed
from app.models import (
    Article,
    ArticleAudience,
    ArticleRevision,
    ArticleStatus,
    ChecklistAnswer,
    ChecklistTemplate,
    Order,
    Visit,
    VisitKind,
)
from app.services import article_text
from app.services.records import check_version

# The checklist item whose choices are the fault causes articles are filed under.
FAULT_CAUSE_ITEM = "fault_cause"
LANGUAGES = ("zh_CN", "en")


@dataclass(frozen=True)
class ArticleDraft:
    """What an editor writes: every field of an article but its status and bookkeeping."""

    title: str
    body: str = ""
    language: str = "zh_CN"
    audience: ArticleAudience = ArticleAudience.TECHNICIAN
    product_lines: tuple[str, ...] = ()
    visit_kinds: tuple[VisitKind, ...] = ()
    fault_causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleChanges:
    """An edit: only the fields given change (None = leave as it is)."""

    title: str | None = None
    body: str | None = None
    language: str | None = None
    audience: ArticleAudience | None = None
    product_lines: tuple[str, ...] | None = None
    visit_kinds: tuple[VisitKind, ...] | None = None
    fault_causes: tuple[str, ...] | None = None

    def changed(self) -> dict[str, object]:
        """The fields this edit sets."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


_CAUSE = re.compile(r"^[a-z0-9_]{1,80}$")
MAX_TITLE, MAX_BODY, MAX_TAG, MAX_TAGS = 200, 100_000, 80, 50


def _check(values: dict[str, object]) -> None:
    """Refuse what the columns cannot hold, naming each bad field (422, nothing written)."""
    errors: dict[str, list[str]] = {}
    title = values.get("title")
    if title is not None and not 1 <= len(str(title).strip()) <= MAX_TITLE:
        errors["title"] = [f"1 to {MAX_TITLE} characters"]
    body = values.get("body")
    if body is not None and len(str(body)) > MAX_BODY:
        errors["body"] = [f"at most {MAX_BODY} characters"]
    language = values.get("language")
    if language is not None and language not in LANGUAGES:
        errors["language"] = ["one of: " + ", ".join(LANGUAGES)]
    for name in ("product_lines", "visit_kinds", "fault_causes"):
        tags = values.get(name)
        if tags is None:
            continue
        tags = [str(t).strip() for t in tags]  # type: ignore[attr-defined]
        if len(tags) > MAX_TAGS or any(not 1 <= len(t) <= MAX_TAG for t in tags):
            errors[name] = [f"at most {MAX_TAGS} entries of 1 to {MAX_TAG} characters"]
        elif name == "fault_causes" and not all(_CAUSE.match(t) for t in tags):
            errors[name] = ["codes of lower-case letters, digits and _"]
    if errors:
        raise ValidationFailed("the article is not valid", fields=errors)


def _tags(values: tuple[str, ...]) -> list[str]:
    # Stored sorted and without repeats: one spelling per set, so edits compare cleanly.
    return sorted({str(v).strip() for v in values if str(v).strip()})


def _set(article: Article, name: str, value: object) -> None:
    if name in ("product_lines", "visit_kinds", "fault_causes"):
        value = _tags(value)  # type: ignore[arg-type]
    elif name == "title":
        value = str(value).strip()
    setattr(article, name, value)


def _derive(article: Article) -> None:
    article.body_html = article_text.render(article.body)
    article.search_text = article_text.searchable(article.title, article.body)


def _keep_revision(session: Session, article: Article, user_id: int | None) -> None:
    session.flush()  # the version the write produced
    session.add(
        ArticleRevision(
            article_id=article.id,
            version=article.version,
            title=article.title,
            body=article.body,
            status=article.status,
            edited_by_user_id=user_id,
            edited_at=article.updated_at,
        )
    )
    session.flush()


def create_article(session: Session, draft: ArticleDraft, *, user_id: int | None) -> Article:
    """A new draft at version 1, with its first revision."""
    _check({f.name: getattr(draft, f.name) for f in fields(draft)})
    article = Article(
        status=ArticleStatus.DRAFT, author_user_id=user_id, updated_by_user_id=user_id
    )
    for name in ("title", "body", "language", "audience", "product_lines", "visit_kinds",
                 "fault_causes"):  # fmt: skip
        _set(article, name, getattr(draft, name))
    _derive(article)
    session.add(article)
    _keep_revision(session, article, user_id)
    return article


def update_article(
    session: Session,
    article: Article,
    changes: ArticleChanges,
    *,
    expected_version: int | None,
    user_id: int | None,
) -> Article:
    """Apply an edit based on `expected_version`; a real change bumps the version."""
    check_version(article, expected_version)
    values = changes.changed()
    _check(values)
    for name, value in values.items():
        _set(article, name, value)
    if not session.is_modified(article):
        return article
    _derive(article)
    article.updated_by_user_id = user_id
    _keep_revision(session, article, user_id)
    return article


def set_status(
    session: Session,
    article: Article,
    status: ArticleStatus,
    *,
    expected_version: int | None,
    user_id: int | None,
    now: dt.datetime | None = None,
) -> Article:
    """Publish or withdraw an article (a new version); the same status again changes nothing."""
    check_version(article, expected_version)
    if article.status == status:
        return article
    if status == ArticleStatus.PUBLISHED and not article.body.strip():
        raise ValidationFailed(
            "an article needs a body before it is published", fields={"body": ["empty"]}
        )
    article.status = status
    if status == ArticleStatus.PUBLISHED:
        article.published_at = now or utcnow()
    article.updated_by_user_id = user_id
    _keep_revision(session, article, user_id)
    return article


def revisions(session: Session, article_id: int) -> list[ArticleRevision]:
    """The article's history, newest first."""
    return list(
        session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article_id)
            .order_by(ArticleRevision.version.desc())
        )
    )


def known_fault_causes(session: Session) -> list[str]:
    """Every fault cause a checklist template offers, in the templates' order."""
    seen: dict[str, None] = {}
    for items in session.scalars(select(ChecklistTemplate.items)):
        for item in items or ():
            if item.get("key") == FAULT_CAUSE_ITEM:
                seen.update(dict.fromkeys(item.get("choices") or ()))
    return list(seen)


def known_product_lines(session: Session) -> list[str]:
    """The product lines orders use, for the editor's suggestions."""
    return list(session.scalars(select(Order.product_line).distinct().order_by(Order.product_line)))


@dataclass(frozen=True)
class CauseArticles:
    """The articles filed under one fault cause."""

    cause: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class FaultCauseLinks:
    """A visit's fault cause (when recorded) and the articles for each cause it may have."""

    recorded: str | None
    causes: tuple[CauseArticles, ...]


def fault_cause_links(session: Session, visit: Visit) -> FaultCauseLinks | None:
    """For a visit whose checklist asks for a fault cause: its answer and articles per cause.

    Only the recorded cause is listed once it is known; before, every cause the checklist
    offers. None for visits whose checklist has no fault cause.
    """
    template_items = session.scalars(
        select(ChecklistTemplate.items).where(
            ChecklistTemplate.kind == visit.kind, ChecklistTemplate.active.is_(True)
        )
    )
    offered: list[str] = []
    for items in template_items:
        for item in items or ():
            if item.get("key") == FAULT_CAUSE_ITEM:
                offered.extend(c for c in item.get("choices") or () if c not in offered)
    answer = session.scalar(
        select(ChecklistAnswer.value).where(
            ChecklistAnswer.visit_id == visit.id, ChecklistAnswer.item_key == FAULT_CAUSE_ITEM
        )
    )
    recorded = answer if isinstance(answer, str) else None
    if not offered and recorded is None:
        return None
    published = list(
        session.scalars(
            select(Article)
            .where(Article.status == ArticleStatus.PUBLISHED)
            .order_by(Article.title, Article.id)
        )
    )
    causes = [recorded] if recorded is not None else offered
    product_line = visit.order.product_line if visit.order is not None else None
    return FaultCauseLinks(
        recorded=recorded,
        causes=tuple(
            CauseArticles(
                cause,
                tuple(
                    a
                    for a in published
                    if cause in a.fault_causes
                    and (not a.product_lines or product_line in a.product_lines)
                ),
            )
            for cause in causes
        ),
    )

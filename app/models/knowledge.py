"""The knowledge base: articles for technicians and customers, their history and their use."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow
from app.models.base import Versioned, enum_column


class ArticleAudience(enum.StrEnum):
    TECHNICIAN = "technician"
    CUSTOMER = "customer"
    BOTH = "both"


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Article(Versioned, Base):
    """One article; every edit or publication bumps `version` and keeps an `ArticleRevision`.

    `body` is Markdown as written; `body_html` is its sanitised rendering, made when the body is
    saved so readers (and phones) get safe HTML without rendering it themselves. `search_text`
    is the lower-cased title and body the search matches against (a trigram GIN index on
    PostgreSQL). Empty tag lists mean "any": an article without product lines fits them all.
    """

    __tablename__ = "articles"
    __table_args__ = (
        Index(
            "ix_articles_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(10), default="zh_CN", index=True)
    audience: Mapped[ArticleAudience] = mapped_column(
        enum_column(ArticleAudience), default=ArticleAudience.TECHNICIAN
    )
    status: Mapped[ArticleStatus] = mapped_column(
        enum_column(ArticleStatus), default=ArticleStatus.DRAFT, index=True
    )
    product_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    visit_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    fault_causes: Mapped[list[str]] = mapped_column(JSON, default=list)
    published_at: Mapped[dt.datetime | None]
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ArticleRevision(Base):
    """The article as it stood at one version: title, body, tags and status."""

    __tablename__ = "article_revisions"
    __table_args__ = (Index("ix_article_revisions_article_version", "article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[ArticleStatus] = mapped_column(enum_column(ArticleStatus))
    edited_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    edited_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ArticleReaction(enum.StrEnum):
    VIEW = "view"
    HELPED = "helped"
    NOT_HELPED = "not_helped"


class ArticleFeedback(Base):
    """One view of an article, or one "this helped" / "did not help" answer.

    Kept apart from the article so that reading it neither bumps its version nor sends it to
    phones again. A signed-in reader has one standing vote per article (a new vote replaces
    it); customers vote anonymously, throttled per address. `context` says where the answer was
    given (e.g. `repair_request` when a customer was offered the article before asking for a
    repair).
    """

    __tablename__ = "article_feedback"
    __table_args__ = (Index("ix_article_feedback_article_reaction", "article_id", "reaction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    reaction: Mapped[ArticleReaction] = mapped_column(enum_column(ArticleReaction))
    reader: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    context: Mapped[str | None] = mapped_column(String(40))
    # A vote a reader later changed is kept for the record but no longer counted.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

"""Views and "this helped" votes on articles, and the figures made of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.errors import NotFound
from app.models import Article, ArticleFeedback, ArticleReaction, ArticleStatus
from app.services.article_search import READER_AUDIENCES

READERS = ("technician", "customer")


@dataclass(frozen=True)
class ArticleCounts:
    article_id: int
    views: int = 0
    helped: int = 0
    not_helped: int = 0

    @property
    def helped_share(self) -> float | None:
        """Share of votes that said it helped (None before the first vote)."""
        votes = self.helped + self.not_helped
        return self.helped / votes if votes else None


def readable(session: Session, article_id: int, reader: str) -> Article:
    """A published article this reader may see, or NotFound (drafts and others' articles hide)."""
    article = session.get(Article, article_id)
    if (
        article is None
        or article.status != ArticleStatus.PUBLISHED
        or article.audience not in READER_AUDIENCES[reader]
    ):
        raise NotFound("article %(id)s does not exist", params={"id": article_id})
    return article


def record_view(
    session: Session,
    article: Article,
    *,
    reader: str,
    user_id: int | None = None,
    context: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Count one reading of the article."""
    session.add(
        ArticleFeedback(
            article_id=article.id,
            reaction=ArticleReaction.VIEW,
            reader=reader,
            user_id=user_id,
            context=context,
            at=now or utcnow(),
        )
    )
    session.flush()


def vote(
    session: Session,
    article: Article,
    *,
    helped: bool,
    reader: str,
    user_id: int | None = None,
    context: str | None = None,
    now: dt.datetime | None = None,
) -> ArticleFeedback:
    """Record whether the article helped; a signed-in reader's new vote replaces their last."""
    if user_id is not None:
        previous = session.scalars(
            select(ArticleFeedback)
            .where(
                ArticleFeedback.article_id == article.id,
                ArticleFeedback.user_id == user_id,
                ArticleFeedback.reaction != ArticleReaction.VIEW,
                ArticleFeedback.superseded.is_(False),
            )
            .with_for_update()
        )
        for row in previous:
            row.superseded = True
    answer = ArticleFeedback(
        article_id=article.id,
        reaction=ArticleReaction.HELPED if helped else ArticleReaction.NOT_HELPED,
        reader=reader,
        user_id=user_id,
        context=context,
        superseded=False,
        at=now or utcnow(),
    )
    session.add(answer)
    session.flush()
    return answer


def counts(
    session: Session, article_ids: list[int] | None = None, *, since: dt.datetime | None = None
) -> dict[int, ArticleCounts]:
    """Views and standing votes per article (all articles when no ids are given)."""
    reaction = ArticleFeedback.reaction

    def total(kind: ArticleReaction) -> object:
        return func.coalesce(func.sum(case((reaction == kind, 1), else_=0)), 0)

    stmt = (
        select(
            ArticleFeedback.article_id,
            total(ArticleReaction.VIEW),
            total(ArticleReaction.HELPED),
            total(ArticleReaction.NOT_HELPED),
        )
        .where(ArticleFeedback.superseded.is_(False))
        .group_by(ArticleFeedback.article_id)
    )
    if article_ids is not None:
        if not article_ids:
            return {}
        stmt = stmt.where(ArticleFeedback.article_id.in_(article_ids))
    if since is not None:
        stmt = stmt.where(ArticleFeedback.at >= since)
    return {
        row[0]: ArticleCounts(row[0], int(row[1]), int(row[2]), int(row[3]))
        for row in session.execute(stmt)
    }


def counts_of(session: Session, article_id: int) -> ArticleCounts:
    return counts(session, [article_id]).get(article_id, ArticleCounts(article_id))


@dataclass(frozen=True)
class ArticleFigure:
    """One line of the knowledge-base figures."""

    article_id: int
    title: str
    audience: str
    counts: ArticleCounts


def figures(
    session: Session, *, since: dt.datetime | None = None, limit: int = 20
) -> list[ArticleFigure]:
    """The most read articles (views since `since`), with their votes."""
    views = func.count(ArticleFeedback.id)
    stmt = (
        select(ArticleFeedback.article_id, views)
        .where(ArticleFeedback.reaction == ArticleReaction.VIEW)
        .group_by(ArticleFeedback.article_id)
        .order_by(views.desc(), ArticleFeedback.article_id)
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(ArticleFeedback.at >= since)
    top = [row[0] for row in session.execute(stmt)]
    all_counts = counts(session, top, since=since)
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(top)))}
    return [
        ArticleFigure(
            article_id=i,
            title=articles[i].title,
            audience=articles[i].audience.value,
            counts=all_counts.get(i, ArticleCounts(i)),
        )
        for i in top
        if i in articles
    ]


OFFER_CONTEXT = "repair_request"


def offered(session: Session, article_ids: list[int], *, now: dt.datetime | None = None) -> None:
    """Count the articles a customer was shown before asking for a repair as read."""
    for article in session.scalars(select(Article).where(Article.id.in_(article_ids))):
        record_view(session, article, reader="customer", context=OFFER_CONTEXT, now=now)


def answer_offer(
    session: Session,
    article_ids: list[int],
    solved_by: int | None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Record "does this solve it?": a yes for the article that solved it, else a no for each.

    `solved_by` must be one of the offered articles (None: none of them solved it).
    """
    if solved_by is not None and solved_by not in article_ids:
        raise NotFound("article %(id)s does not exist", params={"id": solved_by})
    voted = [solved_by] if solved_by is not None else article_ids
    for article in session.scalars(select(Article).where(Article.id.in_(voted))):
        vote(
            session,
            article,
            helped=solved_by is not None,
            reader="customer",
            context=OFFER_CONTEXT,
            now=now,
        )

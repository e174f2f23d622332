"""Finding articles by text, in Chinese (no spaces between words) as well as in English.

PostgreSQL: every blank-separated term must occur in the article (`ILIKE`, with `%` and `_`
taken literally), or the whole query must resemble a stretch of it by trigrams (`<%`, word
similarity), which finds "柜门关不严" for the question "柜门关不严怎么办". Both use the
`gin_trgm_ops` index on `search_text`. SQLite (the demo) has no trigrams: it matches the terms
with `instr` and scores the similarity in Python over character trigrams, the same measure.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, literal, or_, select, text
from sqlalchemy.orm import Session

from app.models import Article, ArticleAudience, ArticleStatus, VisitKind
from app.services.article_matching import matches_tags

# Share of the query's trigrams that must appear in one stretch of the article.
SIMILARITY_THRESHOLD = 0.2
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class ArticleQuery:
    """A search: the text and the filters; `reader` decides which audiences are visible."""

    text: str = ""
    reader: str = "staff"  # staff | technician | customer
    status: ArticleStatus | None = None
    language: str | None = None
    product_line: str | None = None
    visit_kind: VisitKind | None = None
    fault_cause: str | None = None
    limit: int = 20


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    score: float


READER_AUDIENCES = {
    "technician": (ArticleAudience.TECHNICIAN, ArticleAudience.BOTH),
    "customer": (ArticleAudience.CUSTOMER, ArticleAudience.BOTH),
}


def _like_escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _terms(query: str) -> list[str]:
    return query.lower().split()


def _base(query: ArticleQuery) -> Select[tuple[Article]]:
    stmt = select(Article)
    if query.reader in READER_AUDIENCES:
        stmt = stmt.where(
            Article.audience.in_(READER_AUDIENCES[query.reader]),
            Article.status == ArticleStatus.PUBLISHED,
        )
    elif query.status is not None:
        stmt = stmt.where(Article.status == query.status)
    if query.language:
        stmt = stmt.where(Article.language == query.language)
    return stmt


def search(session: Session, query: ArticleQuery) -> list[ArticleHit]:
    """Matching articles, best first: title hits, then closeness, then the newest."""
    phrase = " ".join(_terms(query.text))
    stmt = _base(query)
    if not phrase:
        rows = session.scalars(stmt.order_by(Article.updated_at.desc(), Article.id.desc()))
        hits = [ArticleHit(a, 0.0) for a in rows]
    elif session.get_bind().dialect.name == "postgresql":
        hits = _postgres(session, stmt, phrase)
    else:
        hits = _portable(session, stmt, phrase)
    wanted = [
        h
        for h in hits
        if matches_tags(
            h.article,
            product_line=query.product_line,
            visit_kind=query.visit_kind,
            fault_cause=query.fault_cause,
        )
    ]
    return wanted[: query.limit]


def _postgres(session: Session, stmt: Select[tuple[Article]], phrase: str) -> list[ArticleHit]:
    # The operator `<%` reads its threshold from the transaction: set it for this one only.
    session.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :value, true)"),
        {"value": str(SIMILARITY_THRESHOLD)},
    )
    terms = [
        Article.search_text.ilike(f"%{_like_escaped(t)}%", escape="\\") for t in phrase.split()
    ]
    in_title = and_(
        *(
            func.lower(Article.title).like(f"%{_like_escaped(t)}%", escape="\\")
            for t in phrase.split()
        )
    )
    closeness = func.word_similarity(literal(phrase), Article.search_text)
    similar = literal(phrase).op("<%")(Article.search_text)
    rows = session.execute(
        stmt.add_columns(closeness, in_title)
        .where(or_(and_(*terms), similar))
        .order_by(in_title.desc(), closeness.desc(), Article.updated_at.desc(), Article.id.desc())
        .limit(500)
    )
    return [ArticleHit(article, float(score)) for article, score, _ in rows]


def trigrams(value: str) -> set[str]:
    """Character trigrams of the text with its blanks removed (Chinese has none anyway)."""
    packed = "".join(value.split())
    if len(packed) < 3:
        return {packed} if packed else set()
    return {packed[i : i + 3] for i in range(len(packed) - 2)}


def similarity(phrase: str, text_: str) -> float:
    """Share of the phrase's trigrams found in the text (the portable stand-in for pg_trgm)."""
    grams = trigrams(phrase)
    if not grams:
        return 0.0
    packed = "".join(text_.split())
    return sum(1 for g in grams if g in packed) / len(grams)


def _portable(session: Session, stmt: Select[tuple[Article]], phrase: str) -> list[ArticleHit]:
    hits: list[tuple[bool, float, ArticleHit]] = []
    terms = phrase.split()
    for article in session.scalars(stmt):
        every_term = all(t in article.search_text for t in terms)
        score = similarity(phrase, article.search_text)
        if every_term or score >= SIMILARITY_THRESHOLD:
            title = article.title.lower()
            in_title = all(t in title for t in terms)
            hits.append((in_title, score, ArticleHit(article, score)))
    hits.sort(key=lambda h: (h[0], h[1], h[2].article.updated_at, h[2].article.id), reverse=True)
    return [h for _, _, h in hits]


def suggest_for_problem(
    session: Session, description: str, *, product_lines: Collection[str], limit: int = 3
) -> list[Article]:
    """Published customer articles that may solve the problem a customer describes.

    Only articles for one of the customer's product lines (or for any product) are offered.
    """
    text_ = description[:MAX_QUERY_LENGTH]
    if not text_.strip():
        return []
    owned = set(product_lines)
    hits = search(session, ArticleQuery(text=text_, reader="customer", limit=50))
    fitting = [
        h.article
        for h in hits
        if not h.article.product_lines or owned & set(h.article.product_lines)
    ]
    return fitting[:limit]

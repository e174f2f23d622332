"""Which articles fit a visit: by visit kind, product line and fault cause.

An article's empty tag list means "any". Fault causes are found on site, so an article filed
under fault causes fits repair visits whose cause is not recorded yet, and, once it is, only
those with one of its causes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.models import VisitKind


class Tagged(Protocol):
    """What matching reads of an article: its tag lists."""

    @property
    def visit_kinds(self) -> Sequence[str]: ...
    @property
    def product_lines(self) -> Sequence[str]: ...
    @property
    def fault_causes(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class VisitFacts:
    """What a visit tells about the articles its technician may need."""

    kind: VisitKind
    product_line: str | None = None
    fault_cause: str | None = None


def fits(article: Tagged, visit: VisitFacts) -> bool:
    """True when every dimension the article names admits the visit."""
    if article.visit_kinds and visit.kind.value not in article.visit_kinds:
        return False
    if article.product_lines and visit.product_line not in article.product_lines:
        return False
    if article.fault_causes:
        if visit.kind != VisitKind.REPAIR:
            return False
        if visit.fault_cause is not None and visit.fault_cause not in article.fault_causes:
            return False
    return True


def matches_tags(
    article: Tagged,
    *,
    product_line: str | None = None,
    visit_kind: VisitKind | None = None,
    fault_cause: str | None = None,
) -> bool:
    """Search filters: a product line or visit kind must be among the article's tags (or the
    tags be empty: the article fits all); a fault cause must be named by the article itself.
    """
    if fault_cause is not None and fault_cause not in article.fault_causes:
        return False
    pairs = (
        (product_line, article.product_lines),
        (visit_kind.value if visit_kind else None, article.visit_kinds),
    )
    return all(value is None or not tags or value in tags for value, tags in pairs)

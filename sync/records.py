"""Whole records as the phones receive them, and the record trees behind scope keys."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.models import (
    Article,
    ChecklistAnswer,
    ChecklistTemplate,
    Customer,
    Order,
    Photo,
    Signature,
    Site,
    Visit,
    VisitNote,
)

ENTITY_MODELS: dict[str, type] = {
    "visit": Visit,
    "note": VisitNote,
    "answer": ChecklistAnswer,
    "photo": Photo,
    "signature": Signature,
    "customer": Customer,
    "site": Site,
    "order": Order,
    "template": ChecklistTemplate,
    "article": Article,
}
VISIT_CHILDREN: dict[str, type] = {
    "note": VisitNote,
    "answer": ChecklistAnswer,
    "photo": Photo,
    "signature": Signature,
}
KEY_KINDS = {"v": "visit", "c": "customer", "s": "site", "o": "order", "a": "article"}
_INT_IDS = {"visit", "answer", "customer", "site", "order", "template", "article"}
# Server-side helpers a phone has no use for: the search index text of an article.
_NOT_SENT = {"article": frozenset({"search_text"})}


@dataclass(frozen=True)
class RecordRef:
    """An entity name and id, as on the wire."""

    entity: str
    id: int | str

    def as_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "id": self.id}


def wire_id(entity: str, raw: str) -> int | str:
    """Integer ids travel as numbers, device UUIDs as strings."""
    return int(raw) if entity in _INT_IDS else raw


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def serialize(entity: str, record: Any) -> dict[str, Any]:
    """A whole record: every column (an article's search text aside), plus a visit's skills."""
    hidden = _NOT_SENT.get(entity, frozenset())
    data = {
        attr.key: _value(getattr(record, attr.key))
        for attr in inspect(type(record)).column_attrs
        if attr.key not in hidden
    }
    if entity == "visit":
        data["required_skills"] = [
            {"code": s.skill.code, "min_level": s.min_level} for s in record.required_skills
        ]
    return {"entity": entity, "id": data["id"], "version": data.get("version"), "data": data}


def load(session: Session, entity: str, ids: Iterable[int | str]) -> dict[int | str, Any]:
    """The current rows of one entity by id (missing ids are simply absent)."""
    ids = list(ids)
    if not ids:
        return {}
    model = ENTITY_MODELS[entity]
    return {r.id: r for r in session.scalars(select(model).where(model.id.in_(ids)))}


def trees(session: Session, keys: Iterable[str]) -> list[tuple[str, Any]]:
    """Every record behind these scope keys: visits with their children, references, templates."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        kind, _, raw = key.partition(":")
        by_kind[kind].append(int(raw) if raw else 0)
    out: list[tuple[str, Any]] = []
    for kind, entity in KEY_KINDS.items():
        for record in load(session, entity, by_kind.get(kind, ())).values():
            out.append((entity, record))
    visit_ids = by_kind.get("v", [])
    if visit_ids:
        for entity, model in VISIT_CHILDREN.items():
            rows = session.scalars(
                select(model).where(model.visit_id.in_(visit_ids)).order_by(model.id)
            )
            out.extend((entity, row) for row in rows)
    if "t" in by_kind:
        templates = session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.id))
        out.extend(("template", t) for t in templates)
    return out


def tree_size(session: Session, keys: list[str]) -> dict[str, int]:
    """How many records each scope key brings (to fill pages without splitting a tree)."""
    sizes = dict.fromkeys(keys, 1)
    visit_ids = [int(k[2:]) for k in keys if k.startswith("v:")]
    if visit_ids:
        from sqlalchemy import func

        for model in VISIT_CHILDREN.values():
            counts = session.execute(
                select(model.visit_id, func.count())
                .where(model.visit_id.in_(visit_ids))
                .group_by(model.visit_id)
            )
            for visit_id, count in counts:
                sizes[f"v:{visit_id}"] += count
    if "t" in sizes:
        from sqlalchemy import func

        sizes["t"] = session.scalar(select(func.count()).select_from(ChecklistTemplate)) or 1
    return sizes


def children_of(session: Session, visit_id: int) -> list[RecordRef]:
    """References to a visit's notes, answers, photos and signatures."""
    refs: list[RecordRef] = []
    for entity, model in VISIT_CHILDREN.items():
        ids = session.scalars(select(model.id).where(model.visit_id == visit_id).order_by(model.id))
        refs.extend(RecordRef(entity, i) for i in ids)
    return refs

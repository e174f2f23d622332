"""Pagination of SQLAlchemy selects for flask-smorest's `@blp.paginate`."""

from __future__ import annotations

from typing import Any

from flask_smorest import Page
from sqlalchemy import Select, func, select

from app.database import db
from app.errors import ValidationFailed

MAX_PAGE = 2**31 - 1  # as documented (app/api/contract.py)


class SelectPage(Page):
    """A page of a `select()`, counted with one COUNT query."""

    collection: Select[Any]

    @property
    def items(self) -> list[Any]:
        if self.page_params.page > MAX_PAGE:
            raise ValidationFailed(
                "page must be at most %(max)s",
                params={"max": MAX_PAGE},
                fields={"page": ["too large"]},
            )
        stmt = self.collection.limit(self.page_params.page_size).offset(self.page_params.first_item)
        return list(db.session.scalars(stmt).unique())

    @property
    def item_count(self) -> int:
        counted = self.collection.order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(counted)) or 0

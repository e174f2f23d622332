"""Counting the SQL statements a piece of work sends, to pin down query counts (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from app.database import db


@dataclass(frozen=True)
class Statement:
    """One statement run: its SQL and how many rows it touched or returned."""

    sql: str
    rows: int


@contextmanager
def statements() -> Iterator[list[Statement]]:
    """Collect every statement the app's engine runs inside the block."""
    seen: list[Statement] = []
    engine = db.engine

    def note(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(Statement(statement, cursor.rowcount))

    event.listen(engine, "after_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", note)

"""Counting the SQL statements a piece of work sends, to pin down query counts (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.database import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """Collect the text of every statement the app's engine runs inside the block."""
    seen: list[str] = []
    engine = db.engine

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)

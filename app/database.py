"""The database layer: declarative base, UTC timestamps, engine and session.

Plain SQLAlchemy, no Flask: `sync/`, services and jobs use it outside a request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored in UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; timestamps must be timezone-aware")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        # SQLite hands back naive values; they were written as UTC.
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys switched on."""
    if url.startswith("sqlite"):
        # Solving processes write progress while requests write too: wait for
        # the lock rather than failing at once.
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    else:
        options.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Database:
    """An engine and a scoped session, bound when the application (or a job) starts."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.session_factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self.session_factory)
        self.metadata = Base.metadata

    def configure(self, url: str, **options: Any) -> Engine:
        """Bind to the database at `url`, replacing any previous binding."""
        if self._engine is not None and str(self._engine.url) == url:
            return self._engine
        self.dispose()
        self._engine = make_engine(url, **options)
        self.session_factory.configure(bind=self._engine)
        return self._engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("database is not configured; call Database.configure(url)")
        return self._engine

    def dispose(self) -> None:
        self.session.remove()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def release(self) -> None:
        """End the scoped session; a connection the server dropped is discarded, not raised.

        Closing rolls back the open transaction; when the database already cut the connection
        (restart, failover, `pg_terminate_backend`) there is nothing to roll back, and the
        answer already given must stand.
        """
        try:
            self.session.remove()
        except DBAPIError as exc:
            log.warning("discarding a database connection lost at the end of a request: %s", exc)
            self.session.registry().invalidate()
            self.session.registry.clear()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A fresh session committed on success and rolled back on error (for jobs)."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


db = Database()

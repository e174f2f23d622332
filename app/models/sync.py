"""Offline sync bookkeeping: the change feed, phones, pushed-mutation receipts, review flags.

The change feed is written by the session hooks at the end of this module, in the same
transaction as the change it describes, so no endpoint or job can forget to feed it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, utcnow


class SyncChange(Base):
    """One create/update/delete of a syncable record, positioned by a commit-serialised counter.

    `seq` is NULL while the writing transaction is open; it is assigned just before commit under
    a transaction-level advisory lock, so positions follow commit order (`position_changes`).
    `scope_key` names the scope unit the record belongs to: `v:<visit id>` for a visit and its
    children, `c:`/`s:`/`o:` for customers, sites, orders, `a:` for knowledge-base articles and
    `t` for checklist templates.
    """

    __tablename__ = "sync_changes"
    __table_args__ = (
        # Pull reads "changes of these scope units after this position": one index range per unit.
        Index("ix_sync_changes_scope_key_seq", "scope_key", "seq"),
        Index("ix_sync_changes_seq", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int | None] = mapped_column(BigInteger)
    scope_key: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(8))
    # Server time, only for retention; positions never come from a clock.
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SyncHorizon(Base):
    """How far the change feed has been pruned: cursors before `pruned_through_seq` must reset."""

    __tablename__ = "sync_horizon"

    id: Mapped[int] = mapped_column(primary_key=True)
    pruned_through_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_at: Mapped[dt.datetime | None]


class Device(Base):
    """A technician's phone, registered once; its tokens are bound to `device_id`."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), unique=True)
    technician_id: Mapped[int] = mapped_column(
        ForeignKey("technicians.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(120))
    platform: Mapped[str | None] = mapped_column(String(40))
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime | None]
    # The highest mutation id this device has had a definite answer for.
    last_acked_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)


class MutationReceipt(Base):
    """The stored answer to one pushed mutation, returned again when the device retries."""

    __tablename__ = "mutation_receipts"
    __table_args__ = (UniqueConstraint("device_pk", "mutation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_pk: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    mutation_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(60))
    content_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    device_time: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VisitReview(Base):
    """Offline work that reached a reassigned, cancelled or deleted visit: flagged for review.

    `visit_id` is NULL once the visit is gone (work pushed for a deleted visit, or a visit
    deleted after its review); `details["visit_id"]` still names it then.
    """

    __tablename__ = "visit_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )
    technician_id: Mapped[int | None] = mapped_column(
        ForeignKey("technicians.id", ondelete="SET NULL")
    )
    device_pk: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    mutation_id: Mapped[int | None] = mapped_column(BigInteger)
    mutation_name: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    resolution: Mapped[str | None] = mapped_column(String(500))

    device: Mapped[Device | None] = relationship()


class VisitAssignment(Base):
    """Every technician a visit was ever given to: late offline work is checked against it.

    `visit_id` is deliberately not a foreign key: the history outlives a deleted visit, so work
    a phone pushes for it afterwards is recognised as that technician's and goes to review.
    """

    __tablename__ = "visit_assignments"
    __table_args__ = (Index("ix_visit_assignments_visit_technician", "visit_id", "technician_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(Integer)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- Recording changes -------------------------------------------------------------------------
# Session hooks, installed when the models are imported: every create/update/delete of a syncable
# record through any session (back-office API, mobile push, jobs, CLI) writes its feed row in the
# same transaction. Bulk `session.execute(update(...))` statements bypass them: do not use those
# on syncable tables.

ADVISORY_LOCK_KEY = 0x5E_C0_FFEE  # one key for the whole feed: writers serialise at commit only


def _visit_key(visit_id: int | None) -> str:
    return f"v:{visit_id}"


def _syncables() -> dict[type, tuple[str, Any]]:
    from app.models.customers import Customer, Order, Site
    from app.models.knowledge import Article
    from app.models.visits import (
        ChecklistAnswer,
        ChecklistTemplate,
        Photo,
        Signature,
        Visit,
        VisitNote,
    )

    return {
        Visit: ("visit", lambda o: _visit_key(o.id)),
        VisitNote: ("note", lambda o: _visit_key(o.visit_id)),
        ChecklistAnswer: ("answer", lambda o: _visit_key(o.visit_id)),
        Photo: ("photo", lambda o: _visit_key(o.visit_id)),
        Signature: ("signature", lambda o: _visit_key(o.visit_id)),
        Customer: ("customer", lambda o: f"c:{o.id}"),
        Site: ("site", lambda o: f"s:{o.id}"),
        Order: ("order", lambda o: f"o:{o.id}"),
        ChecklistTemplate: ("template", lambda o: "t"),
        Article: ("article", lambda o: f"a:{o.id}"),
    }


_SYNCABLES: dict[type, tuple[str, Any]] = {}


def syncable_entities() -> dict[type, tuple[str, Any]]:
    """Model class -> (entity name, scope-key function) for every record the phones mirror."""
    if not _SYNCABLES:
        _SYNCABLES.update(_syncables())
    return _SYNCABLES


def _change_rows(session: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from sqlalchemy import inspect

    from app.models.visits import Visit, VisitSkill

    syncables = syncable_entities()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    assignments: list[dict[str, Any]] = []

    def note(obj: Any, op: str) -> None:
        entity, key_of = syncables[type(obj)]
        record_id = str(obj.id)
        previous = found.get((entity, record_id))
        if previous is not None and previous["op"] == "delete":
            return
        found[(entity, record_id)] = {
            "scope_key": key_of(obj),
            "entity": entity,
            "record_id": record_id,
            "op": op,
        }

    for obj in session.new:
        if type(obj) in syncables:
            note(obj, "upsert")
            if isinstance(obj, Visit) and obj.technician_id is not None:
                assignments.append({"visit_id": obj.id, "technician_id": obj.technician_id})
    for obj in session.dirty:
        if isinstance(obj, VisitSkill):
            found.setdefault(
                ("visit", str(obj.visit_id)),
                {
                    "scope_key": _visit_key(obj.visit_id),
                    "entity": "visit",
                    "record_id": str(obj.visit_id),
                    "op": "upsert",
                },
            )
            continue
        if type(obj) not in syncables or not session.is_modified(obj, include_collections=True):
            continue
        note(obj, "upsert")
        if isinstance(obj, Visit):
            history = inspect(obj).attrs.technician_id.history
            if history.added and history.added[0] is not None:
                assignments.append({"visit_id": obj.id, "technician_id": history.added[0]})
    for obj in session.deleted:
        if type(obj) in syncables:
            note(obj, "delete")
    return list(found.values()), assignments


def _record_changes(session: Any, _flush_context: Any) -> None:
    rows, assignments = _change_rows(session)
    if not rows and not assignments:
        return
    now = utcnow()
    connection = session.connection()
    if rows:
        connection.execute(
            SyncChange.__table__.insert(), [{**row, "created_at": now} for row in rows]
        )
        session.info["sync_unpositioned"] = True
    if assignments:
        connection.execute(
            VisitAssignment.__table__.insert(),
            [{**row, "assigned_at": now} for row in assignments],
        )
    if session.info.get("sync_positioned"):
        # A flush after positioning (e.g. another before_commit hook): we still hold the lock.
        position_changes(session)


POSITION_SEQUENCE = "sync_change_position"

# SQLite: one writer at a time, so MAX(seq) read inside the write transaction is current.
_SQLITE_POSITION_SQL = """
UPDATE sync_changes SET seq = numbered.seq
FROM (
    SELECT id,
           (SELECT COALESCE(MAX(seq), 0) FROM sync_changes)
           + ROW_NUMBER() OVER (ORDER BY id) AS seq
    FROM sync_changes WHERE seq IS NULL
) AS numbered
WHERE sync_changes.id = numbered.id
"""


def position_changes(session: Any) -> None:
    """Give this transaction's feed rows their positions: the commit-serialised counter.

    PostgreSQL: take the transaction-level advisory lock, then draw positions from a sequence.
    The lock is held until COMMIT, so the next writer draws its positions only after this one is
    visible: positions follow commit order, and a reader never sees position n+1 committed while
    n is still pending. A sequence (not MAX(seq)) keeps this true for writers in any isolation
    level. SQLite has a single writer and needs neither.
    """
    from sqlalchemy import text

    if not session.info.pop("sync_unpositioned", False):
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(text(_SQLITE_POSITION_SQL))
        session.info["sync_positioned"] = True
        return
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    # Rows of one transaction become visible together, so their order among themselves is moot.
    connection.execute(
        text(f"UPDATE sync_changes SET seq = nextval('{POSITION_SEQUENCE}') WHERE seq IS NULL")
    )
    session.info["sync_positioned"] = True


def _before_commit(session: Any) -> None:
    if session.in_nested_transaction():
        return
    session.flush()
    position_changes(session)


def _transaction_end(session: Any, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("sync_unpositioned", None)
        session.info.pop("sync_positioned", None)


def install_change_recording() -> None:
    """Hook every session so syncable writes feed the change log (idempotent)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if event.contains(Session, "after_flush", _record_changes):
        return
    event.listen(Session, "after_flush", _record_changes)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _transaction_end)

"""Reading the change feed: the pull protocol.

Cursor technique: a **commit-serialised counter**. Feed rows get their position (`seq`) just
before COMMIT while the writer holds a transaction-level advisory lock (see
`app.models.sync.position_changes`), so positions are handed out in commit order: once a reader
sees position n, every position below n is committed or never will be. A pull therefore reads
`seq > cursor` up to the current maximum without ever skipping a late commit. Device time and
`now()` are never positions.

A pull runs in one REPEATABLE READ snapshot (PostgreSQL), so the high-water mark, the scope,
the records and the "changed since" checks all describe the same instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.models import Device, SyncChange, SyncHorizon
from sync import records, scope
from sync.protocol import (
    CursorState,
    ResetRequired,
    decode_cursor,
    encode_cursor,
    scope_key_order,
)
from sync.records import RecordRef


@dataclass
class PullPage:
    """One pull answer: records to upsert, deleted or out of scope, and the next cursor."""

    upserts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[dict[str, Any]] = field(default_factory=list)
    removes: list[dict[str, Any]] = field(default_factory=list)
    cursor: str = ""
    has_more: bool = False
    last_acked_mutation_id: int = 0


def begin_read_snapshot(session: Session) -> None:
    """Start the pull's transaction as one consistent snapshot (no-op on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )


def high_water_mark(session: Session) -> int:
    """The highest committed feed position visible now."""
    return session.scalar(select(func.max(SyncChange.seq))) or 0


def pruned_through(session: Session) -> int:
    horizon = session.get(SyncHorizon, 1)
    return horizon.pruned_through_seq if horizon else 0


def pull(
    session: Session,
    device: Device,
    cursor: str | None,
    *,
    limit: int,
    settings: Settings,
    now: dt.datetime | None = None,
) -> PullPage:
    """Answer one pull for `device`: removals first, then snapshot pages or deltas."""
    if cursor:
        state = decode_cursor(
            cursor,
            settings.secret_key,
            device_id=device.device_id,
            technician_id=device.technician_id,
        )
        if state.seq < pruned_through(session):
            raise ResetRequired(
                "the cursor is older than the change history kept (%(days)s days); "
                "start a fresh sync",
                params={"days": settings.tombstone_retention_days},
                details={"retention_days": settings.tombstone_retention_days},
            )
    else:
        state = CursorState(device_id=device.device_id, technician_id=device.technician_id)
    mark = high_water_mark(session)
    if not cursor:
        # First sync: a snapshot as of `mark`; anything committed later arrives as a delta.
        state.seq = mark
    current = scope.scope_keys(session, device.technician_id, settings, now)
    page = PullPage(last_acked_mutation_id=device.last_acked_mutation_id)
    _leave(session, state, current, page)
    budget = limit
    while budget > 0:
        if state.todo:
            budget -= _snapshot_step(session, state, budget, page)
            continue
        sent, exhausted = _delta_step(session, state, mark, budget, page)
        budget -= sent
        if not exhausted:
            break
        state.seq = max(state.seq, mark)
        entering = current - state.held
        if not entering:
            break
        state.todo = sorted(entering, key=scope_key_order)
    page.has_more = (
        bool(state.todo) or bool(current - state.held) or _more_deltas(session, state, mark)
    )
    page.cursor = encode_cursor(state, settings.secret_key)
    return page


def _leave(session: Session, state: CursorState, current: set[str], page: PullPage) -> None:
    """Scope keys the device holds but should not: `remove` (or `delete` when gone for all)."""
    left = sorted(state.held - current, key=scope_key_order)
    state.held -= set(left)
    state.todo = [key for key in state.todo if key in current]
    for key in left:
        kind, _, raw = key.partition(":")
        if kind == "t":
            continue
        entity, record_id = records.KEY_KINDS[kind], int(raw)
        exists = session.get(records.ENTITY_MODELS[entity], record_id) is not None
        ref = RecordRef(entity, record_id).as_dict()
        if not exists:
            page.deletes.append(ref)
            continue
        page.removes.append(ref)
        if entity == "visit":
            page.removes.extend(r.as_dict() for r in records.children_of(session, record_id))


def _snapshot_step(session: Session, state: CursorState, budget: int, page: PullPage) -> int:
    """Send whole trees of the next entering scope keys; a tree is never split across pages."""
    sizes = records.tree_size(session, state.todo[:budget])
    taken: list[str] = []
    total = 0
    for key in state.todo[:budget]:
        if taken and total + sizes[key] > budget:
            break
        taken.append(key)
        total += sizes[key]
    # Records changed after the snapshot position come as deltas later: send them once, there.
    later = set(
        session.execute(
            select(SyncChange.entity, SyncChange.record_id).where(
                SyncChange.scope_key.in_(taken), SyncChange.seq > state.seq
            )
        ).all()
    )
    for entity, record in records.trees(session, taken):
        if (entity, str(record.id)) not in later:
            page.upserts.append(records.serialize(entity, record))
    state.todo = state.todo[len(taken) :]
    state.held.update(taken)
    return max(total, 1)


def _delta_step(
    session: Session, state: CursorState, mark: int, budget: int, page: PullPage
) -> tuple[int, bool]:
    """Send changes of held scope keys after the cursor; returns (records sent, caught up?)."""
    if not state.held:
        return 0, True
    rows = session.execute(
        select(SyncChange.seq, SyncChange.entity, SyncChange.record_id, SyncChange.op)
        .where(
            SyncChange.scope_key.in_(sorted(state.held)),
            SyncChange.seq > state.seq,
            SyncChange.seq <= mark,
        )
        .order_by(SyncChange.seq)
        .limit(budget)
    ).all()
    if not rows:
        return 0, True
    latest: dict[tuple[str, str], str] = {}
    for _seq, entity, record_id, op in rows:
        latest.pop((entity, record_id), None)
        latest[(entity, record_id)] = op
    by_entity: dict[str, list[int | str]] = {}
    for (entity, record_id), op in latest.items():
        if op == "upsert":
            by_entity.setdefault(entity, []).append(records.wire_id(entity, record_id))
    loaded = {entity: records.load(session, entity, ids) for entity, ids in by_entity.items()}
    for (entity, record_id), op in latest.items():
        wid = records.wire_id(entity, record_id)
        record = loaded.get(entity, {}).get(wid)
        if op == "delete":
            page.deletes.append(RecordRef(entity, wid).as_dict())
        elif record is not None:
            page.upserts.append(records.serialize(entity, record))
    state.seq = rows[-1].seq
    return len(rows), len(rows) < budget


def _more_deltas(session: Session, state: CursorState, mark: int) -> bool:
    if not state.held:
        return False
    found = session.scalar(
        select(SyncChange.id)
        .where(
            SyncChange.scope_key.in_(sorted(state.held)),
            SyncChange.seq > state.seq,
            SyncChange.seq <= mark,
        )
        .limit(1)
    )
    return found is not None


def touch_device(session: Session, device: Device, now: dt.datetime | None = None) -> None:
    """Record when the device last synced (at most once a minute, to spare writes)."""
    now = now or utcnow()
    if device.last_seen is None or now - device.last_seen > dt.timedelta(seconds=60):
        device.last_seen = now
        session.flush()


def prune(session: Session, *, retention_days: int, now: dt.datetime | None = None) -> int:
    """Drop feed rows older than the retention; cursors before them will get `reset_required`."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    through = session.scalar(select(func.max(SyncChange.seq)).where(SyncChange.created_at < cutoff))
    if through is None:
        return 0
    result = session.execute(delete(SyncChange).where(SyncChange.seq <= through))
    horizon = session.get(SyncHorizon, 1) or SyncHorizon(id=1)
    horizon.pruned_through_seq = max(horizon.pruned_through_seq or 0, through)
    horizon.pruned_at = now or utcnow()
    session.add(horizon)
    session.flush()
    return result.rowcount or 0

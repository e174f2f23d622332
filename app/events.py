"""Domain events: services publish what happened; the rules module reacts in the same transaction.

`publish(session, event)` runs every handler subscribed to the event's type at once, inside the
caller's transaction (after the service has flushed), so a rule's writes commit or roll back
with the change that triggered it. Work that must not run before the commit (sending messages,
background jobs) is registered with `after_commit(session, callback)`.

The rules are loaded on the first publish, so they fire whichever path (HTTP API, sync push,
job, command) produced the event.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

RULES_MODULE = "app.rules"


class DomainEvent:
    """Base class of the events services publish."""


@dataclass(frozen=True)
class VisitCompleted(DomainEvent):
    visit_id: int
    kind: str
    customer_id: int
    order_id: int | None
    actor_user_id: int | None
    source: str


@dataclass(frozen=True)
class VisitStatusChanged(DomainEvent):
    """A visit moved along the state machine (`change_id`: its status-history entry)."""

    visit_id: int
    change_id: int
    from_status: str
    to_status: str
    source: str


@dataclass(frozen=True)
class VisitRescheduled(DomainEvent):
    """A booked visit moved so that the customer's arrival window or day changed.

    Published by the visit service's commit hook, whichever path moved the visit (see
    `app.services.visits`). `version`: the visit's version after the move (one message per move).
    """

    visit_id: int
    customer_id: int
    version: int


@dataclass(frozen=True)
class VisitCalledOff(DomainEvent):
    """A booked visit lost the time the customer was told: back to be planned, or cancelled.

    Published by the same commit hook as `VisitRescheduled`, whichever path took the visit off
    its day (unscheduled, unassigned, left out of a published plan, cancelled). `told_start` and
    `told_end`: the arrival window the customer knew; `version`: the visit's version after it.
    """

    visit_id: int
    customer_id: int
    version: int
    told_start: dt.datetime
    told_end: dt.datetime
    cancelled: bool


@dataclass(frozen=True)
class OrderCreated(DomainEvent):
    order_id: int
    customer_id: int
    actor_user_id: int | None


@dataclass(frozen=True)
class OrderStageChanged(DomainEvent):
    order_id: int
    from_stage: str | None
    to_stage: str
    actor_user_id: int | None


@dataclass(frozen=True)
class RatingSubmitted(DomainEvent):
    rating_id: int
    visit_id: int
    customer_id: int
    csat: int
    nps: int | None
    is_edit: bool


@dataclass(frozen=True)
class ComplaintOpened(DomainEvent):
    complaint_id: int
    customer_id: int


@dataclass(frozen=True)
class ComplaintAdvanced(DomainEvent):
    complaint_id: int
    customer_id: int
    step_id: int
    to_stage: str


@dataclass(frozen=True)
class CustomerTagged(DomainEvent):
    customer_id: int
    tag: str


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]
_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)
_rules_loaded = False


def subscribe(event_type: type[E]) -> Callable[[Callable[[Session, E], None]], Any]:
    """Decorator: run the function whenever an event of `event_type` is published."""

    def register(func: Callable[[Session, E], None]) -> Callable[[Session, E], None]:
        if func not in _handlers[event_type]:
            _handlers[event_type].append(func)
        return func

    return register


def publish(session: Session, event: DomainEvent) -> None:
    """Run the handlers of `event` now, in the caller's transaction."""
    load_rules()
    log.debug("event %s", event)
    for handler in list(_handlers.get(type(event), ())):
        handler(session, event)


def load_rules() -> None:
    """Import the rules module once so its handlers are subscribed."""
    global _rules_loaded
    if not _rules_loaded:
        importlib.import_module(RULES_MODULE)
        _rules_loaded = True


def after_commit(session: Session, callback: Callable[[], None], *, key: str | None = None) -> None:
    """Run `callback` once the session's transaction commits; dropped on rollback.

    A `key` makes repeated registrations within one transaction run once.
    """
    pending: dict[str, Callable[[], None]] = session.info.setdefault("after_commit", {})
    pending[key or f"cb{len(pending)}:{id(callback)}"] = callback


@sa_event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    pending = session.info.pop("after_commit", None)
    for name, callback in (pending or {}).items():
        try:
            callback()
        except Exception:
            # The transaction is already committed; the work it triggered is retried by
            # its own job (the outbox and thumbnails are picked up again later).
            log.exception("after-commit task %s failed", name)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous: Any) -> None:
    # A savepoint rolled back leaves the outer transaction (and its work) alive.
    if not getattr(previous, "nested", False):
        session.info.pop("after_commit", None)

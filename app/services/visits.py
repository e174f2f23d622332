"""Visit use cases: the status state machine's only entry point, assignment and skills."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, event, func, inspect, or_, select
from sqlalchemy.orm import Session, selectinload

from app.database import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed, VersionConflict
from app.events import VisitCalledOff, VisitRescheduled, VisitStatusChanged, publish
from app.i18n.text import N_, Text
from app.models import (
    Customer,
    LockState,
    Order,
    Site,
    Skill,
    Technician,
    TechnicianSkill,
    User,
    Visit,
    VisitSkill,
    VisitStatus,
    VisitStatusChange,
)
from app.models.visits import allowed_next, clears_schedule
from app.services import schedule_checks
from app.services.access import visit_scope
from app.services.records import get_or_404
from app.services.visit_windows import arrival_window, window_from


def change_status(
    session: Session,
    visit: Visit,
    to: VisitStatus,
    *,
    actor_user_id: int | None,
    source: str = "api",
    device_time: dt.datetime | None = None,
) -> VisitStatusChange:
    """Move a visit along the state machine and record who did it; illegal moves are refused.

    Unscheduling (scheduled or dispatched -> new) also clears the technician, planned start
    and lock, so the visit can be planned again and leaves the technician's phone on next sync.
    """
    if to not in allowed_next(visit.status):
        allowed = ", ".join(sorted(allowed_next(visit.status))) or "none (final)"
        raise InvalidTransition(
            "visit %(visit)s cannot move from %(from)s to %(to)s; allowed: %(allowed)s",
            params={"visit": visit.id, "from": visit.status, "to": to, "allowed": allowed},
            details={"from": str(visit.status), "to": str(to)},
        )
    change = VisitStatusChange(
        visit_id=visit.id,
        from_status=visit.status,
        to_status=to,
        actor_user_id=actor_user_id,
        source=source,
        at=utcnow(),
        device_time=device_time,
    )
    if clears_schedule(visit.status, to):
        visit.technician_id, visit.planned_start, visit.lock = None, None, LockState.NONE
    previous = visit.status
    visit.status = to
    visit.status_changed_at = change.at
    session.add(change)
    session.flush()
    publish(
        session,
        VisitStatusChanged(
            visit_id=visit.id,
            change_id=change.id,
            from_status=str(previous),
            to_status=str(to),
            source=source,
        ),
    )
    return change


def unschedule(
    session: Session, visit: Visit, *, actor_user_id: int | None, source: str
) -> VisitStatusChange | None:
    """Take a planned visit off its technician's day: no technician, no time, no lock, `new`.

    Phones learn it through sync like any other change of the visit.
    """
    visit.technician_id = None
    visit.planned_start = None
    visit.lock = LockState.NONE
    if visit.status == VisitStatus.NEW:
        session.flush()
        return None
    return change_status(
        session, visit, VisitStatus.NEW, actor_user_id=actor_user_id, source=source
    )


def set_required_skills(session: Session, visit: Visit, skills: Iterable[tuple[str, int]]) -> None:
    """Replace a visit's required skills, given as (skill code, minimum level)."""
    wanted = dict(skills)
    by_code = _skills_by_code(session, wanted, field="required_skills")
    # The skill itself too, not only its id: checks read `skill.code` before any flush.
    visit.required_skills = [
        VisitSkill(skill_id=by_code[code].id, skill=by_code[code], min_level=level)
        for code, level in wanted.items()
    ]


def set_technician_skills(
    session: Session, technician: Technician, skills: Iterable[tuple[str, int]]
) -> None:
    """Replace a technician's skills, given as (skill code, level)."""
    wanted = dict(skills)
    by_code = _skills_by_code(session, wanted)
    technician.skills = [
        TechnicianSkill(skill_id=by_code[code].id, level=level) for code, level in wanted.items()
    ]


def _skills_by_code(
    session: Session, codes: Iterable[str], *, field: str = "skills"
) -> dict[str, Skill]:
    codes = list(codes)
    found = {s.code: s for s in session.scalars(select(Skill).where(Skill.code.in_(codes)))}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise ValidationFailed(
            "unknown skill code(s): %(codes)s",
            params={"codes": ", ".join(missing)},
            fields={field: [f"unknown skill code {code!r}" for code in missing]},
        )
    return found


def check_assignment(visit: Visit, technician: Technician | None) -> None:
    """Refuse assigning a visit to an inactive technician or one lacking a required skill."""
    if technician is None:
        return
    if not technician.active:
        raise ValidationFailed(
            "%(technician)s is inactive",
            params={"technician": _technician(technician.id)},
            fields={"technician_id": ["technician is inactive"]},
        )
    levels = technician.skill_levels()
    lacking = [
        f"{vs.skill.code} (level {vs.min_level})"
        for vs in visit.required_skills
        if levels.get(vs.skill.code, 0) < vs.min_level
    ]
    if lacking:
        raise ValidationFailed(
            "%(technician)s lacks required skill(s): %(skills)s",
            params={"technician": _technician(technician.id), "skills": ", ".join(lacking)},
            code="skill_mismatch",
            fields={"technician_id": [f"lacks {item}" for item in lacking]},
        )


def _technician(technician_id: int) -> Text:
    # A parameter the console replaces with the technician's name.
    return Text(N_("technician %(id)s"), {"id": technician_id})


_TECHNICIAN_MOVES = frozenset(
    {VisitStatus.EN_ROUTE, VisitStatus.ON_SITE, VisitStatus.COMPLETED, VisitStatus.INCOMPLETE}
)
_SCHEDULE_FIELDS = ("technician_id", "planned_start", "window_start", "window_end")
_UNDER_WAY = (VisitStatus.EN_ROUTE, VisitStatus.ON_SITE)


def check_technician_transition(to: VisitStatus) -> None:
    """Technicians move their own visits through execution only; scheduling is the dispatcher's."""
    if to not in _TECHNICIAN_MOVES:
        raise Forbidden("technicians cannot move a visit to %(to)s", params={"to": to})


def search(
    session: Session, user: User, query: dict[str, Any], *, tz: ZoneInfo
) -> Select[tuple[Visit]]:
    """Visits matching a list query, limited to what `user` may see."""
    stmt = (
        select(Visit)
        .options(selectinload(Visit.customer))  # the list shows each visit's customer name
        .where(visit_scope(session, user))
        .order_by(Visit.planned_start.is_(None), Visit.planned_start, Visit.id)
    )
    if query.get("status"):
        stmt = stmt.where(Visit.status.in_(query["status"]))
    for name in ("kind", "technician_id", "customer_id"):
        if name in query:
            stmt = stmt.where(getattr(Visit, name) == query[name])
    if "unassigned" in query:
        stmt = stmt.where(Visit.technician_id.is_(None) == query["unassigned"])
    when = func.coalesce(Visit.planned_start, Visit.window_start)
    if "date_from" in query:
        stmt = stmt.where(when >= _local_midnight(query["date_from"], tz))
    if "date_to" in query:
        stmt = stmt.where(when < _local_midnight(query["date_to"] + dt.timedelta(days=1), tz))
    if "q" in query:
        # autoescape: `%` and `_` in the search text match themselves, not any text.
        text = query["q"]
        stmt = stmt.where(
            Visit.customer.has(
                or_(
                    Customer.name.icontains(text, autoescape=True),
                    Customer.phone.icontains(text, autoescape=True),
                )
            )
        )
    return stmt


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def create_visit(
    session: Session, data: dict[str, Any], *, actor_user_id: int | None, source: str = "api"
) -> Visit:
    """Create a visit in status `new` after checking what it points to.

    `source` says where the request came from (api, phone, self_service, …); the first entry of
    the visit's status history keeps it.
    """
    skills = data.pop("required_skills", [])
    visit = Visit(status=VisitStatus.NEW, status_changed_at=utcnow())
    with session.no_autoflush:
        set_required_skills(session, visit, ((s["code"], s["min_level"]) for s in skills))
        _apply_visit_fields(session, visit, {**data, "required_skills": skills})
    check_lock(visit)
    session.add(visit)
    session.flush()
    record_creation(session, visit, actor_user_id=actor_user_id, source=source)
    if visit.technician_id is not None and visit.planned_start is not None:
        # Created already placed: it must fit that day like any move (see `schedule_checks`).
        schedule_checks.lock_days(
            session,
            schedule_checks.days_touched(session, [(visit.technician_id, visit.planned_start)]),
        )
        schedule_checks.require_feasible(session, [visit])
    return visit


def record_creation(
    session: Session, visit: Visit, *, actor_user_id: int | None, source: str
) -> VisitStatusChange:
    """Start a new visit's status history (the first entry has no `from_status`).

    The entry is written with the session's next flush: seeding hundreds of visits flushes once.
    """
    change = VisitStatusChange(
        visit_id=visit.id,
        from_status=None,
        to_status=visit.status,
        actor_user_id=actor_user_id,
        source=source,
        at=visit.status_changed_at,
    )
    session.add(change)
    return change


def update_visit(session: Session, visit: Visit, data: dict[str, Any]) -> Visit:
    """Change a visit's fields; a closed visit and in-progress schedule fields are frozen."""
    if not visit.is_open:
        raise Conflict(
            "visit %(visit)s is %(status)s and can no longer be changed",
            params={"visit": visit.id, "status": visit.status},
            code="visit_closed",
        )
    under_way = visit.lock == LockState.IN_PROGRESS or visit.status in _UNDER_WAY
    if under_way and any(
        name in data and data[name] != getattr(visit, name) for name in _SCHEDULE_FIELDS
    ):
        raise Conflict(
            "visit %(visit)s is in progress; its technician and times cannot move",
            params={"visit": visit.id},
            code="visit_locked",
        )
    skills = data.pop("required_skills", None)
    with session.no_autoflush:
        if skills is not None:
            set_required_skills(session, visit, ((s["code"], s["min_level"]) for s in skills))
            data = {**data, "required_skills": skills}
        _apply_visit_fields(session, visit, data)
    check_lock(visit)
    session.flush()
    return visit


# Fields whose change can make a placed visit stop fitting its technician's day.
_PLACEMENT_FIELDS = frozenset(
    {
        "technician_id",
        "planned_start",
        "duration_min",
        "window_start",
        "window_end",
        "sla_due",
        "sla_hard",
        "required_skills",
        "lock",
    }
)


def edit_visit(
    session: Session,
    visit_id: int,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor_user_id: int | None = None,
) -> Visit:
    """A back-office edit of a visit; one that touches its placement is checked like a move.

    Clearing the technician or the planned start of a booked (scheduled or dispatched) visit
    unschedules it, as the transition to `new` does: no technician, no time, no lock.

    Inside the advisory locks of the technician-days before and after the edit, the visit is
    re-read and must still fit (see `schedule_checks`): 422 for the placement itself (skills,
    shift, window), 409 when it clashes with other work on that day.
    """
    visit = get_or_404(session, Visit, visit_id)
    placing = bool(_PLACEMENT_FIELDS & set(data))
    if placing:
        after = (
            data.get("technician_id", visit.technician_id),
            data.get("planned_start", visit.planned_start),
        )
        schedule_checks.lock_days(
            session,
            schedule_checks.days_touched(
                session, [(visit.technician_id, visit.planned_start), after]
            ),
        )
        session.refresh(visit, with_for_update=True)
    check_schedule_edit(visit, expected_version)
    update_visit(session, visit, data)
    if visit.status in ANNOUNCED and _clears_placement(data):
        unschedule(session, visit, actor_user_id=actor_user_id, source="api")
    if placing:
        schedule_checks.require_feasible(session, [visit])
    return visit


def _clears_placement(data: dict[str, Any]) -> bool:
    return any(name in data and data[name] is None for name in ("technician_id", "planned_start"))


def check_schedule_edit(visit: Visit, expected_version: int) -> None:
    """Refuse a back-office edit only if someone changed dispatcher-owned fields since its base.

    Edits based on an older version merge over what the technician changed meanwhile (status,
    notes, answers): different owners, different fields, so both survive.
    """
    if expected_version == visit.version:
        return
    if visit.schedule_version <= expected_version < visit.version:
        return
    raise VersionConflict(
        "visit %(visit)s's schedule changed since version %(expected)s "
        "(now version %(current)s); reload and retry",
        params={"visit": visit.id, "expected": expected_version, "current": visit.version},
        details={"current_version": visit.version},
    )


def check_lock(visit: Visit) -> None:
    """A lock must have something to hold: a technician, a planned start, or both."""
    needs_technician = visit.lock in (LockState.TECHNICIAN, LockState.TECHNICIAN_TIME)
    needs_time = visit.lock in (LockState.TIME, LockState.TECHNICIAN_TIME)
    if needs_technician and visit.technician_id is None:
        raise ValidationFailed(
            "lock %(lock)s needs an assigned technician",
            params={"lock": visit.lock},
            fields={"lock": ["assign a technician before locking to it"]},
        )
    if needs_time and visit.planned_start is None:
        raise ValidationFailed(
            "lock %(lock)s needs a planned start",
            params={"lock": visit.lock},
            fields={"lock": ["plan a start time before locking to it"]},
        )


def _apply_visit_fields(session: Session, visit: Visit, data: dict[str, Any]) -> None:
    merged = {
        name: data.get(name, getattr(visit, name))
        for name in (
            "customer_id",
            "site_id",
            "order_id",
            "window_start",
            "window_end",
            "depends_on_visit_id",
            "technician_id",
        )
    }
    customer = get_or_404(session, Customer, merged["customer_id"])
    site = get_or_404(session, Site, merged["site_id"])
    if site.customer_id != customer.id:
        raise ValidationFailed(
            "site %(site)s belongs to another customer",
            params={"site": site.id},
            fields={"site_id": ["belongs to another customer"]},
        )
    if merged["order_id"] is not None:
        order = get_or_404(session, Order, merged["order_id"])
        if order.customer_id != customer.id:
            raise ValidationFailed(
                "order %(order)s belongs to another customer",
                params={"order": order.id},
                fields={"order_id": ["belongs to another customer"]},
            )
    start, end = merged["window_start"], merged["window_end"]
    if start and end and end <= start:
        raise ValidationFailed(
            "window_end must be after window_start",
            fields={"window_end": ["must be after window_start"]},
        )
    if merged["depends_on_visit_id"] is not None:
        if visit.id is not None and merged["depends_on_visit_id"] == visit.id:
            raise ValidationFailed(
                "a visit cannot depend on itself",
                fields={"depends_on_visit_id": ["refers to this visit"]},
            )
        get_or_404(session, Visit, merged["depends_on_visit_id"])
    for name, value in data.items():
        if name != "required_skills":
            setattr(visit, name, value)
    technician = (
        get_or_404(session, Technician, merged["technician_id"])
        if merged["technician_id"] is not None
        else None
    )
    if "technician_id" in data or "required_skills" in data:
        check_assignment(visit, technician)


def check_deletable(visit: Visit) -> None:
    """Only a visit entered by mistake may be deleted: nobody started it and its customer was
    never told a time. The rest are cancelled: a booked one so that its customer hears of it
    (the called-off message, once), every one so that its history stays."""
    if visit.status not in (VisitStatus.NEW, VisitStatus.SCHEDULED):
        raise Conflict(
            "visit %(visit)s is %(status)s; cancel it instead of deleting it",
            params={"visit": visit.id, "status": visit.status},
            code="visit_started",
        )
    if is_booked(visit):
        raise Conflict(
            "visit %(visit)s is booked and its customer was told when; cancel it instead of "
            "deleting it, so that they are told it is off",
            params={"visit": visit.id},
            code="visit_booked",
        )


def is_booked(visit: Visit) -> bool:
    """Whether the customer has been told when the visit is (scheduled or dispatched, timed)."""
    return visit.status in ANNOUNCED and arrival_window(visit) is not None


# --- Reschedules and called-off visits ----------------------------------------------------------
# The customer hears of every move of a booked visit to another arrival window or day, and of a
# booked visit losing its time (unscheduled, unassigned, left out of a published plan, cancelled),
# whichever path made it (board, API, plan publish, urgent insertion, a job): session hooks
# compare, once per transaction, the window the customer was told with what the visit ends with,
# and publish `VisitRescheduled` or `VisitCalledOff` at most once per visit however many layers
# and flushes the change went through. Another technician in the same window is no news to the
# customer.

# Statuses in which the customer has been told when the visit is.
ANNOUNCED = frozenset({VisitStatus.SCHEDULED, VisitStatus.DISPATCHED})
_WINDOW_FIELDS = ("status", "planned_start", "window_start", "window_end")
_TOLD = "visits_told_windows"  # session.info: visit id -> the window the customer knows
_QUIET = "visits_told_otherwise"  # session.info: visits whose move the customer hears of anyway


def told_otherwise(session: Session, visit: Visit) -> None:
    """The customer hears of this visit's move or cancellation in this transaction by another
    message (the answer to their own change request): no reschedule or called-off message."""
    session.info.setdefault(_QUIET, set()).add(visit.id)


def _before_value(visit: Visit, name: str) -> Any:
    history = inspect(visit).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return getattr(visit, name)


def _told_window(visit: Visit) -> tuple[dt.datetime, dt.datetime] | None:
    """The window the customer was told before the pending change; None if never told."""
    if _before_value(visit, "status") not in ANNOUNCED:
        return None
    return window_from(*(_before_value(visit, name) for name in _WINDOW_FIELDS[1:]))


def _note_told_windows(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush, keep what the customer knew of each visit whose times change: the
    first flush of the transaction sees the committed values, so later flushes are skipped."""
    told: dict[int, Any] = session.info.setdefault(_TOLD, {})
    for obj in session.dirty:
        if not isinstance(obj, Visit) or obj.id in told:
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in _WINDOW_FIELDS):
            told[obj.id] = _told_window(obj)


def _news_for(
    visit: Visit, told: tuple[dt.datetime, dt.datetime]
) -> VisitRescheduled | VisitCalledOff | None:
    """What the customer, told `told`, must hear of the visit as it is now; None for nothing."""
    if visit.status in ANNOUNCED:
        after = arrival_window(visit)
        if after is not None and after != told:
            return VisitRescheduled(
                visit_id=visit.id, customer_id=visit.customer_id, version=visit.version
            )
        return None
    if visit.status in (VisitStatus.NEW, VisitStatus.CANCELLED):
        return _called_off(visit, told, cancelled=visit.status == VisitStatus.CANCELLED)
    return None  # under way or finished: the technician's own steps tell the customer


def _called_off(
    visit: Visit, told: tuple[dt.datetime, dt.datetime], *, cancelled: bool
) -> VisitCalledOff:
    return VisitCalledOff(
        visit_id=visit.id,
        customer_id=visit.customer_id,
        version=visit.version,
        told_start=told[0],
        told_end=told[1],
        cancelled=cancelled,
    )


def _announce_reschedules(session: Session) -> None:
    """Before the commit, publish `VisitRescheduled` for each booked visit whose window moved
    and `VisitCalledOff` for each that lost its time or was cancelled."""
    if session.in_nested_transaction():
        return
    session.flush()
    told: dict[int, Any] = session.info.pop(_TOLD, None) or {}
    quiet: set[int] = session.info.pop(_QUIET, None) or set()
    for visit_id, before in told.items():
        if before is None or visit_id in quiet:
            continue
        visit = session.get(Visit, visit_id)
        news = _news_for(visit, before) if visit is not None else None
        if news is not None:
            publish(session, news)


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_TOLD, None)
        session.info.pop(_QUIET, None)


def install_reschedule_notices() -> None:
    """Hook every session so a booked visit's move or loss of its time tells the customer
    (idempotent).

    Runs before the other before-commit hooks (the change feed's), so the messages' writes are
    flushed before the feed is positioned.
    """
    if event.contains(Session, "before_flush", _note_told_windows):
        return
    event.listen(Session, "before_flush", _note_told_windows)
    event.listen(Session, "before_commit", _announce_reschedules, insert=True)
    event.listen(Session, "after_transaction_end", _forget)


install_reschedule_notices()

"""Whatever dispatchers, runs and phones do, and in whatever order, a published day stays feasible.

A stateful property test on the real PostgreSQL schema: random sequences of full and filtered
runs, publishes, urgent insertions, moves, edits, locks, cancellations, technician
deactivations and work on the phone; after every step no technician is double-booked, every
placed visit lies inside a shift of its technician, who holds its skills, open visits start
inside their hard windows, and visits under way or done never move.

Each example runs in one transaction rolled back at its end, each step in a savepoint (as a
request's transaction): a refused step leaves nothing behind. Runs use the planner's greedy
construction without the timed search, so an example takes tens of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

import dispatch
from app.database import db, utcnow
from app.errors import AppError
from app.models import (
    Customer,
    DispatchRun,
    LockState,
    Site,
    Skill,
    Technician,
    TechnicianSkill,
    Visit,
    VisitKind,
    VisitSkill,
    VisitStatus,
)
from app.services import schedule_checks
from app.services import visits as visit_service
from app.services.board import edits
from app.services.dispatching.insertion import insert_urgent
from app.services.dispatching.publish import publish_run
from app.services.dispatching.runs import RunRequest, create_run, store_proposal
from app.services.dispatching.solving import compute_proposal
from dispatch import explain, translate
from dispatch.insertion import construct
from tests.examples import examples

TZ = ZoneInfo("Asia/Shanghai")
OUTCOMES: Counter[str] = Counter()  # what the steps did, shown with -s
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Short days on purpose: work competes for time, so runs leave visits out and plans change.
SHIFTS = {
    "day": [["08:00", "17:00"]],
    "morning": [["09:00", "13:00"]],
    "split": [["08:00", "11:00"], ["14:00", "17:00"]],
}
SKILLS = {"measure": "measure", "install": "install_cabinet", "repair": "repair"}
UNDER_WAY_OR_DONE = (
    VisitStatus.EN_ROUTE,
    VisitStatus.ON_SITE,
    VisitStatus.COMPLETED,
    VisitStatus.INCOMPLETE,
)
NEXT_ON_THE_PHONE = {
    VisitStatus.SCHEDULED: VisitStatus.DISPATCHED,
    VisitStatus.DISPATCHED: VisitStatus.EN_ROUTE,
    VisitStatus.EN_ROUTE: VisitStatus.ON_SITE,
    VisitStatus.ON_SITE: VisitStatus.COMPLETED,
}


def construction_only(problem: dispatch.Problem, **_: Any) -> dispatch.Plan:
    """The planner without its timed search: pre-checks, greedy insertion, explanations."""
    excluded = explain.precheck(problem)
    tr = translate.build(problem, None, excluded)
    routes = construct(tr.core) if tr.core.nodes else [[] for _ in tr.core.vehicles]
    placed = {node for route in routes for node in route}
    dropped = [node for node in tr.core.nodes if node not in placed]
    unassigned = [dispatch.Unassigned(vid, reasons) for vid, reasons in excluded.items()]
    unassigned += explain.audit(tr, routes, dropped)
    return translate.plan_from_routes(tr, routes, unassigned)


def tomorrow() -> dt.date:
    return utcnow().astimezone(TZ).date() + dt.timedelta(days=1)


def at(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ) + dt.timedelta(minutes=minutes)


technicians_st = st.lists(
    st.tuples(
        st.sets(st.sampled_from(sorted(SKILLS)), min_size=1),
        st.sampled_from(sorted(SHIFTS)),
    ),
    min_size=2,
    max_size=3,
)
visits_st = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(sorted(SKILLS)),
            "duration_min": st.sampled_from([60, 90, 120, 180]),
            "window_from": st.integers(8 * 4, 15 * 4),  # quarter hours after midnight
            "window_hours": st.sampled_from([1, 2, 4]),
            "priority": st.integers(1, 5),
            "site": st.integers(0, 2),
            "sla_hard": st.booleans(),
        }
    ),
    min_size=3,
    max_size=8,
)
quarter_st = st.integers(7 * 4, 18 * 4)


class DispatchDay(RuleBasedStateMachine):
    """One service day tomorrow, worked on by dispatchers, the optimizer and technicians."""

    def __init__(self) -> None:
        super().__init__()
        self.connection = db.engine.connect()
        self.transaction = self.connection.begin()
        self.session = Session(
            bind=self.connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        self.day = tomorrow()
        self.technician_ids: list[int] = []
        self.technicians: dict[int, SimpleNamespace] = {}
        self.visit_ids: list[int] = []
        self.run_ids: list[int] = []
        self.frozen: dict[int, tuple[int | None, dt.datetime | None]] = {}

    def teardown(self) -> None:
        self.session.close()
        self.transaction.rollback()
        self.connection.close()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """One request's transaction: kept when it succeeds, undone when it is refused."""
        try:
            yield
            self.session.commit()
            OUTCOMES[f"{name}: done"] += 1
        except AppError as refused:
            self.session.rollback()
            OUTCOMES[f"{name}: refused ({refused.code})"] += 1

    # --- the day ----------------------------------------------------------------------------

    @initialize(
        technicians=technicians_st,
        visits=visits_st,
        first_run=st.sampled_from([None, *sorted(SKILLS)]),
    )
    def a_day(
        self,
        technicians: list[tuple[set[str], str]],
        visits: list[dict[str, Any]],
        first_run: str | None,
    ) -> None:
        """Technicians, visits and a first plan, published (of one kind of work, or all)."""
        s = self.session
        skills = {kind: Skill(code=code, name=code) for kind, code in SKILLS.items()}
        customer = Customer(name="Zhang Min", phone="13800000000", tags=[])
        sites = [
            Site(customer=customer, address=f"{i} Huaihai Rd", lat=31.22 + i * 0.01, lon=121.46)
            for i in range(3)
        ]
        s.add_all([*skills.values(), customer, *sites])
        for index, (kinds, shift) in enumerate(technicians):
            tech = Technician(
                name=f"Technician {index}",
                home_lat=31.23,
                home_lon=121.47,
                time_zone="Asia/Shanghai",
                shift_pattern=dict.fromkeys(EVERY_DAY, SHIFTS[shift]),
                days_off=[],
                skills=[TechnicianSkill(skill=skills[k], level=2) for k in sorted(kinds)],
            )
            s.add(tech)
        for spec in visits:
            start = at(self.day, spec["window_from"] * 15)
            s.add(
                Visit(
                    kind=VisitKind(spec["kind"]),
                    customer=customer,
                    site=sites[spec["site"]],
                    duration_min=spec["duration_min"],
                    window_start=start,
                    window_end=start + dt.timedelta(hours=spec["window_hours"]),
                    sla_due=start + dt.timedelta(hours=spec["window_hours"]),
                    sla_hard=spec["sla_hard"],
                    priority=spec["priority"],
                    status=VisitStatus.NEW,
                    required_skills=[VisitSkill(skill=skills[spec["kind"]], min_level=1)],
                )
            )
        s.commit()
        # What the invariants need of each technician; no step changes shifts or skills.
        self.technicians = {
            t.id: SimpleNamespace(
                name=t.name,
                time_zone=t.time_zone,
                shift_pattern=t.shift_pattern,
                days_off=t.days_off,
                skill_levels=t.skill_levels(),
            )
            for t in s.scalars(select(Technician))
        }
        self.technician_ids = sorted(self.technicians)
        self.visit_ids = list(s.scalars(select(Visit.id).order_by(Visit.id)))
        self._run(first_run, None, keep=False, only=None, publish=True)

    def _visit(self, pick: int) -> Visit:
        return self.session.get(Visit, self.visit_ids[pick % len(self.visit_ids)])

    def _technician_id(self, pick: int) -> int:
        return self.technician_ids[pick % len(self.technician_ids)]

    # --- what people do ---------------------------------------------------------------------

    @rule(
        kind=st.sampled_from([None, *sorted(SKILLS)]),
        some=st.none() | st.integers(1, 255),
        keep=st.booleans(),
        only=st.none() | st.integers(0, 2),
        publish=st.booleans(),
    )
    def run_the_optimizer(
        self, kind: str | None, some: int | None, keep: bool, only: int | None, publish: bool
    ) -> None:
        """A run, maybe filtered, and maybe its publication at once."""
        self._run(kind, some, keep=keep, only=only, publish=publish)

    @rule(keep=st.booleans())
    def rerun_the_day_and_publish(self, keep: bool) -> None:
        """What a dispatcher does most: re-optimize the whole day and publish it."""
        self._run(None, None, keep=keep, only=None, publish=True)

    def _run(
        self, kind: str | None, some: int | None, *, keep: bool, only: int | None, publish: bool
    ) -> None:
        """A run, and maybe its publication at once: a fresh proposal always publishes."""
        picked = tuple(v for i, v in enumerate(self.visit_ids) if some and some >> i & 1)
        request = RunRequest(
            first_day=self.day,
            kinds=(kind,) if kind else (),
            visit_ids=picked,
            technician_ids=(self._technician_id(only),) if only is not None else (),
            keep_published=keep,
            time_limit_s=1,
        )
        with self.step("run"):
            run = create_run(self.session, request, user_id=None)
            versions, proposal = compute_proposal(
                self.session, request, TZ, solve=construction_only
            )
            store_proposal(run, versions, proposal)
            self.session.flush()
            self._assert_clear_of_other_work(run.proposal, versions)
            self.run_ids.append(run.id)
            for name in ("to_unschedule", "kept", "fixed"):
                OUTCOMES[f"run: {name} > 0"] += bool(run.proposal[name])
        if publish:
            try:
                publish_run(self.session, run, user_id=None, tz=TZ)
            except AppError as refused:
                raise AssertionError(f"a fresh proposal was refused: {refused.details}") from None
            self.session.commit()
            OUTCOMES["run and publish: done"] += 1

    @precondition(lambda self: self.run_ids)
    @rule(pick=st.integers(0, 20))
    def publish(self, pick: int) -> None:
        with self.step("publish"):
            run = self.session.get(DispatchRun, self.run_ids[pick % len(self.run_ids)])
            publish_run(self.session, run, user_id=None, tz=TZ)

    @rule(pick=st.integers(0, 20))
    def insert_urgently(self, pick: int) -> None:
        with self.step("insert"):
            insert_urgent(self.session, self._visit(pick), tz=TZ, apply=True, user_id=None)

    @rule(pick=st.integers(0, 20), technician=st.integers(0, 2), quarter=st.integers(-2, 12))
    def move_on_the_board(self, pick: int, technician: int, quarter: int) -> None:
        """A move to about the visit's window (a little before it, mostly inside)."""
        visit = self._visit(pick)
        start = (visit.window_start or at(self.day, 9 * 60)) + dt.timedelta(minutes=15 * quarter)
        with self.step("move"):
            edits.move_visit(
                self.session,
                visit,
                self._technician_id(technician),
                start,
                tz=TZ,
                actor_user_id=None,
                now=utcnow(),
            )

    @rule(
        pick=st.integers(0, 20),
        change=st.one_of(
            st.fixed_dictionaries({"duration_min": st.sampled_from([15, 45, 90, 180])}),
            st.fixed_dictionaries({"planned_start": quarter_st}),
            st.fixed_dictionaries({"technician_id": st.integers(0, 2)}),
            st.fixed_dictionaries({"window_start": quarter_st, "window_hours": st.integers(1, 3)}),
            st.fixed_dictionaries({"sla_hard": st.booleans()}),
            st.fixed_dictionaries({"required_skills": st.sampled_from(sorted(SKILLS))}),
        ),
    )
    def edit_through_the_api(self, pick: int, change: dict[str, Any]) -> None:
        visit = self._visit(pick)
        data: dict[str, Any] = {}
        if "duration_min" in change or "sla_hard" in change:
            data = dict(change)
        elif "planned_start" in change:
            data = {"planned_start": at(self.day, change["planned_start"] * 15)}
        elif "technician_id" in change:
            data = {"technician_id": self._technician_id(change["technician_id"])}
        elif "window_start" in change:
            start = at(self.day, change["window_start"] * 15)
            data = {
                "window_start": start,
                "window_end": start + dt.timedelta(hours=change["window_hours"]),
            }
        else:
            data = {
                "required_skills": [{"code": SKILLS[change["required_skills"]], "min_level": 1}]
            }
        with self.step("edit"):
            visit_service.edit_visit(self.session, visit.id, data, expected_version=visit.version)

    @rule(pick=st.integers(0, 20), lock=st.sampled_from(list(LockState)))
    def lock_or_unlock(self, pick: int, lock: LockState) -> None:
        with self.step("lock"):
            edits.set_lock(self.session, self._visit(pick), lock)

    @rule(pick=st.integers(0, 20), now=st.integers(0, 2))
    def cancel(self, pick: int, now: int) -> None:
        if now:
            return  # rarer than the other steps: cancelled visits take no part in the day
        visit = self._visit(pick)
        with self.step("cancel"):
            visit_service.change_status(
                self.session, visit, VisitStatus.CANCELLED, actor_user_id=None
            )
        if visit.status == VisitStatus.CANCELLED:
            # work called off on site (the customer sends the fitter home) leaves the day; what
            # must not move is work that goes on
            self.frozen.pop(visit.id, None)

    @rule(pick=st.integers(0, 11))
    def deactivate_a_technician(self, pick: int) -> None:
        if pick > 2:
            return  # rarer than the other steps: a day without technicians tests little
        with self.step("deactivate"):
            self.session.get(Technician, self._technician_id(pick)).active = False
            self.session.flush()

    @rule(pick=st.integers(0, 20))
    def work_on_the_phone(self, pick: int) -> None:
        visit = self._visit(pick)
        following = NEXT_ON_THE_PHONE.get(visit.status)
        if following is None or visit.technician_id is None or visit.planned_start is None:
            return
        with self.step("phone"):
            visit_service.change_status(self.session, visit, following, actor_user_id=None)
        if visit.status in UNDER_WAY_OR_DONE:
            self.frozen.setdefault(visit.id, (visit.technician_id, visit.planned_start))

    # --- what must always hold --------------------------------------------------------------

    def _placed(self) -> list[Visit]:
        self.session.expire_all()
        return list(
            self.session.scalars(
                select(Visit).where(
                    Visit.technician_id.is_not(None),
                    Visit.planned_start.is_not(None),
                    Visit.status != VisitStatus.CANCELLED,
                )
            )
        )

    def _assert_clear_of_other_work(self, proposal: dict[str, Any], versions: dict[str, int]):
        others = [v for v in self._placed() if str(v.id) not in versions]
        for a in proposal["assignments"]:
            start = dt.datetime.fromisoformat(a["planned_start"])
            end = dt.datetime.fromisoformat(a["end"])
            for v in others:
                if v.technician_id == a["technician_id"]:
                    v_end = v.planned_start + dt.timedelta(minutes=v.duration_min)
                    assert not (v.planned_start < end and start < v_end), (
                        f"proposal puts visit {a['visit_id']} over promised visit {v.id}"
                    )

    @invariant()
    def the_day_is_feasible(self) -> None:
        """No overlap, shifts, skills, hard windows; work under way or done never moves."""
        placed = self._placed()
        self._no_technician_is_double_booked(placed)
        for visit in placed:
            self._fits_its_technician(visit, self.technicians[visit.technician_id])
        now = {v.id: (v.technician_id, v.planned_start) for v in placed}
        for visit_id, placement in self.frozen.items():
            assert now.get(visit_id) == placement, (
                f"visit {visit_id} moved after its technician started it"
            )

    @staticmethod
    def _no_technician_is_double_booked(placed: list[Visit]) -> None:
        ordered = sorted(placed, key=lambda v: (v.technician_id, v.planned_start))
        for a, b in itertools.pairwise(ordered):
            if a.technician_id == b.technician_id:
                a_end = a.planned_start + dt.timedelta(minutes=a.duration_min)
                assert b.planned_start >= a_end, f"visits {a.id} and {b.id} overlap"

    @staticmethod
    def _fits_its_technician(visit: Visit, tech: SimpleNamespace) -> None:
        start = visit.planned_start
        end = start + dt.timedelta(minutes=visit.duration_min)
        periods = schedule_checks.periods_of(tech, schedule_checks.day_of(tech, start))
        assert any(p.start <= start and end <= p.end for p in periods), (
            f"visit {visit.id} at {start} is outside {tech.name}'s shifts"
        )
        if visit.status in UNDER_WAY_OR_DONE:
            return
        levels = tech.skill_levels
        for need in visit.required_skills:
            assert levels.get(need.skill.code, 0) >= need.min_level, (
                f"{tech.name} lacks {need.skill.code} for visit {visit.id}"
            )
        if visit.window_start is not None:
            assert visit.window_start <= start <= visit.window_end, (
                f"visit {visit.id} starts outside its window"
            )
        if visit.sla_hard and visit.sla_due is not None:
            assert start <= visit.sla_due, f"visit {visit.id} starts past its hard SLA"


@pytest.mark.usefixtures("session")
def test_a_published_day_stays_feasible_whatever_happens() -> None:
    started = time.process_time()
    run_state_machine_as_test(
        DispatchDay,
        settings=settings(
            max_examples=examples(80),
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # Visible with -s: what the examples cost this process (the database works apart).
    print(f"state machine: {time.process_time() - started:.1f} s CPU in this process")
    print(", ".join(f"{name} {count}" for name, count in sorted(OUTCOMES.items())))


def _visit_spec(
    kind: str, minutes: int, quarter: int, hours: int, priority: int, site: int, hard: bool
) -> dict[str, Any]:
    return {
        "kind": kind,
        "duration_min": minutes,
        "window_from": quarter,
        "window_hours": hours,
        "priority": priority,
        "site": site,
        "sla_hard": hard,
    }


@pytest.mark.usefixtures("session")
def test_rerunning_a_day_twice_keeping_published_work_still_publishes() -> None:
    """A visit kept in its published slot sat where the planner took Technician 0's lunch."""
    machine = DispatchDay()
    try:
        machine.a_day(
            [({"install", "measure"}, "day"), ({"install"}, "day")],
            [
                _visit_spec("measure", 60, 37, 4, 5, 2, True),
                _visit_spec("install", 120, 60, 4, 3, 0, False),
                _visit_spec("install", 60, 36, 4, 5, 1, True),
                _visit_spec("install", 180, 53, 4, 1, 1, True),
                _visit_spec("install", 60, 32, 4, 1, 2, True),
                _visit_spec("measure", 90, 47, 1, 1, 2, True),
                _visit_spec("install", 120, 57, 2, 1, 0, False),
                _visit_spec("install", 90, 49, 2, 4, 1, False),
            ],
            "measure",
        )
        machine.rerun_the_day_and_publish(keep=True)
        machine.rerun_the_day_and_publish(keep=True)  # refused (no_room_for_break) before
        machine.the_day_is_feasible()
    finally:
        machine.teardown()

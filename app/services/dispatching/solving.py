"""Solving a run: its snapshot through the planner into the proposal, with the diff against
the published plan and the published visits it leaves out."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import dispatch
from app.services import schedule_checks
from app.services.dispatching.proposal import (
    Assignment,
    Change,
    Diff,
    FixedVisit,
    LeftOut,
    Proposal,
    Route,
    Slot,
    Unassigned,
)
from app.services.dispatching.runs import RunRequest
from app.services.dispatching.snapshot import (
    Busy,
    Snapshot,
    build_snapshot,
    current_assignments,
)
from app.services.proposal_figures import Reason, kpi_deltas, plan_kpis, readable_reason


class ProgressWriter:
    """Writes the solver's phase and best cost to the run row, at most once a second."""

    def __init__(self, commit_progress: Callable[[str, float | None, int], None]) -> None:
        self._commit = commit_progress
        self._last = 0.0
        self._solutions = 0

    def __call__(self, phase: str, best_cost: float) -> None:
        if phase == "search":
            self._solutions += 1
        now = time.monotonic()
        if phase != "search" or now - self._last >= 1.0:
            self._last = now
            self._commit(phase, best_cost if phase == "search" else None, self._solutions)


Solver = Callable[..., dispatch.Plan]


def compute_proposal(
    session: Session,
    request: RunRequest,
    tz: ZoneInfo,
    progress: Callable[[str, float], None] | None = None,
    *,
    solve: Solver = dispatch.solve,
) -> tuple[dict[str, int], Proposal]:
    """Solve a run's problem; returns the visit versions read and the proposal.

    `solve(problem, progress=...)` is the planner (`dispatch.solve`).
    """
    snapshot = build_snapshot(session, request, tz)
    if not any(t.shifts for t in snapshot.problem.technicians):
        plan = published = nobody_on_duty(snapshot.problem)
    else:
        plan = solve(snapshot.problem, progress=progress)
        published = dispatch.evaluate(snapshot.problem, current_assignments(snapshot))
    return snapshot.visit_versions, build_proposal(snapshot, plan, published)


def nobody_on_duty(problem: dispatch.Problem) -> dispatch.Plan:
    """The plan when no selected technician works in the horizon: every visit explained."""
    last = problem.horizon_start + dt.timedelta(days=problem.horizon_days - 1)
    reason = dispatch.Reason(
        "no_technician_on_duty",
        f"No selected technician works between {problem.horizon_start} and {last}.",
    )
    unassigned = [dispatch.Unassigned(v.id, [reason]) for v in problem.visits]
    with_sla = sum(1 for v in problem.visits if v.sla_due is not None)
    kpis = dispatch.Kpis(
        travel_km=0.0,
        travel_min=0,
        utilisation=0.0,
        on_time_share=1.0,
        sla_misses=with_sla,
        assigned=0,
        unassigned=len(unassigned),
    )
    return dispatch.Plan(routes=[], unassigned=unassigned, kpis=kpis, status="no_technicians")


def build_proposal(snapshot: Snapshot, plan: dispatch.Plan, published: dispatch.Plan) -> Proposal:
    """The proposal of `plan`: routes, assignments, reasons, KPIs and the diff.

    Promised work outside the run (`fixed`) is listed apart and never assigned. Published
    visits the proposal leaves out are either `to_unschedule` (publishing takes them off their
    technician's day) or, with `keep_published`, `kept` in their published slot.
    """
    assignments = {
        stop.visit_id: Assignment(
            visit_id=int(stop.visit_id),
            technician_id=int(route.technician_id),
            day=route.day,
            planned_start=stop.start,
            arrival=stop.arrival,
            end=stop.end,
            wait_min=stop.wait_min,
            slack_min=stop.slack_min,
            late_min=stop.late_min,
            sequence=index,
        )
        for route in plan.routes
        for index, stop in enumerate(route.stops)
        if stop.visit_id not in snapshot.fixed
    }
    names = snapshot.technician_names
    reasons = {
        u.visit_id: tuple(readable_reason(r, names) for r in u.reasons)
        for u in plan.unassigned
        if u.visit_id not in snapshot.fixed
    }
    to_unschedule, kept = _clear_of_promised_work(snapshot, assignments, reasons)
    unassigned = [Unassigned(int(vid), why) for vid, why in reasons.items()]
    unassigned += snapshot.held_back
    # The run's own visits only: promised work rides along in the problem.
    proposed_kpis = replace(
        plan_kpis(snapshot.problem, plan),
        assigned=len(assignments),
        unassigned=len(unassigned),
    )
    published_kpis = replace(
        plan_kpis(snapshot.problem, published),
        assigned=len(snapshot.published),
        unassigned=len(snapshot.visit_versions) - len(snapshot.published),
    )
    return Proposal(
        status=plan.status,
        routes=tuple(_route(r, set(assignments)) for r in plan.routes),
        assignments=tuple(sorted(assignments.values(), key=lambda a: a.visit_id)),
        unassigned=tuple(sorted(unassigned, key=lambda u: u.visit_id)),
        fixed=tuple(
            FixedVisit(int(vid), int(busy.technician_id), busy.start, busy.end)
            for vid, busy in sorted(snapshot.fixed.items(), key=lambda item: int(item[0]))
        ),
        to_unschedule=to_unschedule,
        kept=kept,
        kpis=proposed_kpis,
        published_kpis=published_kpis,
        kpi_deltas=kpi_deltas(proposed_kpis, published_kpis),
        diff=schedule_diff(snapshot.published, assignments),
    )


def _clear_of_promised_work(
    snapshot: Snapshot,
    assignments: dict[str, Assignment],
    reasons: dict[str, tuple[Reason, ...]],
) -> tuple[tuple[LeftOut, ...], tuple[LeftOut, ...]]:
    """Take out of `assignments` whatever overlaps promised work; returns the published visits
    left out: those to unschedule and those kept in their slot, each with its reasons.

    Promised work is `fixed` plus the published slots kept: with `keep_published` every one
    the solver could not keep, else those of active technicians outside the run (it did not
    plan their days). Taking an assignment out can leave another published visit out, so this
    repeats until nothing overlaps.
    """
    while True:
        left_out = [vid for vid in snapshot.published if vid not in assignments]
        kept = [
            vid
            for vid in left_out
            if snapshot.keep_published or snapshot.published[vid][0] in snapshot.outside_run
        ]
        busy = dict(snapshot.fixed)
        for vid in kept:
            tech, start = snapshot.published[vid]
            busy[vid] = Busy(tech, start, start + dt.timedelta(minutes=snapshot.durations[vid]))
        clashes = {
            vid: other
            for vid, a in assignments.items()
            if (other := _first_overlap(a, busy)) is not None
        }
        for vid, other in clashes.items():
            del assignments[vid]
            reasons[vid] = (
                Reason(
                    "overlaps_promised_work",
                    f"Visit {vid} would overlap visit {other} that technician "
                    f"{busy[other].technician_id} is already committed to.",
                    {"visit_id": int(other)},
                ),
            )
        if clashes:
            continue
        # The solver took its break around its own visits only: promised work kept in its
        # slot may sit where that break was, leaving the day no break publishing accepts.
        crowding = _crowding_the_break(snapshot, assignments, busy)
        if crowding is None:
            break
        vid, technician_id, lunch = crowding
        del assignments[vid]
        name = snapshot.technician_names.get(technician_id, technician_id)
        reasons[vid] = (
            Reason(
                "no_room_for_break",
                f"Visit {vid} would leave {name} no {lunch.duration_min}-minute break "
                f"around the work already promised that day.",
                {"technician_id": int(technician_id)},
            ),
        )
    entries = {
        vid: LeftOut(
            visit_id=int(vid),
            technician_id=int(snapshot.published[vid][0]),
            planned_start=snapshot.published[vid][1],
            reasons=reasons.get(vid) or (_NO_LONGER_FITS,),
        )
        for vid in sorted(left_out, key=int)
    }
    return (
        tuple(entry for vid, entry in entries.items() if vid not in kept),
        tuple(entry for vid, entry in entries.items() if vid in kept),
    )


_NO_LONGER_FITS = Reason("not_in_proposal", "The proposal found no place for this visit.", {})


def _crowding_the_break(
    snapshot: Snapshot, assignments: dict[str, Assignment], busy: dict[str, Busy]
) -> tuple[str, str, schedule_checks.LunchBreak] | None:
    """An assignment to take out so that a technician's day keeps room for its break, with
    that technician and break; None when every day has room.

    The rule is publishing's (`schedule_checks.lunch_fits`) over the proposal and the promised
    work kept around it. The latest-starting assignment inside the break's window goes first.
    """
    for technician in snapshot.problem.technicians:
        for shift in technician.shifts:
            if shift.break_ is None:
                continue
            lunch = schedule_checks.LunchBreak(
                shift.break_.earliest_start, shift.break_.latest_end, shift.break_.duration_min
            )
            mine = [
                (vid, a)
                for vid, a in assignments.items()
                if str(a.technician_id) == technician.id
                and shift.start <= a.planned_start < shift.end
            ]
            promised = [
                (b.start, b.end)
                for b in busy.values()
                if b.technician_id == technician.id and b.start < shift.end and shift.start < b.end
            ]
            placed = [(a.planned_start, a.end) for _, a in mine]
            if schedule_checks.lunch_fits(lunch, [*promised, *placed]):
                continue
            inside = [
                (a.planned_start, vid)
                for vid, a in mine
                if a.planned_start < lunch.latest_end and lunch.earliest_start < a.end
            ]
            # promised work alone crowding the break refuses every visit of the day
            candidates = inside or [(a.planned_start, vid) for vid, a in mine]
            if candidates:
                return max(candidates)[1], technician.id, lunch
    return None


def _first_overlap(assignment: Assignment, busy: dict[str, Busy]) -> str | None:
    tech = str(assignment.technician_id)
    start, end = assignment.planned_start, assignment.end
    for vid, b in busy.items():
        same_technician = vid != str(assignment.visit_id) and b.technician_id == tech
        if same_technician and b.start < end and start < b.end:
            return vid
    return None


def _route(route: dispatch.Route, assigned: set[str]) -> Route:
    return Route(
        technician_id=int(route.technician_id),
        day=route.day,
        start=route.start,
        end=route.end,
        break_start=route.break_start,
        travel_km=round(route.travel_km, 2),
        travel_min=route.travel_min,
        visit_ids=tuple(int(s.visit_id) for s in route.stops if s.visit_id in assigned),
    )


def schedule_diff(
    published: dict[str, tuple[str, dt.datetime]], proposed: dict[str, Assignment]
) -> Diff:
    """Visits added, moved (same technician, other time), reassigned and dropped."""
    changes: dict[str, list[Change]] = {}
    for visit_id in sorted(set(published) | set(proposed), key=int):
        before, after = published.get(visit_id), proposed.get(visit_id)
        change = Change(
            int(visit_id),
            Slot(int(before[0]), before[1]) if before else None,
            Slot(after.technician_id, after.planned_start) if after else None,
        )
        changes.setdefault(_change_kind(change), []).append(change)
    return Diff(**{kind: tuple(found) for kind, found in changes.items()})


def _change_kind(change: Change) -> str:
    before, after = change.before, change.after
    if before is None:
        return "added" if after else "unchanged"
    if after is None:
        return "dropped"
    if before.technician_id != after.technician_id:
        return "reassigned"
    return "unchanged" if before.planned_start == after.planned_start else "moved"

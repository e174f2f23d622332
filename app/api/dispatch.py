"""Dispatcher API: run the optimizer, watch it, inspect the proposal, publish it, start the day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from sqlalchemy import select

from app.api.fields import BoundedDate, JsonBoolean, Strict, aware_datetime
from app.api.pagination import SelectPage
from app.api.security import STAFF, current_user, requires
from app.api.settings import local_zone, settings
from app.database import db, utcnow
from app.jobs.dispatching import start_solving
from app.models import DispatchRun, RunStatus, Visit
from app.services import day_start, run_health
from app.services.dispatching import insertion, publish, runs
from app.services.dispatching.proposal import from_json, to_json
from app.services.records import get_or_404

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1/dispatch")


class RunRequestSchema(Strict):
    first_day = BoundedDate(
        metadata={
            "description": "First day planned (default: tomorrow); "
            f"at most {runs.PLAN_REACH_DAYS} days from today"
        }
    )
    days = ma.fields.Integer(load_default=1, validate=validate.Range(1, 14))
    technician_ids = ma.fields.List(ma.fields.Integer(), load_default=list)
    visit_ids = ma.fields.List(ma.fields.Integer(), load_default=list)
    kinds = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(["measure", "install", "repair"])),
        load_default=list,
    )
    time_limit_s = ma.fields.Float(load_default=10.0, validate=validate.Range(1, 600))
    keep_published = JsonBoolean(
        load_default=False,
        metadata={
            "description": "Keep published visits with their technicians: one the planner "
            "cannot fit keeps its published slot (listed in the proposal's `kept`) instead of "
            "being unscheduled on publish (`to_unschedule`)"
        },
    )

    @ma.validates("first_day")
    def _near_today(self, value: dt.date, **_: Any) -> None:
        if not runs.near_today(value, utcnow().astimezone(local_zone()).date()):
            raise ma.ValidationError(f"must be within {runs.PLAN_REACH_DAYS} days of today")


class ProposalField(ma.fields.Dict):
    """The stored proposal, read into the typed proposal and written back: the API serves
    exactly the shape `app.services.dispatching.proposal` defines."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else to_json(from_json(value))


class ReasonSchema(Strict):
    code = ma.fields.String()
    message = ma.fields.String()
    details = ma.fields.Dict()


class RouteStopSchema(Strict):
    visit_id = ma.fields.Integer()
    technician_id = ma.fields.Integer()
    day = ma.fields.Date()
    planned_start = aware_datetime()
    sequence = ma.fields.Integer()


class RunZoneSchema(Strict):
    zone = ma.fields.Integer()
    technicians = ma.fields.Integer()
    visits = ma.fields.Integer()
    phase = ma.fields.String()
    best_cost = ma.fields.Float(allow_none=True)
    solutions_found = ma.fields.Integer()
    placed = ma.fields.Integer(allow_none=True)
    cpu_s = ma.fields.Float(allow_none=True)
    started_at = aware_datetime(allow_none=True)
    finished_at = aware_datetime(allow_none=True)
    error = ma.fields.String(allow_none=True)


class RunSchema(Strict):
    id = ma.fields.Integer()
    status = ma.fields.String()
    phase = ma.fields.String()
    best_cost = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "The solver's internal objective (arbitrary units, lower is better); "
            "only for watching progress. The proposal's `kpis` are the readable figures."
        },
    )
    solutions_found = ma.fields.Integer()
    zones = ma.fields.List(
        ma.fields.Nested(RunZoneSchema),
        metadata={"description": "A large day split across workers: progress of each zone "
                  "(empty when the day is solved whole)"},
    )
    params = ma.fields.Dict()
    created_at = aware_datetime()
    started_at = aware_datetime(allow_none=True)
    finished_at = aware_datetime(allow_none=True)
    elapsed_s = ma.fields.Method("_elapsed")
    error = ma.fields.String(
        allow_none=True,
        metadata={"description": "Why a failed run failed (a stale run names its last heartbeat)"},
    )
    heartbeat_at = aware_datetime(
        allow_none=True,
        metadata={
            "description": "Last sign of life of the solving process; a running run without "
            "one for RUN_STALE_AFTER seconds is failed and can be retried"
        },
    )
    retry_of_run_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The failed run this run retries"}
    )
    published_at = aware_datetime(allow_none=True)
    proposal = ProposalField(
        allow_none=True,
        metadata={
            "description": "routes, assignments, unassigned (with reasons naming technicians), "
            "fixed (promised work the run planned around), to_unschedule (published visits it "
            "leaves out, with reasons: publishing unschedules them), kept (published visits left "
            "in their slot), kpis, published_kpis, kpi_deltas and diff (added, moved, reassigned, "
            "dropped). KPIs: travel_km (km), travel_hours and work_hours (hours), utilisation_pct "
            "(work hours / shift hours of the technicians used, %), sla_visits (visits with an "
            "SLA due), sla_misses (of those, started late or left unassigned), on_time_pct "
            "(100 * (sla_visits - sla_misses) / sla_visits; 100 when none has an SLA), "
            "assigned, unassigned. Times are planned to the second (ISO 8601). Routes: "
            "travel_km (km, 3 decimals), travel_min (whole minutes of driving, rounded up). "
            "Assignments: wait_min (whole minutes waiting before the start, rounded down), "
            "slack_min (whole minutes the start could move later, rounded down), late_min "
            "(whole minutes started after the SLA due, rounded up; 0 when on time)"
        },
    )

    def _elapsed(self, run: DispatchRun) -> float | None:
        if run.started_at is None:
            return None
        return round(((run.finished_at or utcnow()) - run.started_at).total_seconds(), 1)


class RunSummarySchema(RunSchema):
    class Meta:
        exclude = ("proposal",)


class UnscheduledSchema(Strict):
    visit_id = ma.fields.Integer()
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))


class PublishResultSchema(Strict):
    run = ma.fields.Nested(RunSummarySchema)
    updated_visit_ids = ma.fields.List(ma.fields.Integer())
    unscheduled = ma.fields.List(
        ma.fields.Nested(UnscheduledSchema),
        metadata={
            "description": "Published visits the proposal left out, now back to `new` without "
            "technician or time, each with why"
        },
    )
    kept_visit_ids = ma.fields.List(
        ma.fields.Integer(),
        metadata={
            "description": "Published visits the proposal left out but kept in their slot "
            "(`keep_published`, or their technician was not in the run)"
        },
    )


@blp.route("/runs", strict_slashes=False)
class Runs(MethodView):
    @requires(*STAFF)
    @blp.response(200, RunSummarySchema(many=True))
    @blp.paginate(SelectPage)
    def get(self) -> Any:
        """List dispatch runs, newest first"""
        return select(DispatchRun).order_by(DispatchRun.id.desc())

    @requires(*STAFF)
    @blp.arguments(RunRequestSchema)
    @blp.response(202, RunSummarySchema)
    def post(self, data: dict[str, Any]) -> DispatchRun:
        """Start an optimizer run in the background; poll it for progress and the proposal"""
        first_day = data.pop("first_day", None) or (
            utcnow().astimezone(local_zone()).date() + dt.timedelta(days=1)
        )
        request = runs.RunRequest(
            first_day=first_day,
            days=data["days"],
            technician_ids=tuple(data["technician_ids"]),
            visit_ids=tuple(data["visit_ids"]),
            kinds=tuple(data["kinds"]),
            time_limit_s=data["time_limit_s"],
            keep_published=data["keep_published"],
        )
        run = runs.create_run(db.session, request, user_id=current_user().id)
        db.session.commit()
        return _solve(run)


def _solve(run: DispatchRun) -> DispatchRun:
    start_solving(settings(), run.id)
    return run


@blp.route("/runs/<int:run_id>")
class RunById(MethodView):
    @requires(*STAFF)
    @blp.response(200, RunSchema)
    def get(self, run_id: int) -> DispatchRun:
        """A run: status and progress while it runs, then the proposal with its diff

        A running run whose solving process stopped beating is failed on the spot (with the
        reason in `error`), so a poller never waits on a dead run.
        """
        run = get_or_404(db.session, DispatchRun, run_id)
        if run.status == RunStatus.RUNNING:
            stale = run_health.fail_stale_runs(
                db.session, utcnow(), stale_after_s=settings().run_stale_after_s, run_ids=(run.id,)
            )
            db.session.commit()
            if stale:
                db.session.refresh(run)
        return run


@blp.route("/runs/<int:run_id>/retry")
class RetryRun(MethodView):
    @requires(*STAFF)
    @blp.response(202, RunSummarySchema)
    def post(self, run_id: int) -> DispatchRun:
        """Retry a failed run: a new run with the same request (409 unless the run failed)"""
        run = get_or_404(db.session, DispatchRun, run_id)
        again = run_health.retry_run(db.session, run, user_id=current_user().id)
        db.session.commit()
        return _solve(again)


@blp.route("/runs/<int:run_id>/publish")
class PublishRun(MethodView):
    @requires(*STAFF)
    @blp.response(200, PublishResultSchema)
    def post(self, run_id: int) -> dict[str, Any]:
        """Publish a proposal in one transaction (409 naming what changed since, if anything)

        Published visits it leaves out (`to_unschedule`) are unscheduled in the same
        transaction; the result must fit every technician's day as it is now.
        """
        run = get_or_404(db.session, DispatchRun, run_id)
        result = publish.publish_run(
            db.session, run, user_id=current_user().id, tz=local_zone()
        )
        db.session.commit()
        return {
            "run": result.run,
            "updated_visit_ids": result.updated,
            "unscheduled": result.unscheduled,
            "kept_visit_ids": result.kept,
        }


class InsertionRequestSchema(Strict):
    visit_id = ma.fields.Integer(required=True)
    apply = JsonBoolean(
        load_default=False, metadata={"description": "Assign the visit at once"}
    )


class InsertionResultSchema(Strict):
    visit_id = ma.fields.Integer()
    assignment = ma.fields.Nested(RouteStopSchema, allow_none=True)
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    applied = ma.fields.Boolean()
    route = ma.fields.List(
        ma.fields.Nested(RouteStopSchema),
        metadata={"description": "The technician-day's route, re-timed (saved whole on apply)"},
    )


@blp.route("/insertions")
class Insertions(MethodView):
    @requires(*STAFF)
    @blp.arguments(InsertionRequestSchema)
    @blp.response(200, InsertionResultSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Fit one urgent visit into its day's published plan (cheapest insertion, no re-solve)"""
        visit = get_or_404(db.session, Visit, data["visit_id"])
        result = insertion.insert_urgent(
            db.session, visit, tz=local_zone(), apply=data["apply"], user_id=current_user().id
        )
        db.session.commit()
        return result


class DayStartSchema(Strict):
    day = BoundedDate(metadata={"description": "Today in the service time zone"})
    dispatched_visit_ids = ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "Visits moved from scheduled to dispatched (empty when none)"},
    )


@blp.route("/today")
class DispatchToday(MethodView):
    @requires(*STAFF)
    @blp.response(200, DayStartSchema)
    def post(self) -> day_start.DayStart:
        """Start the day: today's scheduled visits become dispatched, so technicians can set off

        The day-start job does the same at DAY_START_HOUR; running it again changes nothing.
        """
        tz = local_zone()
        started = day_start.start_day(
            db.session,
            day_start.local_today(utcnow(), tz),
            tz,
            actor_user_id=current_user().id,
            source="dispatcher",
        )
        db.session.commit()
        return started

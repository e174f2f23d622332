"""Periodic jobs, registered with rq-scheduler: `flask schedule-jobs --run` keeps them going."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from rq.job import Job
from rq.serializers import JSONSerializer
from rq_scheduler import Scheduler

from app.config import Settings
from app.jobs import connect, queue
from app.jobs.day_start import DAY_START_JOB_ID, dispatch_today
from app.jobs.messages import deliver_pending
from app.jobs.runs import STALE_RUNS_JOB_ID, fail_stale
from app.jobs.sla import SLA_JOB_ID, check_sla
from sync.jobs import prune_feed


class JsonJob(Job):
    """An rq job serialised as JSON like every job here (rq-scheduler pickles by default)."""

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> Job:
        kwargs["serializer"] = JSONSerializer
        return super().create(*args, **kwargs)

    @classmethod
    def fetch(cls, id: str, connection: Any = None, serializer: Any = None) -> Job:
        return super().fetch(id, connection=connection, serializer=JSONSerializer)


DAY_S = 24 * 3600


@dataclass(frozen=True)
class Periodic:
    """A job the scheduler enqueues every `interval(settings)` seconds.

    With `at_hour`, the first run is at that local hour (service time zone) of today, or of
    tomorrow once it has passed: a daily job at a configured time.
    """

    job_id: str
    func: Callable[[], Any]
    interval: Callable[[Settings], int]
    description: str
    at_hour: Callable[[Settings], int] | None = None

    def first_run(self, settings: Settings, now: dt.datetime) -> dt.datetime:
        """When the scheduler first enqueues this job (UTC)."""
        if self.at_hour is None:
            return now
        tz = ZoneInfo(settings.time_zone)
        local = now.astimezone(tz)
        at = dt.datetime.combine(local.date(), dt.time(self.at_hour(settings)), tzinfo=tz)
        if at <= local:
            at += dt.timedelta(days=1)
        return at.astimezone(dt.UTC)


PERIODIC_JOBS = (
    Periodic(
        SLA_JOB_ID,
        check_sla,
        lambda s: s.sla_check_interval_s,
        "SLA check: re-time today's routes, warn and escalate",
    ),
    Periodic(
        "periodic-outbox-delivery",
        deliver_pending,
        lambda s: 300,
        "Retry outbox messages whose delivery failed",
    ),
    Periodic(
        "periodic-sync-prune",
        prune_feed,
        lambda s: DAY_S,
        "Drop sync feed rows older than the tombstone retention",
    ),
    Periodic(
        DAY_START_JOB_ID,
        dispatch_today,
        lambda s: DAY_S,
        "Start the day: today's published visits become dispatched",
        at_hour=lambda s: s.day_start_hour,
    ),
    Periodic(
        STALE_RUNS_JOB_ID,
        fail_stale,
        # rq-scheduler keeps whole seconds (and truncates): round a fractional interval up
        lambda s: max(1, math.ceil(s.run_stale_check_s)),
        "Fail optimizer runs whose solving process stopped beating",
    ),
)


def scheduler_for(settings: Settings) -> Scheduler:
    """An rq-scheduler Scheduler feeding this app's queue."""
    return Scheduler(queue=queue(settings), connection=connect(settings), job_class=JsonJob)


def register_periodic_jobs(scheduler: Scheduler, settings: Settings) -> list[Job]:
    """(Re)register every periodic job; registering twice keeps one of each."""
    jobs = []
    now = dt.datetime.now(dt.UTC)
    for periodic in PERIODIC_JOBS:
        if periodic.job_id in scheduler:
            scheduler.cancel(periodic.job_id)
        jobs.append(
            scheduler.schedule(
                scheduled_time=periodic.first_run(settings, now),
                func=periodic.func,
                interval=periodic.interval(settings),
                repeat=None,
                id=periodic.job_id,
                description=periodic.description,
            )
        )
    return jobs

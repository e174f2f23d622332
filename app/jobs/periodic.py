"""Periodic jobs, registered with rq-scheduler: `flask schedule-jobs --run` keeps them going."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rq.job import Job
from rq.serializers import JSONSerializer
from rq_scheduler import Scheduler

from app.config import Settings
from app.jobs import connect, queue
from app.jobs.messages import deliver_pending
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


@dataclass(frozen=True)
class Periodic:
    """A job the scheduler enqueues every `interval(settings)` seconds."""

    job_id: str
    func: Callable[[], Any]
    interval: Callable[[Settings], int]
    description: str


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
        lambda s: 24 * 3600,
        "Drop sync feed rows older than the tombstone retention",
    ),
)


def scheduler_for(settings: Settings) -> Scheduler:
    """An rq-scheduler Scheduler feeding this app's queue."""
    return Scheduler(queue=queue(settings), connection=connect(settings), job_class=JsonJob)


def register_periodic_jobs(scheduler: Scheduler, settings: Settings) -> list[Job]:
    """(Re)register every periodic job; registering twice keeps one of each."""
    jobs = []
    for periodic in PERIODIC_JOBS:
        if periodic.job_id in scheduler:
            scheduler.cancel(periodic.job_id)
        jobs.append(
            scheduler.schedule(
                scheduled_time=dt.datetime.now(dt.UTC),
                func=periodic.func,
                interval=periodic.interval(settings),
                repeat=None,
                id=periodic.job_id,
                description=periodic.description,
            )
        )
    return jobs

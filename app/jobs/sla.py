"""The SLA check job: re-time today's routes, warn before misses, escalate breaches."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rq.job import Job
from rq.serializers import JSONSerializer
from rq_scheduler import Scheduler

from app.config import Settings, active_settings
from app.jobs import connect, queue, unit_of_work
from app.services.sla import run_check

log = logging.getLogger(__name__)


def check_sla() -> dict[str, int]:
    """Run one SLA check and commit what it raised; returns the counts."""
    settings = active_settings()
    with unit_of_work() as session:
        result = run_check(session, settings)
        counts = {
            "visits": result.checked_visits,
            "complaints": result.checked_complaints,
            "warnings": len(result.warnings),
            "breaches": len(result.breaches),
        }
    log.info("SLA check: %s", counts)
    return counts


class JsonJob(Job):
    """An rq job serialised as JSON like every job here (rq-scheduler pickles by default)."""

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> Job:
        kwargs["serializer"] = JSONSerializer
        return super().create(*args, **kwargs)

    @classmethod
    def fetch(cls, id: str, connection: Any = None, serializer: Any = None) -> Job:
        return super().fetch(id, connection=connection, serializer=JSONSerializer)


SLA_JOB_ID = "periodic-sla-check"


def scheduler_for(settings: Settings) -> Scheduler:
    """An rq-scheduler Scheduler feeding this app's queue."""
    return Scheduler(queue=queue(settings), connection=connect(settings), job_class=JsonJob)


def register_periodic_jobs(scheduler: Scheduler, settings: Settings) -> list[Job]:
    """(Re)register the SLA check every `sla_check_interval_s`; registering twice keeps one."""
    if SLA_JOB_ID in scheduler:
        scheduler.cancel(SLA_JOB_ID)
    job = scheduler.schedule(
        scheduled_time=dt.datetime.now(dt.UTC),
        func=check_sla,
        interval=settings.sla_check_interval_s,
        repeat=None,
        id=SLA_JOB_ID,
        description="SLA check: re-time today's routes, warn and escalate",
    )
    return [job]

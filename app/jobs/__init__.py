"""Background jobs: on rq queues when REDIS_URL is set, inline in the caller otherwise.

Jobs are module-level functions taking only ids and primitives (serialised as JSON, never
pickled). Each opens its own unit of work, calls one service and commits. Enqueue a job only
after the transaction that produced its input has committed, so the worker can see it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import db

log = logging.getLogger(__name__)


def connect(settings: Settings) -> Redis:
    """A Redis connection for the configured REDIS_URL."""
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not set; jobs run inline")
    return Redis.from_url(settings.redis_url)


def queue(settings: Settings, connection: Redis | None = None) -> Queue:
    """The rq queue jobs go to (JSON serialiser)."""
    return Queue(
        settings.rq_queue,
        connection=connection or connect(settings),
        serializer=JSONSerializer,
        default_timeout=3600,
    )


def enqueue(
    settings: Settings,
    func: Callable[..., Any],
    *args: Any,
    long_running: bool = False,
    **kwargs: Any,
) -> str:
    """Run `func(*args, **kwargs)` in the background; returns the job id.

    Without Redis the job runs inline: at once in the caller ("inline"), or, when
    `long_running`, in a separate process ("process:<pid>", see `app.jobs.process`), so a
    request that starts a minutes-long solve answers at once and the server keeps answering
    while it runs.
    """
    if settings.jobs_inline:
        if long_running:
            from app.jobs.process import start

            return f"process:{start(settings, func, args, kwargs).pid}"
        log.info("running job %s inline", func.__name__)
        func(*args, **kwargs)
        return "inline"
    job = queue(settings).enqueue(func, *args, **kwargs)
    log.info("enqueued job %s as %s on %s", func.__name__, job.id, settings.rq_queue)
    return job.id


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A committed-on-success session for a job, binding the database from the environment."""
    ensure_database()
    with db.unit_of_work() as session:
        yield session


def ensure_database() -> None:
    """Bind the database when a worker process runs a job outside the app factory."""
    try:
        db.engine  # noqa: B018 - raises when unbound
    except RuntimeError:
        db.configure(Settings.from_env().database_url)

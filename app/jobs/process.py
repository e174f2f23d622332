"""Long jobs without Redis: run the job function in a process of its own.

The web process only starts it (`start`) and reaps it when it ends; the child binds the same
database and runs the job exactly as an rq worker would. A solve there never holds the web
process's interpreter, so the server keeps answering; if the child dies, the run's heartbeat
stops and the stale-run check fails it.

Children are forked from a server process (multiprocessing's forkserver) that imported the
jobs and the planner once, when the web process started its first job: a new solve starts in
milliseconds rather than the two CPU seconds of a new interpreter importing the app. The server
holds no database connection and no thread, so forking it is safe; the settings travel with
each job.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing as mp
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

from app.config import Settings, activate
from app.database import db

log = logging.getLogger(__name__)

# What the server imports before it forks the first job: the modules every job needs.
PRELOAD = ["app.jobs.process", "app.jobs.dispatching"]


def start(
    settings: Settings, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> BaseProcess:
    """Start `func(*args, **kwargs)` in a new process bound to `settings`' database."""
    if settings.database_url in ("sqlite://", "sqlite:///:memory:"):
        raise RuntimeError("an in-memory database cannot be shared with a solving process")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # read only when the server starts
    name = f"{func.__module__}:{func.__qualname__}"
    child = context.Process(
        target=run_job, args=(settings, name, args, kwargs), name=f"job {name}"
    )
    child.start()
    # Reap the child when it ends, so finished solves leave no zombie processes behind.
    threading.Thread(target=child.join, daemon=True, name=f"reap-{child.pid}").start()
    log.info("running job %s in process %s", func.__name__, child.pid)
    return child


def run_job(
    settings: Settings, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """In the child: run the job `name` ("module:function") with the parent's settings."""
    module_name, _, function = name.partition(":")
    func = getattr(importlib.import_module(module_name), function)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(process)d %(name)s %(message)s"
    )
    activate(settings)
    db.configure(settings.database_url)
    try:
        func(*args, **kwargs)
    except Exception:
        log.exception("job %s failed", name)
        raise SystemExit(1) from None
    finally:
        db.dispose()

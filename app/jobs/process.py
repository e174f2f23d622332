"""Long jobs without Redis: run the job function in a process of its own.

The web process only starts it (`start`) and reaps it when it ends; the child imports the job
by name, binds the same database and runs it with JSON arguments, exactly as an rq worker
would. A solve there never holds the web process's interpreter, so the server keeps
answering; if the child dies, the run's heartbeat stops and the stale-run check fails it.

    python -m app.jobs.process '{"func": "app.jobs.dispatching:run_dispatch", "args": [...]}'
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from app.config import Settings, activate
from app.database import db

log = logging.getLogger(__name__)


def start(
    settings: Settings, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> subprocess.Popen[bytes]:
    """Start `func(*args, **kwargs)` in a new Python process bound to `settings`' database."""
    if settings.database_url in ("sqlite://", "sqlite:///:memory:"):
        raise RuntimeError("an in-memory database cannot be shared with a solving process")
    spec = json.dumps(
        {"func": f"{func.__module__}:{func.__qualname__}", "args": args, "kwargs": kwargs}
    )
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SERVICE_TIME_ZONE": settings.time_zone,
        "LOG_LEVEL": settings.log_level,
        "RUN_HEARTBEAT_INTERVAL": str(settings.run_heartbeat_s),
        "RUN_STALE_AFTER": str(settings.run_stale_after_s),
        "RUN_STALE_CHECK_INTERVAL": str(settings.run_stale_check_s),
        "SOLVER_SEARCH_ITERATIONS": str(settings.solver_search_iterations or ""),
        "PLANNER_TIME_UNIT_S": str(settings.planner_time_unit_s),
        "PLANNER_PRIORITY_WEIGHTS": ",".join(map(str, settings.planner_priority_weights)),
    }
    env.pop("REDIS_URL", None)  # the child runs the job itself, it never enqueues it again
    child = subprocess.Popen([sys.executable, "-m", "app.jobs.process", spec], env=env)
    # Reap the child when it ends, so finished solves leave no zombie processes behind.
    threading.Thread(target=child.wait, daemon=True, name=f"reap-{child.pid}").start()
    log.info("running job %s in process %s", func.__name__, child.pid)
    return child


def main(argv: list[str]) -> int:
    """Run the job described by `argv[0]` (JSON: func "module:name", args, kwargs)."""
    spec = json.loads(argv[0])
    module_name, _, name = spec["func"].partition(":")
    func = getattr(importlib.import_module(module_name), name)
    settings = Settings.from_env()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(process)d %(name)s %(message)s"
    )
    activate(settings)
    db.configure(settings.database_url)
    try:
        func(*spec.get("args", []), **spec.get("kwargs", {}))
    except Exception:
        log.exception("job %s failed", spec["func"])
        return 1
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

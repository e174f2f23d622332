"""Background jobs run on a real rq worker against Redis, or inline without Redis."""

import datetime as dt
import os
import time
import uuid

from redis import Redis
from rq import SimpleWorker
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.database import utcnow
from app.jobs import enqueue, queue
from app.jobs.housekeeping import purge_tokens
from app.models import AuthToken
from tests.factories import UserFactory


def dead_token(session):
    user = UserFactory()
    old = utcnow() - dt.timedelta(days=3)
    session.add(
        AuthToken(
            token_hash=uuid.uuid4().hex,
            user_id=user.id,
            created_at=old,
            expires_at=old + dt.timedelta(hours=1),
        )
    )
    session.commit()


def token_count(session):
    return session.scalar(select(func.count()).select_from(AuthToken))


def test_a_job_runs_inline_when_no_redis_is_configured(session, settings):
    dead_token(session)
    assert enqueue(settings, purge_tokens) == "inline"
    assert token_count(session) == 0


def test_a_job_enqueued_on_redis_is_run_by_a_real_worker(session, settings, redis_url):
    dead_token(session)
    rq_settings = settings.replace(redis_url=redis_url, rq_queue=f"test-{uuid.uuid4().hex}")
    job_id = enqueue(rq_settings, purge_tokens)
    assert token_count(session) == 1  # nothing happens until a worker takes the job

    connection = Redis.from_url(redis_url)
    jobs = queue(rq_settings, connection)
    worker = SimpleWorker([jobs], connection=connection, serializer=jobs.serializer)
    assert worker.work(burst=True)
    assert jobs.fetch_job(job_id).get_status() == "finished"
    assert token_count(session) == 0


def write_active_settings(path: str) -> None:
    """A job that records the settings its process runs with."""
    from app.config import active_settings
    from app.database import db

    current = active_settings()
    with open(path, "w") as out:
        out.write(f"{current.solver_search_iterations} {current.run_heartbeat_s} {db.engine.url}")


def test_a_long_job_without_redis_runs_in_its_own_process_with_the_settings_it_was_given(
    settings, tmp_path
):
    # Not the environment's: the process is forked from a server started before these settings.
    given = settings.replace(solver_search_iterations=1234, run_heartbeat_s=0.75)
    written = tmp_path / "settings.txt"
    job = enqueue(given, write_active_settings, str(written), long_running=True)
    pid = int(job.removeprefix("process:"))
    assert pid != os.getpid()
    deadline = time.monotonic() + 60
    while not written.exists() or not written.read_text():
        assert time.monotonic() < deadline, "the job's process did not run it within a minute"
        time.sleep(0.05)
    iterations, heartbeat, url = written.read_text().split(" ", 2)
    assert (iterations, heartbeat) == ("1234", "0.75")
    assert url == str(make_url(settings.database_url))

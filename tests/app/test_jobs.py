"""Background jobs run on a real rq worker against Redis, or inline without Redis."""

import datetime as dt
import uuid

from redis import Redis
from rq import SimpleWorker
from sqlalchemy import func, select

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

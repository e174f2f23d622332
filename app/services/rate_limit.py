"""Fixed-window rate limits: a Redis counter when REDIS_URL is set, else a database counter."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import RateCounter


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    limit: int
    retry_after_s: int


def hit(
    session: Session,
    settings: Settings,
    key: str,
    *,
    limit: int,
    window_s: int = 60,
    now: float | None = None,
) -> Verdict:
    """Count one request against `key`; allowed while the window's count stays within `limit`."""
    now = time.time() if now is None else now
    window = int(now // window_s) * window_s
    retry_after = max(1, int(window + window_s - now))
    if settings.redis_url:
        count = _redis_hit(settings.redis_url, f"ratelimit:{key}:{window}", window_s)
    else:
        count = _db_hit(session, key, window, window_s)
    return Verdict(count <= limit, count, limit, retry_after)


def _redis_hit(url: str, key: str, window_s: int) -> int:
    from redis import Redis

    client = Redis.from_url(url, socket_timeout=2)
    with client.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s * 2)
        count, _ = pipe.execute()
    return int(count)


def _db_hit(session: Session, key: str, window: int, window_s: int) -> int:
    # Counted in its own savepoint so a racing first insert retries as an update.
    for _attempt in range(3):
        try:
            with session.begin_nested():
                updated = session.execute(
                    update(RateCounter)
                    .where(RateCounter.key == key, RateCounter.window_start == window)
                    .values(count=RateCounter.count + 1)
                    .returning(RateCounter.count)
                ).scalar()
                if updated is None:
                    session.add(RateCounter(key=key, window_start=window, count=1))
                    session.flush()
                    updated = 1
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - three lost races in a row
        updated = 1
    # Old windows are of no use; trim them as we go.
    session.execute(delete(RateCounter).where(RateCounter.window_start < window - window_s))
    return int(updated)

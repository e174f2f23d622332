"""Rate limits and login throttling, counted by Flask-Limiter's storage.

The storage is Redis when REDIS_URL is set (shared by every worker process) and memory
otherwise (the demo's single process). This module takes the configured `limits` strategy
and stays free of Flask; the HTTP layer answers 429 with Retry-After.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.strategies import RateLimiter


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


ALLOWED = Verdict(True, 0)


def hit(strategy: RateLimiter, limits: str, *key: str) -> Verdict:
    """Count one request against every limit in `limits` (e.g. "30 per minute") for `key`."""
    items = parse_many(limits)
    refused = [item for item in items if not strategy.hit(item, *key)]
    return _verdict(strategy, refused, key)


def check(strategy: RateLimiter, limits: str, *key: str) -> Verdict:
    """Whether `key` is still within every limit, without counting."""
    items = parse_many(limits)
    refused = [item for item in items if not strategy.test(item, *key)]
    return _verdict(strategy, refused, key)


def _verdict(
    strategy: RateLimiter, refused: Iterable[RateLimitItem], key: tuple[str, ...]
) -> Verdict:
    resets = [strategy.get_window_stats(item, *key).reset_time for item in refused]
    if not resets:
        return ALLOWED
    return Verdict(False, max(1, math.ceil(max(resets) - time.time())))


@dataclass(frozen=True)
class LoginLimits:
    """Failed sign-ins allowed per account and per client address."""

    per_account: str
    per_client: str


def _login_keys(email: str, client: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return ("login-account", email.strip().lower()), ("login-client", client)


def check_login(strategy: RateLimiter, limits: LoginLimits, email: str, client: str) -> Verdict:
    """Whether a sign-in may be tried now; the later of the two waits when refused.

    Each limit string has several windows (a minute, an hour): repeated failures wait longer.
    """
    account, by_client = _login_keys(email, client)
    verdicts = [
        check(strategy, limits.per_account, *account),
        check(strategy, limits.per_client, *by_client),
    ]
    refused = [v for v in verdicts if not v.allowed]
    return max(refused, key=lambda v: v.retry_after_s) if refused else ALLOWED


def failed_login(strategy: RateLimiter, limits: LoginLimits, email: str, client: str) -> None:
    """Count a failed sign-in against the account and the client."""
    account, by_client = _login_keys(email, client)
    hit(strategy, limits.per_account, *account)
    hit(strategy, limits.per_client, *by_client)

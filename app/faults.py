"""Database faults at the HTTP edge: a dropped connection is retried once when that is safe.

`pool_pre_ping` (app/database.py) replaces connections the server closed while they sat in
the pool. A connection cut *during* a request (restart, failover, `pg_terminate_backend`)
fails that request's statement: a GET, HEAD or OPTIONS is run once more on a fresh
connection; anything else answers 503 with Retry-After (app/api/errors.py) and nothing of it
was committed, so the client's retry is safe.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from sqlalchemy.exc import DBAPIError

from app.database import db
from app.redaction import redact_tokens

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_disconnect(error: BaseException) -> bool:
    """Whether the database connection itself was lost (not a refused statement)."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class FieldServiceFlask(Flask):
    """Flask, retrying an idempotent request once when its database connection was cut."""

    def log_exception(self, exc_info: Any) -> None:
        """Flask's log line for an unexpected error, with link tokens redacted from the path."""
        self.logger.error(
            "Exception on %s [%s]", redact_tokens(request.path), request.method, exc_info=exc_info
        )

    def dispatch_request(self) -> Any:
        try:
            return super().dispatch_request()
        except DBAPIError as error:
            if request.method not in SAFE_METHODS or not is_disconnect(error):
                raise
            log.warning(
                "retrying %s %s after a lost database connection",
                request.method,
                redact_tokens(request.path),
            )
            db.release()
            return super().dispatch_request()

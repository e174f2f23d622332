"""Errors the domain raises; the HTTP layer renders them in the one error format.

No Flask here: services, jobs and `sync/` raise these too.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error with a stable code, a message and an HTTP status."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        self.details = details or {}


class ValidationFailed(AppError):
    status = 422
    code = "validation_error"


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class PreconditionRequired(AppError):
    status = 428
    code = "precondition_required"


class TemporarilyUnavailable(AppError):
    status = 503
    code = "temporarily_unavailable"

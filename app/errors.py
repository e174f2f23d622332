"""Errors the domain raises; the HTTP layer renders them in the one error format.

No Flask here: services, jobs and `sync/` raise these too.
"""

from __future__ import annotations

from typing import Any

from app.i18n.text import N_


class AppError(Exception):
    """An error with a stable code, a message and an HTTP status.

    `message` is an English message id for the catalogue, with `%(name)s` placeholders filled
    from `params`; the HTTP layer shows it in the reader's language. Never pass an f-string:
    it cannot be translated.
    """

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        params: dict[str, Any] | None = None,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = message % _english(self.params) if self.params else message
        super().__init__(self.message)
        if code is not None:
            self.code = code
        self.fields = fields or {}
        self.details = details or {}


def _english(params: dict[str, Any]) -> dict[str, Any]:
    # A parameter may itself be a translatable text (app.i18n.text.Text): English here.
    return {name: str(value) for name, value in params.items()}


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


class RateLimited(AppError):
    """Too many requests from one client; `retry_after_s` becomes the Retry-After header."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            N_("too many requests; try again in %(seconds)s seconds"),
            params={"seconds": retry_after_s},
            details={"retry_after_s": retry_after_s},
        )
        self.retry_after_s = retry_after_s

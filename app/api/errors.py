"""The one error format: every 4xx/5xx answers `{"status", "code", "message", "errors"}`."""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, jsonify, request
from flask_babel import gettext
from flask_smorest import Api
from sqlalchemy.exc import (
    DataError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.errors import AppError
from app.i18n.text import N_
from app.i18n.web import say
from app.redaction import redact_tokens

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "temporarily_unavailable",
}


# What a person reads when the HTTP layer itself refuses (no view ran to say more).
_HTTP_MESSAGES = {
    400: N_("the request is not understood"),
    401: N_("sign in first"),
    403: N_("this action is not allowed"),
    404: N_("there is nothing at this address"),
    405: N_("this address does not accept that method"),
    413: N_("the request body is too large"),
    415: N_("this content type is not accepted"),
    429: N_("too many requests; wait a moment and retry"),
}


class ErrorSchema(ma.Schema):
    """The body of every error response."""

    status = ma.fields.Integer(metadata={"description": "HTTP status code"})
    code = ma.fields.String(metadata={"description": "Stable machine-readable error code"})
    message = ma.fields.String(metadata={"description": "What went wrong, for a person"})
    errors = ma.fields.Dict(
        metadata={"description": "Field errors: field name -> list of messages"}
    )
    details = ma.fields.Dict(metadata={"description": "Extra facts, e.g. the current version"})


def error_response(
    status: int,
    code: str,
    message: str,
    errors: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Response, int]:
    """Build an error response in the one format."""
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    body["errors"] = _string_keys(errors or {})
    if details:
        body["details"] = details
    response = jsonify(body)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response, status


def _string_keys(value: Any) -> Any:
    # Marshmallow keys list items by index (ints) beside field names (strings); JSON objects
    # need string keys, and mixing the two would break sorted serialisation.
    if isinstance(value, dict):
        return {str(key): _string_keys(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_string_keys(item) for item in value]
    return value


def _flatten_locations(messages: dict[str, Any]) -> dict[str, Any]:
    # webargs nests field errors under the request location ("json", "query"); clients
    # want the field names, so the location level is folded away.
    flat: dict[str, Any] = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            flat.update(errors)
        else:
            flat[location] = errors
    return flat


class FieldServiceApi(Api):
    """flask-smorest's Api, answering errors in the project's one format."""

    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        from app.api.contract import complete

        # Served document and `flask openapi` alike: what the decorators cannot say.
        built = self.spec.to_dict
        max_bytes = app.extensions["settings"].photo_max_bytes
        self.spec.to_dict = lambda: complete(  # type: ignore[method-assign]
            built(), photo_max_bytes=max_bytes
        )

    def handle_http_exception(self, error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        errors = _flatten_locations(errors) if isinstance(errors, dict) else {"_": errors}
        code = _HTTP_CODES.get(status, "error")
        message = data.get("message") or _HTTP_MESSAGES.get(status) or error.description
        if status == 400 and _is_json_decode_error(errors):
            code, message = "malformed_json", N_("the request body is not valid JSON")
            errors = {}
        elif status == 422 and not data.get("message"):
            message = N_("the request has invalid or unknown fields")
        elif status == 500:
            message = N_("an unexpected error occurred; it has been logged")
        # Werkzeug's own headers first (405 names the allowed methods in `Allow`).
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return error_response(status, code, gettext(message or error.name), errors, headers=headers)


def _is_json_decode_error(errors: dict[str, Any]) -> bool:
    text = str(errors)
    return "Invalid JSON body" in text


def register_error_handlers(app: Flask) -> None:
    """Render domain errors and database faults in the one format."""

    @app.errorhandler(AppError)
    def _app_error(error: AppError) -> tuple[Response, int]:
        retry_after = getattr(error, "retry_after_s", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return error_response(
            error.status, error.code, say(error), error.fields, error.details, headers
        )

    @app.errorhandler(StaleDataError)
    def _stale(error: StaleDataError) -> tuple[Response, int]:
        return error_response(
            409,
            "version_conflict",
            gettext("the record was changed by someone else; reload and retry"),
        )

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(error: Exception) -> tuple[Response, int]:
        # A number too large for its column (or for SQLite) is the client's mistake.
        log.info("out-of-range value in %s: %s", _where(), error)
        return error_response(
            422,
            "value_out_of_range",
            gettext("a number in the request is out of range for its field"),
        )

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> tuple[Response, int]:
        # Services check what they can first; this catches races and what slipped through
        # (e.g. two requests creating the same unique name at once). Nothing was committed.
        log.warning("integrity error during %s: %s", _where(), error.orig)
        return error_response(
            409,
            "conflict",
            gettext(
                "the change conflicts with existing data (a unique value is taken or a "
                "referenced record is missing)"
            ),
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PendingRollbackError)
    def _db_down(error: Exception) -> tuple[Response, int]:
        log.error("database unavailable during %s: %s", _where(), error)
        return error_response(
            503,
            "temporarily_unavailable",
            gettext("the database is temporarily unavailable; retry shortly"),
            headers={"Retry-After": "5"},
        )


def _where() -> str:
    """The request's method and path for a log line, link tokens redacted."""
    return f"{request.method} {redact_tokens(request.path)}"
